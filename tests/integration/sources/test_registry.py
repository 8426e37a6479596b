"""Choosing sources from settings, and `tickerpulse sources check` against a local feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from tickerpulse.cli import app
from tickerpulse.config import Settings
from tickerpulse.sources.registry import check_sources, real_sources

FEED = Path(__file__).parents[2] / "fixtures" / "news" / "markets.rss.xml"


def catalog(tmp_path: Path, server: HTTPServer) -> Path:
    path = tmp_path / "outlets.csv"
    path.write_text(
        "outlet,name,feed_url,language,region,coverage,enabled\n"
        f"wire,Example Wire,{server.url_for('/wire')},en,us,stocks,true\n"
    )
    return path


def test_named_sources_are_built_and_checked(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/wire").respond_with_data(FEED.read_bytes())
    settings = Settings(sources=["news"], news_catalog=catalog(tmp_path, httpserver))
    sources, skipped = real_sources(settings)
    assert list(sources) == ["news"] and skipped == []
    (result,) = check_sources(settings, ["news"])
    assert (result.status, result.detail) == ("ok", "1 outlets; Example Wire: 3 entries")


def test_unknown_or_mixed_sources_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unknown source 'myspace'"):
        real_sources(Settings(sources=["myspace"]))
    with pytest.raises(ValueError, match="mixes 'simulated'"):
        real_sources(Settings(sources=["simulated", "news"]))


def test_sources_check_command_reports_failures_and_exits_non_zero(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/wire").respond_with_data(
        "<html>gone</html>", content_type="text/html"
    )
    monkeypatch.setenv("NEWS_CATALOG", str(catalog(tmp_path, httpserver)))
    result = CliRunner().invoke(app, ["sources", "check", "news"])
    assert result.exit_code == 1
    assert "failed" in result.output and "did not return an RSS/Atom feed" in result.output
