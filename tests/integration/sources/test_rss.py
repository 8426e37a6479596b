"""News feeds against a local server: RSS and Atom, conditional GET, dedup, outlet health."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tickerpulse.enrich.normalize import normalize_documents
from tickerpulse.sources.http import HttpClient, SourceError
from tickerpulse.sources.outlets import Outlet, load_outlets
from tickerpulse.sources.rss import RssSource

FIXTURES = Path(__file__).parents[2] / "fixtures" / "news"
NOW = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)


def outlet(server: HTTPServer, name: str, region: str = "us") -> Outlet:
    return Outlet(name, name.title(), server.url_for(f"/{name}"), "en", region, ("stocks",), True)


def serve(server: HTTPServer, path: str, fixture: str, **headers: str) -> None:
    body = (FIXTURES / fixture).read_bytes()
    kind = "text/html" if fixture.endswith(".html") else "application/rss+xml"
    server.expect_request(path).respond_with_data(body, content_type=kind, headers=headers)


def source(server: HTTPServer, *names: str) -> RssSource:
    client = HttpClient("news", sleep=lambda _: None)
    return RssSource([outlet(server, n) for n in names], client, now=lambda: NOW)


def land(src: RssSource, cursor: dict[str, object] | None = None) -> tuple[list[bytes], dict]:
    lines: list[bytes] = []
    last: dict = dict(cursor or {})
    for page in src.fetch(last, until=NOW):
        lines += page.lines
        last = page.cursor
    return lines, last


def test_rss_and_atom_land_once_across_outlets_and_normalise(httpserver: HTTPServer) -> None:
    serve(httpserver, "/wire", "markets.rss.xml")
    serve(httpserver, "/cryptodesk", "crypto.atom.xml")
    lines, cursor = land(source(httpserver, "wire", "cryptodesk"))
    # the desk's bitcoin story has the wire's title: a cross-outlet duplicate, not landed twice
    titles = [orjson.loads(line)["item"]["title"] for line in lines]
    assert (
        len(titles) == 4 and titles.count("Bitcoin steadies near $90,000 after weekend swings") == 1
    )
    docs = normalize_documents("news", lines)
    assert docs.quarantined == [] and docs.table.num_rows == 4
    rows = {row["title"]: row for row in docs.table.to_pylist()}
    nvidia = rows["Nvidia shares climb after record data-center revenue"]
    assert nvidia["text"] == "Shares of Nvidia rose 4% & lifted chip stocks."
    assert nvidia["channel"] == "wire"
    solana = rows["Solana developers ship fee-market upgrade to mainnet"]
    assert solana["created_at"] == datetime(
        2026, 11, 24, 10, 45, tzinfo=UTC
    )  # Atom: only <updated>
    assert solana["text"] == "Solana validators adopted the change."
    assert cursor["outlets"]["wire"]["landed"] == 3
    assert cursor["outlets"]["cryptodesk"]["error"] is None


def test_conditional_get_sends_validators_and_lands_nothing_on_304(httpserver: HTTPServer) -> None:
    seen_headers: list[str | None] = []

    def feed(request: Request) -> Response:
        seen_headers.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        body = (FIXTURES / "markets.rss.xml").read_bytes()
        return Response(body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    httpserver.expect_request("/wire").respond_with_handler(feed)
    src = source(httpserver, "wire")
    first, cursor = land(src)
    again, _ = land(src, cursor)
    assert len(first) == 3 and again == []
    assert seen_headers == [None, '"v1"']


def test_a_feed_served_again_without_validators_lands_nothing_new(httpserver: HTTPServer) -> None:
    serve(httpserver, "/wire", "markets.rss.xml")
    src = source(httpserver, "wire")
    first, cursor = land(src)
    again, _ = land(src, cursor)
    assert len(first) == 3 and again == []


def test_crash_between_outlets_resumes_without_loss_or_duplicates(httpserver: HTTPServer) -> None:
    serve(httpserver, "/wire", "markets.rss.xml")
    serve(httpserver, "/cryptodesk", "crypto.atom.xml")
    src = source(httpserver, "wire", "cryptodesk")
    pages = src.fetch({}, until=NOW)
    first = next(pages)  # landed and its cursor saved, then the process dies
    pages.close()
    rest, _ = land(src, first.cursor)
    ids = [orjson.loads(line)["item"]["id"] for line in first.lines + rest]
    assert len(ids) == len(set(ids)) == 4


def test_a_broken_outlet_is_recorded_and_does_not_stop_the_others(httpserver: HTTPServer) -> None:
    serve(httpserver, "/paywall", "not-a-feed.html")
    httpserver.expect_request("/down").respond_with_data("busy", status=503)
    serve(httpserver, "/wire", "markets.rss.xml")
    lines, cursor = land(source(httpserver, "paywall", "down", "wire"))
    assert len(lines) == 3
    health = cursor["outlets"]
    assert "did not return an RSS/Atom feed" in health["paywall"]["error"]
    assert "503" in health["down"]["error"]
    assert health["wire"]["ok_at"] == NOW.isoformat()


def test_when_every_outlet_fails_the_source_fails(httpserver: HTTPServer) -> None:
    serve(httpserver, "/paywall", "not-a-feed.html")
    with pytest.raises(SourceError, match="all 1 outlets failed"):
        land(source(httpserver, "paywall"))


def test_truncated_xml_keeps_what_parses_and_quarantines_the_rest(httpserver: HTTPServer) -> None:
    serve(httpserver, "/cut", "truncated.xml")
    lines, cursor = land(source(httpserver, "cut"))
    docs = normalize_documents("news", lines)
    assert docs.table.num_rows == 0
    assert len(docs.quarantined) == len(lines) == 1
    assert docs.quarantined[0].reason == "missing field: published"
    assert cursor["outlets"]["cut"]["warning"].startswith("malformed XML")


def test_the_shipped_catalog_covers_sixty_outlets_worldwide() -> None:
    outlets = load_outlets()
    enabled = [o for o in outlets if o.enabled]
    assert len({o.name.split(" ")[0] for o in enabled}) >= 50
    assert len(enabled) >= 60
    assert {"us", "uk", "eu", "asia", "india", "africa"} <= {o.region for o in enabled}
    assert {"stocks", "crypto", "fx", "macro"} <= {c for o in enabled for c in o.coverage}
    assert all(o.feed_url.startswith(("https://", "http://")) for o in outlets)
    assert all(o.language == "en" for o in enabled)  # the pipeline reads English
