"""Settings: environment aliases and field names both work."""

from pathlib import Path

from tickerpulse.config import Settings


def test_settings_take_fields_by_name_as_well_as_by_environment_alias() -> None:
    assert Settings(_env_file=None, home=Path("/tmp/a")).home == Path("/tmp/a")  # type: ignore[call-arg]
    assert Settings(_env_file=None, TICKERPULSE_HOME="/tmp/b").home == Path("/tmp/b")  # type: ignore[call-arg]


def test_comma_separated_names_are_split() -> None:
    settings = Settings(_env_file=None, sources="news, reddit,,x", price_sources="finnhub")  # type: ignore[call-arg]
    assert settings.sources == ["news", "reddit", "x"] and settings.price_sources == ["finnhub"]
