"""Settings: environment aliases and field names both work; shell variables never leak in."""

from pathlib import Path

import pytest

from tickerpulse.config import Settings

SHELL_VARIABLES = (
    "HOME", "PATH", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_ALL", "TERM", "PWD", "OLDPWD",
    "SHELL", "HOSTNAME", "HOST", "TMPDIR", "TMP", "TEMP", "EDITOR", "PAGER", "DISPLAY", "TZ",
    "MAIL", "SHLVL", "PORT", "DEBUG", "ENV", "NAME", "URL", "KEY", "SECRET", "LEVEL", "MODE",
)  # fmt: skip
"""Variables a shell, a CI runner or a platform (Cloud Run sets PORT) commonly holds."""


def test_settings_take_fields_by_name_as_well_as_by_environment_alias() -> None:
    assert Settings(_env_file=None, home=Path("/tmp/a")).home == Path("/tmp/a")  # type: ignore[call-arg]
    assert Settings(_env_file=None, TICKERPULSE_HOME="/tmp/b").home == Path("/tmp/b")  # type: ignore[call-arg]


def test_home_is_not_read_from_the_shells_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKERPULSE_HOME", raising=False)
    monkeypatch.setenv("HOME", "/home/someone")
    assert Settings(_env_file=None).home == Path(".tickerpulse")  # type: ignore[call-arg]
    monkeypatch.setenv("TICKERPULSE_HOME", "/srv/tp")
    assert Settings(_env_file=None).home == Path("/srv/tp")  # type: ignore[call-arg]


def test_no_setting_is_read_from_a_common_shell_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    before = Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    for name in SHELL_VARIABLES:
        monkeypatch.setenv(name, "7")  # a value most field types would accept
        monkeypatch.setenv(name.lower(), "7")
    after = Settings(_env_file=None).model_dump()  # type: ignore[call-arg]
    changed = {field for field in before if before[field] != after[field]}
    assert changed == set()


def test_comma_separated_names_are_split() -> None:
    settings = Settings(_env_file=None, sources="news, reddit,,x", price_sources="finnhub")  # type: ignore[call-arg]
    assert settings.sources == ["news", "reddit", "x"] and settings.price_sources == ["finnhub"]


def test_production_defaults_and_what_demo_mode_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COOKIE_SECURE", "ALLOWED_HOSTS", "PAYMENT_PROVIDER", "DEMO_MODE", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    served = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (served.demo_mode, served.payments, served.secure_cookies) == (False, "none", True)
    assert served.trusted_hosts == ["localhost", "127.0.0.1", "[::1]"]
    demo = served.model_copy(update={"demo_mode": True})
    assert (demo.payments, demo.secure_cookies) == ("sandbox", False)
    public = Settings(_env_file=None, public_url="https://tp.example.com:8443/x")  # type: ignore[call-arg]
    assert public.trusted_hosts[-1] == "tp.example.com"
    listed = Settings(_env_file=None, allowed_hosts="a.example, b.example")  # type: ignore[call-arg]
    assert listed.trusted_hosts == ["a.example", "b.example"]
