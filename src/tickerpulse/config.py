"""Settings: the one place configuration is read, from the environment and ``.env``.

Everything has a default, so the demo needs nothing. Connectors, jobs and the
web app never read ``os.environ``: a ``Settings`` object is built once at
start-up and passed in.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Validated configuration; each field maps to the upper-case environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path(".tickerpulse"),
        validation_alias="TICKERPULSE_HOME",
        description="Folder for the embedded database, the local lake and logs.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of a real Postgres; unset starts embedded Postgres.",
    )
    lake_url: str | None = Field(
        default=None, description="fsspec URL of the lake; unset uses <home>/lake."
    )
    engine: Literal["duckdb", "spark"] = "duckdb"
    universe_extra: Path | None = Field(
        default=None, description="CSV of assets that add to or override the shipped universe."
    )
    kafka_bootstrap: str | None = None

    sim_seed: int = Field(default=7, description="Seed of the simulated world.")
    sim_days: int = Field(default=90, ge=1, description="Days of history the demo simulates.")
    sim_beta: float = Field(
        default=0.6, description="Planted sentiment→next-window-return coupling (0 = null world)."
    )
    sim_posts_per_window: int = Field(
        default=600, ge=1, description="Mean social posts per 6-hour window across all assets."
    )
    sim_news_per_window: int = Field(
        default=80, ge=0, description="Mean news articles per 6-hour window."
    )

    web_host: str = "127.0.0.1"
    web_port: int = 8000
    log_json: bool | None = Field(
        default=None, description="JSON logs; default: JSON when stderr is not a terminal."
    )

    @cached_property
    def home_dir(self) -> Path:
        """The home folder as an absolute path."""
        return self.home.expanduser().resolve()

    @property
    def pg_dir(self) -> Path:
        """Where embedded Postgres keeps its data."""
        return self.home_dir / "pg"

    @property
    def lake_root(self) -> str:
        """The lake's fsspec URL or local path."""
        return self.lake_url or str(self.home_dir / "lake")
