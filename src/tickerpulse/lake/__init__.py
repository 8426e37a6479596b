"""The lake: raw landings, curated Parquet, per-asset results, on any fsspec file system."""

from tickerpulse.lake.layout import LakeLayout
from tickerpulse.lake.store import Lake

__all__ = ["Lake", "LakeLayout"]
