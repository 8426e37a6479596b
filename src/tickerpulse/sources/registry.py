"""Which real sources a cycle lands, built from settings, and a health check of each.

Every connector module offers ``missing_credentials(settings)`` (the environment
variables still unset) and ``build(settings)`` (a ready source). A source named
in ``SOURCES`` without its credentials is skipped with a message saying what to
set; it never stops the others. Modules are imported only when named, so the
demo does not pay for connectors it does not use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from tickerpulse.config import Settings
from tickerpulse.sources.base import Source
from tickerpulse.sources.http import SourceError

SIMULATED = "simulated"

CONNECTORS: dict[str, str] = {
    "reddit": "tickerpulse.sources.reddit",
    "x": "tickerpulse.sources.x",
    "telegram": "tickerpulse.sources.telegram",
    "facebook": "tickerpulse.sources.facebook",
    "instagram": "tickerpulse.sources.instagram",
    "news": "tickerpulse.sources.rss",
    "finnhub": "tickerpulse.sources.finnhub",
    "alphavantage": "tickerpulse.sources.alphavantage",
    "ibkr": "tickerpulse.sources.ibkr",
}
"""Source name → module of its connector."""


class CheckableSource(Source, Protocol):
    """A real source that can prove it works with one cheap request."""

    def check(self) -> str:
        """One line on what worked; raises :class:`SourceError` when it does not."""
        ...


class Connector(Protocol):
    """What a connector module offers."""

    def missing_credentials(self, settings: Settings) -> list[str]:
        """Environment variables the source still needs."""
        ...

    def build(self, settings: Settings) -> CheckableSource:
        """The source, ready to fetch."""
        ...


@dataclass(frozen=True)
class Skipped:
    """A named source that will not run, and what would make it run."""

    name: str
    reason: str


@dataclass(frozen=True)
class CheckResult:
    """One line of ``tickerpulse sources check``."""

    name: str
    status: Literal["ok", "skipped", "failed"]
    detail: str


def connector(name: str) -> Connector:
    """The connector module of ``name``; a clear error for unknown names."""
    if name not in CONNECTORS:
        known = ", ".join([SIMULATED, *CONNECTORS])
        raise ValueError(f"unknown source {name!r} in SOURCES; known sources: {known}")
    return cast(Connector, importlib.import_module(CONNECTORS[name]))


def real_sources(settings: Settings) -> tuple[dict[str, Source], list[Skipped]]:
    """The sources named in ``settings.sources`` that have credentials, and those skipped."""
    sources: dict[str, Source] = {}
    skipped: list[Skipped] = []
    for name in settings.sources:
        if name == SIMULATED:
            raise ValueError("SOURCES mixes 'simulated' with real sources; choose one or the other")
        module = connector(name)
        missing = module.missing_credentials(settings)
        if missing:
            skipped.append(Skipped(name, f"skipped: set {', '.join(missing)} (see README)"))
        else:
            sources[name] = module.build(settings)
    return sources, skipped


def check_sources(settings: Settings, names: Iterable[str] | None = None) -> Iterator[CheckResult]:
    """Per source: are credentials set, and does one real request work?"""
    for name in names or CONNECTORS:
        module = connector(name)
        missing = module.missing_credentials(settings)
        if missing:
            yield CheckResult(name, "skipped", f"credentials not set: {', '.join(missing)}")
            continue
        try:
            yield CheckResult(name, "ok", module.build(settings).check())
        except SourceError as exc:
            yield CheckResult(name, "failed", str(exc))
        except Exception as exc:  # a health check reports, it never crashes the command
            yield CheckResult(name, "failed", f"{type(exc).__name__}: {exc}")
