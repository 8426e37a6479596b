"""The aggregation SQL shared by every engine, one statement per file."""

from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent


@cache
def load_sql(name: str) -> str:
    """The text of ``<name>.sql``."""
    return (_DIR / f"{name}.sql").read_text(encoding="utf-8")
