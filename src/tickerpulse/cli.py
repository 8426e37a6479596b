"""The ``tickerpulse`` command line: demo, setup, cycle, scheduler, serve, tag, sentiment, …."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# Only typer and the standard library load with this module: `--help` and the text
# commands start fast. Each command imports what it needs (pandas, SQLAlchemy, FastAPI,
# the web app…) in its own body; the names below are for type-checking only.
if TYPE_CHECKING:
    from rich.console import Console

    from tickerpulse.domain import Window
    from tickerpulse.jobs.context import CycleContext
    from tickerpulse.runtime import Runtime
    from tickerpulse.sources.simulator import SimulatedWorld

SENTIMENT_MODELS = ("fast-v1", "lexicon-v1", "minilm-ft-v2", "minilm-v1", "routed-v1")
"""The names `tickerpulse sentiment --model` accepts (a test holds it to the registry)."""


def _commands(summary: str) -> typer.Typer:
    """A command group with plain help text.

    rich's help renderer (markdown, syntax highlighting) alone costs more start-up
    than the 0.3 s `tickerpulse --help` has.
    """
    return typer.Typer(help=summary, no_args_is_help=True, rich_markup_mode=None)


app = _commands("tickerpulse: market sentiment analytics.")
cycle_app = _commands("Run and inspect the 6-hour cycle.")
app.add_typer(cycle_app, name="cycle")
sources_app = _commands("Inspect the real data sources.")
app.add_typer(sources_app, name="sources")


@cache
def _console() -> Console:
    """Messages and progress on stderr (rich loads on first use, not at start-up)."""
    from rich.console import Console

    return Console(stderr=True)


TEXT_COMMANDS = frozenset({"tag", "sentiment"})
"""JSON Lines filters: they log nothing through structlog, so they do not load it."""


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs.")] = False,
) -> None:
    """Market analytics from social posts, news and prices."""
    level = logging.DEBUG if verbose else logging.WARNING
    if ctx.invoked_subcommand in TEXT_COMMANDS:
        logging.basicConfig(level=level)
        return
    from tickerpulse.logging import configure_logging

    configure_logging(level=level)


def describe_world(world: SimulatedWorld, universe_size: int) -> str:
    """The demo's first line: simulated assets against the whole tagging universe, and the span.

    The universe (every asset the tagger knows) is far larger than the demo's
    simulated world; saying only one of the two numbers contradicts the README.
    """
    windows, config = world.windows, world.config
    return (
        f"Simulated world: {len(world.assets)} simulated assets (the tagging universe has"
        f" {universe_size}), {len(windows)} windows"
        f" ({windows[0].start:%Y-%m-%d} → {windows[-1].end:%Y-%m-%d}),"
        f" seed {config.seed}, β={config.beta}"
    )


def _runtime(*, demo: bool = False) -> Runtime:
    from rich.markup import escape

    from tickerpulse.config import Settings
    from tickerpulse.runtime import check_settings, open_runtime

    settings = Settings(demo_mode=True) if demo else Settings()
    try:
        check_settings(settings)
    except ValueError as exc:  # escaped: "tickerpulse[spark]" is no style
        _console().print(f"[red]{escape(str(exc))}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    with (
        _clear_errors(),
        _console().status(
            "Starting the database…" if settings.database_url is None else "Connecting…"
        ),
    ):
        return open_runtime(settings)


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Bad input the user can fix (a missing file, a bad UNIVERSE_EXTRA): one line, exit 2."""
    from tickerpulse.universe import UniverseFileError

    try:
        yield
    except UniverseFileError as exc:
        typer.echo(f"Error: UNIVERSE_EXTRA {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        if exc.filename is None:
            raise
        typer.echo(f"Error: {exc.filename}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def setup() -> None:
    """Create or migrate the database and load the asset universe."""
    runtime = _runtime()
    _console().print(
        f"[green]Database ready[/] ({runtime.engine.url.render_as_string(hide_password=True)})"
    )
    _console().print(f"Lake: {runtime.lake.url}")


@app.command()
def demo(
    serve: Annotated[
        bool, typer.Option(help="Serve the web site when the cycles are done.")
    ] = True,
    port: Annotated[int | None, typer.Option(help="Port of the web site.")] = None,
    stream: Annotated[
        bool, typer.Option(help="Replay a live trade stream in the background for /live.")
    ] = True,
) -> None:
    """Build the simulated world, run every 6-hour cycle, and serve the site (and a live stream)."""
    from tickerpulse.runtime import cycle_context, simulated_sources, simulated_world

    started = time.perf_counter()
    runtime = _runtime(demo=True)
    world = simulated_world(runtime)
    ctx = cycle_context(runtime, simulated_sources(world))
    windows = world.windows
    _console().print(describe_world(world, len(runtime.universe)))
    with _locked(runtime):
        totals = _run_windows(ctx, windows)
        _publish_analytics(runtime)
    _console().print(
        f"[green]Cycles done[/] in {time.perf_counter() - started:.0f} s: "
        f"{totals['ran']} windows run, {totals['skipped']} already published; "
        f"{totals['documents']:,} documents, {totals['mentions']:,} mentions, "
        f"{totals['quarantined']:,} quarantined lines (see {runtime.lake.url}/quarantine)."
    )
    if serve:
        with _background_stream(runtime) if stream else nullcontext():
            _serve(runtime, port, seed_demo=True)


@cycle_app.command("run")
def cycle_run(
    window: Annotated[
        str | None, typer.Option(help="Window key, e.g. 20260801T06; default: all due.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-run stages that already finished.")] = False,
    kill_after: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run one window, or every due one (simulated: all pending; real: missed and last closed)."""
    from tickerpulse.domain import Window
    from tickerpulse.jobs.cycle import run_cycle
    from tickerpulse.runtime import cycle_context, cycle_plan

    runtime = _runtime()
    with _locked(runtime):
        plan = cycle_plan(runtime)
        for skipped in plan.skipped:
            _console().print(f"[yellow]{skipped.name}[/]: {skipped.reason}")
        ctx = cycle_context(runtime, plan.sources)
        if window is None:
            _run_windows(ctx, plan.windows, force=force)
            return
        report = run_cycle(ctx, Window.from_key(window), force=force, kill_after=kill_after)
    for stage, outcome in report.stages.items():
        _console().print(f"{stage:10} {outcome['status']:8} {outcome.get('counts', '')}")


@cycle_app.command("backfill")
def cycle_backfill(
    start: Annotated[
        datetime, typer.Option("--from", help="First window (UTC date or time), inclusive.")
    ],
    end: Annotated[
        datetime, typer.Option("--to", help="Last window (UTC date or time), exclusive.")
    ],
    rescore: Annotated[
        bool,
        typer.Option(
            "--rescore",
            help="Re-score the curated documents with the current SENTIMENT_MODEL and publish"
            " again (enrich → aggregate → publish), without re-reading the raw lake.",
        ),
    ] = False,
) -> None:
    """Re-run history from the raw lake: normalize, enrich, aggregate and publish again.

    Nothing is fetched from the sources; use it after a tagger, sentiment or
    SQL change to rebuild the marts of a period. With --rescore, every run of
    the period is enriched again first and only then aggregated, so no window
    mixes model versions (the marts record the version per window).
    """
    from dataclasses import replace

    from tickerpulse.jobs.cycle import STAGES
    from tickerpulse.runtime import cycle_context

    windows = _windows_between(start, end)
    if not windows:
        _console().print("[red]No window in that range[/]: --from must come before --to.")
        raise typer.Exit(2)
    runtime = _runtime()
    with _locked(runtime):
        # published oldest first: a window's publish leaves the rest of the range to theirs
        ctx = replace(cycle_context(runtime, {}), republishing_until=windows[-1].start)
        stages: tuple[str, ...] = STAGES[1:]
        if rescore:
            _console().print(f"Re-scoring with sentiment model {ctx.sentiment.version}.")
            _run_windows(ctx, windows, force=True, stages=("enrich",), label="re-score")
            stages = ("aggregate", "publish")
        totals = _run_windows(ctx, windows, force=True, stages=stages, label="backfill")
    _console().print(
        f"[green]Backfilled[/] {len(windows)} windows ({windows[0].key} → {windows[-1].key}):"
        f" {totals['documents']:,} documents, {totals['mentions']:,} mentions."
    )
    if rescore:
        _console().print("Relations and predictions read the marts: run `tickerpulse analytics`.")


def _windows_between(start: datetime, end: datetime) -> list[Window]:
    from tickerpulse.domain import Window

    first = Window.containing(_as_utc_input(start))
    stop = _as_utc_input(end)
    windows = []
    while first.start < stop:
        windows.append(first)
        first = first.next()
    return windows


def _as_utc_input(ts: datetime) -> datetime:
    """Command-line times without a zone are UTC, as everywhere in tickerpulse."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@contextmanager
def _locked(runtime: Runtime) -> Iterator[None]:
    """Hold the cycle lock; a clear message and exit code 1 for a failed or refused cycle."""
    from tickerpulse.jobs.cycle import CycleFailed
    from tickerpulse.jobs.lock import CycleLocked, cycle_lock

    try:
        with cycle_lock(runtime.engine):
            yield
    except (CycleLocked, CycleFailed) as exc:
        _console().print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


@app.command()
def analytics() -> None:
    """Publish relation statistics and next-window predictions from the published history."""
    runtime = _runtime()
    with _locked(runtime):
        _publish_analytics(runtime)


def _publish_analytics(runtime: Runtime) -> None:
    from tickerpulse.analytics.publish import publish_analytics

    with _console().status("Relation statistics and walk-forward predictions…"):
        outcome = publish_analytics(runtime.engine, runtime.lake)
    if outcome.skipped:
        _console().print(f"[yellow]Analytics not published[/]: {outcome.skipped}.")
    else:
        _console().print(
            f"[green]Analytics published[/]: {outcome.relation_rows:,} relation statistics,"
            f" {outcome.prediction_rows:,} predictions ({outcome.model})."
        )


@app.command()
def scheduler() -> None:
    """Run the cycle at 00/06/12/18 UTC (and the due windows now) until stopped."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from tickerpulse import scheduler as schedule

    runtime = _runtime()
    blocking = BlockingScheduler(timezone=UTC)
    schedule.install(blocking, runtime)
    _console().print(
        f"Scheduler: cycles at {schedule.CYCLE_HOURS} h UTC"
        f" +{runtime.settings.scheduler_delay_minutes} min; due windows run now. Ctrl+C stops."
    )
    try:
        blocking.start()
    except (KeyboardInterrupt, SystemExit):
        blocking.shutdown(wait=False)


@cycle_app.command("status")
def cycle_status(limit: Annotated[int, typer.Option(help="Windows to show.")] = 12) -> None:
    """Show the run ledger: each window's stages, status, counts and timings."""
    from rich.console import Console
    from rich.table import Table

    from tickerpulse.db.state import ledger
    from tickerpulse.jobs.cycle import STAGES

    runtime = _runtime()
    rows = ledger(runtime.engine, limit=limit * len(STAGES))
    table = Table("window (UTC)", "stage", "status", "attempts", "ms", "counts / error")
    for row in rows:
        detail = row.error or ", ".join(
            f"{k}={v}" for k, v in row.counts.items() if not isinstance(v, dict)
        )
        style = {"ok": "green", "failed": "red", "running": "yellow"}.get(row.status, "")
        table.add_row(
            f"{row.window_start:%Y-%m-%d %H:%M}", row.stage, f"[{style}]{row.status}[/]",
            str(row.attempts), str(row.duration_ms or ""), detail[:80],
        )  # fmt: skip
    Console().print(table)


@sources_app.command("check")
def sources_check(
    names: Annotated[
        list[str] | None, typer.Argument(help="Sources to check; default: every real source.")
    ] = None,
) -> None:
    """Per source: are its credentials set, and does one real request work?"""
    from rich.console import Console
    from rich.table import Table

    from tickerpulse.config import Settings
    from tickerpulse.sources.registry import check_sources

    table = Table("source", "status", "detail")
    failed = False
    with _console().status("Checking sources…"):
        for result in check_sources(Settings(), names):
            style = {"ok": "green", "skipped": "yellow", "failed": "red"}[result.status]
            table.add_row(result.name, f"[{style}]{result.status}[/]", result.detail)
            failed = failed or result.status == "failed"
    Console().print(table)
    if failed:
        raise typer.Exit(1)


@app.command()
def tag(
    path: Annotated[Path | None, typer.Argument(help="JSON Lines file; default: stdin.")] = None,
) -> None:
    """Tag JSON Lines {"id", "text"} with the assets each text mentions, one line out per line in.

    Output: {"id", "mentions": [{"symbol", "class", "method", "relevance"}]}. A bad line
    gets {"id", "line", "error"} on stdout in its place; the run goes on.
    """
    from tickerpulse.config import Settings
    from tickerpulse.enrich.tagger_cache import cached_tagger
    from tickerpulse.tag_answers import TagAnswers
    from tickerpulse.universe import load_universe

    settings = Settings()
    with _clear_errors():
        universe = load_universe(settings.universe_extra)
    answer = TagAnswers(cached_tagger(universe, settings.cache_dir), universe)
    _answer_jsonl(path, answer)


@app.command()
def sentiment(
    path: Annotated[Path | None, typer.Argument(help="JSON Lines file; default: stdin.")] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help=f"Sentiment model: {', '.join(SENTIMENT_MODELS)} or default"
            " (default: the SENTIMENT_MODEL setting)."
        ),
    ] = None,
    mentions: Annotated[
        bool, typer.Option("--mentions", help="Also score each asset the text mentions.")
    ] = False,
) -> None:
    """Score JSON Lines {"id", "text"}: one {"id", "score", "label", "model"} line per line in.

    "flags" is added when a text was not scored as usual (empty, binary, non-english:
    neutral; huge: its first 20,000 characters scored). With --mentions, "mentions" lists
    each asset found: {"asset_id", "symbol", "start", "end", "score", "label"}, the span
    [start, end) being the mention's first occurrence in the text. Ids come back exactly
    as given. A bad line gets {"id", "line", "error"} on stdout in its place (line numbers
    count blank lines too); the run goes on. Reads and writes in batches: constant memory.
    """
    from tickerpulse.config import Settings
    from tickerpulse.enrich.sentiment import LabelBands, load_model
    from tickerpulse.text_answers import SentimentAnswers

    settings = Settings()
    try:
        chosen = load_model(model if model is not None else settings.sentiment_model)
    except ValueError as exc:
        _console().print(
            f"[red]{'--model' if model is not None else 'SENTIMENT_MODEL'}: {exc}[/]",
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    answers = SentimentAnswers(chosen, LabelBands())
    if mentions:
        from tickerpulse.enrich.tagger_cache import cached_tagger
        from tickerpulse.universe import load_universe

        with _clear_errors():
            universe = load_universe(settings.universe_extra)
        tagger = cached_tagger(universe, settings.cache_dir)
        answers = SentimentAnswers(chosen, LabelBands(), tagger, universe)
    _answer_jsonl(path, answers)


def _answer_jsonl(path: Path | None, answer: Callable[[list[str]], list[dict[str, Any]]]) -> None:
    """Stream ``path`` (or stdin) through ``answer`` to stdout; a missing file exits 2."""
    from tickerpulse.textio import process_jsonl

    with _clear_errors():
        source = path.open("rb") if path else nullcontext(sys.stdin.buffer)
    with source as lines:
        process_jsonl(lines, sys.stdout.buffer, answer)


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Port (default WEB_PORT, 8000).")] = None,
    with_scheduler: Annotated[
        bool, typer.Option("--scheduler", help="Also run the 6-hour cycle in this process.")
    ] = False,
) -> None:
    """Serve the web site over the published marts (and, with --scheduler, run the cycles)."""
    import dataclasses

    runtime = _runtime()
    if port is not None:  # links in the scheduled cycles' e-mails name this port
        settings = runtime.settings.model_copy(update={"web_port": port})
        runtime = dataclasses.replace(runtime, settings=settings)
    if with_scheduler:
        from apscheduler.schedulers.background import BackgroundScheduler

        from tickerpulse import scheduler as schedule

        background = BackgroundScheduler(timezone=UTC)
        schedule.install(background, runtime)
        background.start()
    _serve(runtime, port)


@app.command("stream")
def stream_command(
    seconds: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl+C).")
    ] = None,
    report_to: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write what the run did as JSON here: counters and CPU/wall time per stage.",
        ),
    ] = None,
) -> None:
    """Run the live path: trades → bus → 1-minute bars → online model, into Postgres for /live.

    The trades come from Finnhub's websocket when FINNHUB_API_KEY is set, else from
    a local replay of simulated trades; the bus is Kafka when KAFKA_BOOTSTRAP is set.
    """
    import threading

    from tickerpulse.streaming.service import run_live

    runtime = _runtime()
    settings = runtime.settings
    source = "Finnhub" if settings.finnhub_api_key else "a local replay of simulated trades"
    bus = f"Kafka {settings.kafka_bootstrap}" if settings.kafka_bootstrap else "in-process"
    _console().print(
        f"Live stream from {source} for {', '.join(settings.stream_symbols)}; bus: {bus}."
        " See /live on the web site (`tickerpulse serve`). Ctrl+C stops."
    )
    stop = threading.Event()
    try:
        report = run_live(settings, runtime.engine, runtime.lake, stop=stop, seconds=seconds)
    except KeyboardInterrupt:
        stop.set()
        _console().print("Stopped.")
        return
    except Exception as exc:  # a refused key or an unreachable broker: say so and fail
        _console().print(f"[red]Live stream failed[/]: {exc}")
        raise typer.Exit(1) from exc
    processed = report.processor
    _console().print(
        f"[green]Stream stopped[/]: {report.counters.get('trades', 0):,} trades received"
        f" ({report.warmup_trades:,} replayed history first), {processed['messages']:,} processed,"
        f" {processed['bars_closed']:,} bars closed, {report.calls:,} model calls;"
        f" dropped {report.counters.get('dropped_trades', 0):,}, malformed"
        f" {report.counters.get('malformed', 0) + processed['malformed']:,},"
        f" late {processed['late_dropped']}."
    )
    if report_to is not None:
        import dataclasses
        import json

        report_to.write_text(json.dumps(dataclasses.asdict(report), indent=1, default=str))


@contextmanager
def _background_stream(runtime: Runtime) -> Iterator[None]:
    """Run the live path in a daemon thread while the block runs (the demo's /live data)."""
    import threading

    from tickerpulse.streaming.service import run_live

    stop = threading.Event()

    def stream() -> None:
        try:
            run_live(runtime.settings, runtime.engine, runtime.lake, stop=stop)
        except Exception:
            logging.getLogger(__name__).exception("the demo's live stream failed")

    thread = threading.Thread(target=stream, name="live-stream", daemon=True)
    thread.start()
    _console().print("Live stream: replaying simulated trades in the background (see /live).")
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def _run_windows(
    ctx: CycleContext,
    windows: list[Window],
    *,
    force: bool = False,
    stages: tuple[str, ...] | None = None,
    label: str = "6-hour cycles",
) -> dict[str, int]:
    """Run ``windows`` (``stages``: every stage when None) with a progress bar; the totals."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from tickerpulse.jobs.cycle import STAGES, run_cycle

    totals = {"ran": 0, "skipped": 0, "documents": 0, "mentions": 0, "quarantined": 0}
    progress = Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[window]}"), TimeRemainingColumn(), console=_console(),
    )  # fmt: skip
    with progress:
        task = progress.add_task("cycles", total=len(windows), window="")
        for window in windows:
            progress.update(task, window=window.key)
            report = run_cycle(ctx, window, force=force, stages=stages or STAGES)
            skipped = all(s["status"] == "skipped" for s in report.stages.values())
            totals["skipped" if skipped else "ran"] += 1
            aggregate = report.stages.get("aggregate", {}).get("counts", {})
            totals["documents"] += aggregate.get("documents", 0)
            totals["mentions"] += aggregate.get("mentions", 0)
            totals["quarantined"] += (
                report.stages.get("normalize", {}).get("counts", {}).get("quarantined", 0)
            )
            progress.advance(task)
    return totals


def _serve(runtime: Runtime, port: int | None, *, seed_demo: bool = False) -> None:
    import uvicorn

    from tickerpulse.web.app import create_app
    from tickerpulse.web.server import server_options
    from tickerpulse.web.startup import DEMO_BANNER, UnsafeSettings, check_startup

    settings = runtime.settings
    port = port or settings.web_port
    if seed_demo:
        _seed_demo(runtime, port)
    try:
        check_startup(settings, runtime.engine)
    except UnsafeSettings as error:
        _console().print(f"[red]{error}[/]\nSee docs/security.md for the production checklist.")
        raise typer.Exit(2) from None
    if settings.demo_mode:
        _console().print(f"\n[bold red]{DEMO_BANNER}[/]")
    _console().print(
        f"\n[bold]Open http://{settings.web_host}:{port}/[/] — trending assets; click one for its"
        " price, 6-hour sentiment, mentions and whether sentiment relates to its returns."
        "\nAlso: /news (outlets, regions, asset classes), /compare?assets=BTC,ETH,"
        " /predictions (next-window calls and their record), /watchlist and /alerts (Premium),"
        " /live (Premium: live bars),"
        " /pricing, /account, /admin,"
        " /api/v1/docs (REST API)."
        "\nPress Ctrl+C to stop."
    )
    if settings.web_workers == 1:
        uvicorn.run(
            create_app(settings, runtime.engine), host=settings.web_host, port=port,
            log_level="warning", timeout_graceful_shutdown=3,  # open /live streams end on Ctrl+C
            **server_options(settings),
        )  # fmt: skip
        return
    # Several processes: each builds the app from the environment (web.app.app_from_env),
    # pointed at the database this process opened and in this process's mode.
    os.environ["DATABASE_URL"] = runtime.engine.url.render_as_string(hide_password=False)
    os.environ["DEMO_MODE"] = "true" if settings.demo_mode else "false"
    uvicorn.run(
        "tickerpulse.web.app:app_from_env", factory=True, workers=settings.web_workers,
        host=settings.web_host, port=port, log_level="warning", timeout_graceful_shutdown=3,
        **server_options(settings, workers=settings.web_workers),
    )  # fmt: skip


def _seed_demo(runtime: Runtime, port: int) -> None:
    """The demo's accounts (one per plan, editor, admin), Premium's watchlist and alerts."""
    from rich.table import Table

    from tickerpulse.platform.alert_delivery import AlertDelivery
    from tickerpulse.platform.crypto import password_hasher
    from tickerpulse.platform.demo_accounts import (
        DEMO_PASSWORD,
        seed_demo_accounts,
        seed_demo_alerts,
    )

    settings = runtime.settings
    table = Table(title=f"Demo accounts (password: {DEMO_PASSWORD})")
    table.add_column("E-mail")
    table.add_column("Plan or role")
    for email, plan in seed_demo_accounts(runtime.engine, password_hasher(settings)):
        table.add_row(email, plan)
    _console().print(table)
    site = settings.model_copy(update={"web_port": port})
    fired = seed_demo_alerts(runtime.engine, delivery=AlertDelivery.from_settings(site))
    _console().print(
        f"The Premium account has a watchlist and alert rules ({fired} new alerts):"
        " /watchlist, /alerts."
    )
    _console().print(
        "E-mails the site sends (sign-up, reset) are at /dev/outbox; their links show to"
        " the admin account."
    )


user_app = _commands("Accounts: add staff and administrators.")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option(help="The account's e-mail address.")],
    role: Annotated[str, typer.Option(help="user, editor or admin.")] = "admin",
) -> None:
    """Create a verified account; the password is asked for (not echoed)."""
    from datetime import datetime

    from sqlalchemy.orm import Session

    from tickerpulse.platform.accounts import AccountError, create_user
    from tickerpulse.platform.crypto import password_hasher

    if role not in ("user", "editor", "admin"):
        _console().print("[red]--role must be user, editor or admin[/]")
        raise typer.Exit(2)
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = _runtime()
    with Session(runtime.engine) as session:
        try:
            create_user(
                session, password_hasher(runtime.settings), email=email, password=password,
                now=datetime.now(UTC), role=role, verified=True,
            )  # fmt: skip
        except AccountError as error:
            _console().print(f"[red]{error}[/]")
            raise typer.Exit(1) from None
        session.commit()
    _console().print(f"[green]Added[/] {email} ({role}).")


@user_app.command("remove-demo")
def user_remove_demo() -> None:
    """Delete the demo's accounts (public password) so `tickerpulse serve` will start."""
    from sqlalchemy.orm import Session

    from tickerpulse.platform.accounts import delete_user, find_user
    from tickerpulse.platform.demo_accounts import DEMO_ACCOUNTS

    runtime = _runtime()
    removed = []
    with Session(runtime.engine) as session:
        for email, _, _ in DEMO_ACCOUNTS:
            user = find_user(session, email)
            if user is not None:
                delete_user(session, user)
                removed.append(email)
        session.commit()
    _console().print(
        f"[green]Removed[/] {len(removed)} demo accounts: {', '.join(removed) or '-'}."
    )


def run() -> None:
    """The ``tickerpulse`` script: the commands, with a missing extra said in one line."""
    from tickerpulse.extras import MissingExtra

    try:
        app()
    except MissingExtra as missing:
        sys.stderr.write(f"Error: {missing}\n")
        raise SystemExit(2) from None
