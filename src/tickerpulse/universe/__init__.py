"""The asset universe: which stocks, ETFs, crypto assets and FX pairs we track."""

from tickerpulse.universe.loader import AssetInfo, Universe, UniverseFileError, load_universe

__all__ = ["AssetInfo", "Universe", "UniverseFileError", "load_universe"]
