"""The simulated world: prices, posts and news with a planted, known truth.

Deterministic from a seed. For every asset of the universe it draws a latent
sentiment per 6-hour window (an AR(1) squashed into [-1, 1]) and an hourly
log-price path; posts and articles take their polarity from the latent
sentiment, and the latent sentiment of window t shifts the return of window
t+1 by ``beta`` (``beta = 0`` gives a null world). Every record is emitted in
its provider's real raw JSON shape, so the real normalizers read it, with the
mess real feeds have: ambiguous words, spam, duplicates, other languages and
corrupt lines. What each text truly mentions and means is kept beside it.

Each (source, window) is generated from its own random stream, so any window
can be produced alone, in any order, with identical output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from tickerpulse.domain import SOCIAL_SOURCES, Window
from tickerpulse.enrich.normalize import DOCUMENT_MAPPERS
from tickerpulse.markets import trades_in_hour
from tickerpulse.sources import _sim_text as vocab
from tickerpulse.universe import AssetInfo, Universe

SOURCES = (*SOCIAL_SOURCES, "news", "prices")
SOURCE_SHARE = {"reddit": 0.30, "x": 0.35, "telegram": 0.12, "facebook": 0.10, "instagram": 0.13}
TIME_OF_DAY = {0: 0.6, 6: 0.9, 12: 1.4, 18: 1.1}  # activity by window start hour (mean 1)
AR_PHI, AR_NOISE = 0.7, 0.7  # latent sentiment persistence and shock size
SECOND_ASSET_RATE = 0.15
NOISE_RATE = 0.12  # share of posts carrying a common-word-that-is-a-ticker sentence
HOURS_PER_YEAR = 24 * 365


@dataclass(frozen=True)
class WorldConfig:
    """Everything that determines a simulated world."""

    start: datetime = datetime(2026, 8, 3, tzinfo=UTC)
    seed: int = 7
    days: int = 90
    beta: float = 0.6
    posts_per_window: int = 600
    news_per_window: int = 80
    corrupt_rate: float = 0.002
    foreign_rate: float = 0.01
    duplicate_rate: float = 0.01
    spam_rate: float = 0.02


@dataclass
class _Generated:
    lines: list[bytes] = field(default_factory=list)
    truth: list[dict[str, Any]] = field(default_factory=list)


class SimulatedWorld:
    """A deterministic world of ``config.days`` days over the demo assets of ``universe``."""

    def __init__(self, config: WorldConfig, universe: Universe) -> None:
        self.config = config
        self.universe = universe
        self.assets: tuple[AssetInfo, ...] = universe.demo_assets()
        first = Window(config.start)
        self.windows: list[Window] = list(
            Window.between(first.start, first.start + timedelta(days=config.days))
        )
        self._index = {w.start: i for i, w in enumerate(self.windows)}
        rng = np.random.default_rng([config.seed, 0, 0])
        n_assets, n_windows = len(self.assets), len(self.windows)
        popularity = np.array([vocab.POPULARITY.get(a.symbol, 1.0) for a in self.assets])
        popularity = popularity * rng.lognormal(0.0, 0.2, n_assets)
        self._share = popularity / popularity.sum()
        self._latent = _latent_sentiment(rng, n_assets, n_windows)
        self._spike = np.where(
            rng.random((n_assets, n_windows)) < 0.03,
            rng.uniform(2.5, 5.0, (n_assets, n_windows)),
            1.0,
        )
        annual = np.array([vocab.ANNUAL_VOL[str(a.asset_class)] for a in self.assets])
        self._sigma_hour = annual / np.sqrt(HOURS_PER_YEAR)
        sigma_window = self._sigma_hour * np.sqrt(6)
        self._planted = config.beta * self._latent * sigma_window[:, None]
        self._log_price = self._price_path(rng)

    # --- public API -----------------------------------------------------------------------

    def raw_lines(self, source: str, window: Window) -> list[bytes]:
        """The landed lines of one source for one window, in the provider's raw shape."""
        return self._generate(source, window).lines

    def truth_documents(self, window: Window) -> pa.Table:
        """What every generated text truly mentions and means (corrupt lines excluded)."""
        rows = [row for s in (*SOCIAL_SOURCES, "news") for row in self._generate(s, window).truth]
        return pa.Table.from_pylist(
            rows,
            schema=pa.schema(
                [
                    ("doc_id", pa.string()),
                    ("source", pa.string()),
                    ("asset_ids", pa.list_(pa.string())),
                    ("polarity", pa.int8()),
                    ("spam", pa.bool_()),
                    ("duplicate", pa.bool_()),
                    ("foreign", pa.bool_()),
                ]
            ),
        )

    def truth_windows(self) -> pa.Table:
        """Latent sentiment per asset and window, and the drift it adds to the next window."""
        n_windows = len(self.windows)
        return pa.table(
            {
                "asset_id": [a.asset_id for a in self.assets for _ in range(n_windows)],
                "window_start": [w.start for _ in self.assets for w in self.windows],
                "latent_sentiment": self._latent.ravel().tolist(),
                "planted_effect": self._planted.ravel().tolist(),
                "beta": [self.config.beta] * (len(self.assets) * n_windows),
            }
        )

    # --- generation -----------------------------------------------------------------------

    def _generate(self, source: str, window: Window) -> _Generated:
        if source not in SOURCES:
            raise ValueError(f"the simulated world has no source {source!r}")
        w = self._index[window.start]
        rng = np.random.default_rng([self.config.seed, w + 1, SOURCES.index(source) + 1])
        if source == "prices":
            return _Generated(lines=self._price_lines(window, w, rng))
        if source == "news":
            return self._news(window, w, rng)
        return self._social(source, window, w, rng)

    def _social(self, source: str, window: Window, w: int, rng: np.random.Generator) -> _Generated:
        cfg = self.config
        expected = (
            cfg.posts_per_window
            * self._share
            * TIME_OF_DAY[window.start.hour]
            * self._spike[:, w]
            * SOURCE_SHARE[source]
        )
        counts = rng.poisson(expected)
        subjects = np.repeat(np.arange(len(self.assets)), counts)
        rng.shuffle(subjects)
        offsets = np.sort(rng.uniform(0, 6 * 3600, len(subjects)))
        out = _Generated()
        for k, (a, offset) in enumerate(zip(subjects, offsets, strict=True)):
            created = window.start + timedelta(seconds=float(offset))
            roll = rng.random()
            if roll < cfg.spam_rate:
                picked = self._pick(rng, 3 + int(rng.integers(0, 3)))
                # spam shills cashtags; a draw of only FX pairs shills the window's subject
                assets = [x for x in picked if x.asset_class != "fx"] or [self.assets[a]]
                text = str(rng.choice(vocab.SPAM_TEMPLATES)).format(
                    m=" ".join(f"${x.symbol}" for x in assets)
                )
                polarity, spam, foreign = 1, True, False
            elif roll < cfg.spam_rate + cfg.foreign_rate:
                assets = [self.assets[a]]
                text = str(rng.choice(vocab.FOREIGN_TEMPLATES)).format(m=_cashtag(assets[0]))
                polarity, spam, foreign = 1, False, True
            else:
                assets, text, polarity = self._post_text(rng, int(a), w)
                spam = foreign = False
            item, context = _SOCIAL_ITEMS[source](
                self, rng, window, w, k, created, text, assets, foreign
            )
            self._emit(out, rng, source, item, context, created, assets, polarity, spam, foreign)
        return out

    def _post_text(
        self, rng: np.random.Generator, a: int, w: int
    ) -> tuple[list[AssetInfo], str, int]:
        asset = self.assets[a]
        polarity = _draw_polarity(rng, float(self._latent[a, w]))
        assets = [asset]
        mention = _mention_form(rng, asset)
        if rng.random() < SECOND_ASSET_RATE:
            other = self._pick(rng, 1)[0]
            if other.asset_id != asset.asset_id:
                assets.append(other)
                mention = f"{mention} and {_mention_form(rng, other)}"
        text = str(rng.choice(vocab.SOCIAL_TEMPLATES[polarity])).format(m=mention)
        if rng.random() < NOISE_RATE:
            noise = str(rng.choice(vocab.AMBIGUOUS_NOISE))
            text = f"{noise} {text}" if rng.random() < 0.5 else f"{text} {noise}"
        if rng.random() < 0.3:
            text += str(rng.choice(vocab.DECORATIONS))
        return assets, text, polarity

    def _news(self, window: Window, w: int, rng: np.random.Generator) -> _Generated:
        count = int(rng.poisson(self.config.news_per_window * TIME_OF_DAY[window.start.hour]))
        offsets = np.sort(rng.uniform(0, 6 * 3600, count))
        out = _Generated()
        for k, offset in enumerate(offsets):
            outlet, coverage = vocab.NEWS_OUTLETS[int(rng.integers(len(vocab.NEWS_OUTLETS)))]
            covered = [i for i, x in enumerate(self.assets) if str(x.asset_class) in coverage]
            weights = self._share[covered] / self._share[covered].sum()
            a = int(rng.choice(covered, p=weights))
            asset = self.assets[a]
            polarity = _draw_polarity(rng, float(self._latent[a, w]))
            name = _news_name(asset)
            kind = vocab.NEWS_KIND[str(asset.asset_class)]
            created = window.start + timedelta(seconds=float(offset))
            link = f"https://www.{outlet}.example/markets/{window.key.lower()}-{k}-{asset.symbol.lower()}"
            item = {
                "id": link,
                "title": str(rng.choice(vocab.NEWS_HEADLINES[kind][polarity])).format(m=name),
                "link": link,
                "summary": f"{_news_subject(asset)} {vocab.NEWS_SUMMARIES[kind][polarity]}",
                "published": format_datetime(created.replace(microsecond=0)),
            }
            context = {"outlet": outlet, "feed_url": f"https://www.{outlet}.example/rss"}
            self._emit(out, rng, "news", item, context, created, [asset], polarity, False, False)
        return out

    def _emit(
        self,
        out: _Generated,
        rng: np.random.Generator,
        source: str,
        item: dict[str, Any],
        context: dict[str, Any],
        created: datetime,
        assets: list[AssetInfo],
        polarity: int,
        spam: bool,
        foreign: bool,
    ) -> None:
        fetched = created + timedelta(minutes=5)
        # marked simulated: its permalink leads nowhere, so the pages give it no link
        context = {**context, "simulated": True}
        envelope = {"fetched_at": fetched.isoformat(), "context": context, "item": item}
        if rng.random() < self.config.corrupt_rate:
            out.lines.append(_corrupt(rng, source, envelope))
            return
        line = orjson.dumps(envelope)
        duplicate = bool(rng.random() < self.config.duplicate_rate)
        out.lines.extend([line, line] if duplicate else [line])
        out.truth.append(
            {
                "doc_id": DOCUMENT_MAPPERS[source](item, context)["doc_id"],
                "source": source,
                "asset_ids": sorted({a.asset_id for a in assets}),
                "polarity": polarity,
                "spam": spam,
                "duplicate": duplicate,
                "foreign": foreign,
            }
        )

    def _pick(self, rng: np.random.Generator, n: int) -> list[AssetInfo]:
        chosen = rng.choice(len(self.assets), size=n, replace=False, p=self._share)
        return [self.assets[int(i)] for i in chosen]

    # --- prices ---------------------------------------------------------------------------

    def _price_path(self, rng: np.random.Generator) -> np.ndarray:
        """Hourly log prices, 24/7, with the planted drift in every hour of window t+1."""
        n_assets, n_windows = self._latent.shape
        shocks = rng.normal(0.0, 1.0, (n_assets, n_windows * 6))
        drift = np.zeros((n_assets, n_windows * 6))
        drift[:, 6:] = np.repeat(self._planted[:, :-1] / 6, 6, axis=1)
        sigma = self._sigma_hour[:, None]
        log_returns = sigma * shocks + drift - 0.5 * sigma**2
        start = np.log([vocab.START_PRICES.get(a.symbol, 100.0) for a in self.assets])
        path = np.concatenate([np.zeros((n_assets, 1)), np.cumsum(log_returns, axis=1)], axis=1)
        return path + start[:, None]

    def _price_lines(self, window: Window, w: int, rng: np.random.Generator) -> list[bytes]:
        lines = []
        fetched = window.end.isoformat()
        for a, asset in enumerate(self.assets):
            columns: dict[str, list[float | int]] = {k: [] for k in ("c", "h", "l", "o", "t", "v")}
            for hour in range(6):
                ts = window.start + timedelta(hours=hour)
                if not trades_in_hour(str(asset.asset_class), ts):
                    continue
                h = w * 6 + hour
                open_, close = np.exp(self._log_price[a, h : h + 2])
                wiggle = np.exp(np.abs(rng.normal(0, self._sigma_hour[a] * 0.5, 2)))
                columns["o"].append(_round(open_))
                columns["c"].append(_round(close))
                columns["h"].append(_round(max(open_, close) * wiggle[0]))
                columns["l"].append(_round(min(open_, close) / wiggle[1]))
                columns["t"].append(int(ts.timestamp()))
                columns["v"].append(float(round(rng.lognormal(12, 0.5))))
            item: dict[str, Any] = {**columns, "s": "ok"} if columns["t"] else {"s": "no_data"}
            context = {"asset_id": asset.asset_id, "symbol": asset.symbol, "resolution": "60"}
            lines.append(orjson.dumps({"fetched_at": fetched, "context": context, "item": item}))
        return lines


def _latent_sentiment(rng: np.random.Generator, n_assets: int, n_windows: int) -> np.ndarray:
    shocks = rng.normal(0.0, AR_NOISE, (n_assets, n_windows))
    state = np.zeros((n_assets, n_windows))
    state[:, 0] = shocks[:, 0]
    for t in range(1, n_windows):
        state[:, t] = AR_PHI * state[:, t - 1] + shocks[:, t]
    return np.tanh(state)


def _draw_polarity(rng: np.random.Generator, latent: float) -> int:
    if rng.random() < 0.3:
        return 0
    bullish = 1.0 / (1.0 + np.exp(-3.0 * latent))
    return 1 if rng.random() < bullish else -1


def _cashtag(asset: AssetInfo) -> str:
    return f"${asset.symbol}" if asset.asset_class != "fx" else asset.symbol


def _mention_form(rng: np.random.Generator, asset: AssetInfo) -> str:
    """One of the ways people write this asset, all of which a good tagger should catch."""
    symbol = asset.symbol
    names = [n for n in asset.aliases if "/" not in n]
    if asset.asset_class == "fx":
        forms = [symbol, f"{symbol[:3]}/{symbol[3:]}", *(f"the {n}" for n in names)]
    else:
        forms = [f"${symbol}", *names]
        if not asset.ambiguous and len(symbol) >= 2:
            forms.append(f"{symbol} {rng.choice(vocab.CONTEXT_WORDS)}")
        if asset.asset_class == "crypto":
            forms.extend(n.lower() for n in names)
        elif names:
            forms.append(f"{names[0]}'s")
    return str(rng.choice(forms))


def _news_name(asset: AssetInfo) -> str:
    names = [n for n in asset.aliases if "/" not in n]
    if asset.asset_class == "fx":
        return f"{asset.symbol[:3]}/{asset.symbol[3:]}"
    return names[0] if names else asset.name


def _news_subject(asset: AssetInfo) -> str:
    if asset.asset_class == "fx":
        return f"The {asset.symbol[:3]}/{asset.symbol[3:]} pair moved in London trading."
    return f"{_news_name(asset)} ({asset.symbol}) was in focus."


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _id36(rng: np.random.Generator) -> str:
    n = int(rng.integers(36**6, 36**7))
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out


def _author(rng: np.random.Generator, source: str) -> str:
    return f"{source}_user{int(rng.zipf(1.6)) % 5000}"


def _channel(rng: np.random.Generator, table: dict[str, tuple[str, ...]], asset: AssetInfo) -> str:
    return str(rng.choice(table[str(asset.asset_class)]))


def _reddit_item(
    world: SimulatedWorld, rng: np.random.Generator, window: Window, w: int, k: int,
    created: datetime, text: str, assets: list[AssetInfo], foreign: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    post_id = _id36(rng)
    subreddit = _channel(rng, vocab.SUBREDDITS, assets[0])
    data: dict[str, Any] = {
        "id": post_id,
        "subreddit": subreddit,
        "author": _author(rng, "reddit"),
        "created_utc": round(created.timestamp(), 3),
        "score": int(rng.integers(0, 500)),
        "permalink": f"/r/{subreddit}/comments/{post_id}/",
    }
    if rng.random() < 0.4:
        data.update(name=f"t1_{post_id}", body=text, link_id=f"t3_{_id36(rng)}")
        return {"kind": "t1", "data": data}, {}
    data.update(
        name=f"t3_{post_id}", title=text, selftext="", num_comments=int(rng.integers(0, 200)),
        url=f"https://www.reddit.com/r/{subreddit}/comments/{post_id}/",
    )  # fmt: skip
    return {"kind": "t3", "data": data}, {}


def _x_item(
    world: SimulatedWorld, rng: np.random.Generator, window: Window, w: int, k: int,
    created: datetime, text: str, assets: list[AssetInfo], foreign: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    author = _author(rng, "x")
    author_id = str(int(hashlib.sha1(author.encode()).hexdigest()[:12], 16))
    snowflake = ((int(created.timestamp() * 1000) - 1288834974657) << 22) + int(
        rng.integers(0, 2**22)
    )
    item = {
        "id": str(snowflake),
        "text": text,
        "author_id": author_id,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{created.microsecond // 1000:03d}Z",
        "lang": str(rng.choice(["es", "ru", "zh", "de"])) if foreign else "en",
        "public_metrics": {
            "retweet_count": int(rng.integers(0, 50)),
            "reply_count": int(rng.integers(0, 20)),
            "like_count": int(rng.integers(0, 300)),
            "quote_count": int(rng.integers(0, 10)),
        },
    }
    return item, {"author": {"id": author_id, "username": author, "name": author.title()}}


def _telegram_item(
    world: SimulatedWorld, rng: np.random.Generator, window: Window, w: int, k: int,
    created: datetime, text: str, assets: list[AssetInfo], foreign: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    channel = _channel(rng, vocab.TELEGRAM_CHANNELS, assets[0])
    chat_id = -1000000000000 - int(hashlib.sha1(channel.encode()).hexdigest()[:8], 16)
    item = {
        "message_id": (w + 1) * 100000 + k,
        "date": int(created.timestamp()),
        "chat": {"id": chat_id, "title": channel.replace("_", " ").title(), "username": channel,
                 "type": "channel"},
        "text": text,
    }  # fmt: skip
    return item, {}


def _facebook_item(
    world: SimulatedWorld, rng: np.random.Generator, window: Window, w: int, k: int,
    created: datetime, text: str, assets: list[AssetInfo], foreign: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    page = _channel(rng, vocab.FACEBOOK_PAGES, assets[0])
    page_id = str(100000000000 + int(hashlib.sha1(page.encode()).hexdigest()[:8], 16))
    post_id = f"{page_id}_{(w + 1) * 100000 + k}"
    item = {
        "id": post_id,
        "message": text,
        "created_time": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink_url": f"https://www.facebook.com/{page_id}/posts/{post_id.split('_')[1]}",
        "from": {"name": page, "id": page_id},
        "shares": {"count": int(rng.integers(0, 40))},
        "reactions": {"summary": {"total_count": int(rng.integers(0, 400))}},
    }
    return item, {"page": page}


def _instagram_item(
    world: SimulatedWorld, rng: np.random.Generator, window: Window, w: int, k: int,
    created: datetime, text: str, assets: list[AssetInfo], foreign: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    tag = _channel(rng, vocab.INSTAGRAM_TAGS, assets[0])
    media_id = str(17800000000000000 + (w + 1) * 100000 + k)
    item = {
        "id": media_id,
        "caption": f"{text} #{tag}",
        "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "permalink": f"https://www.instagram.com/p/{_id36(rng)}/",
        "media_type": "IMAGE",
        "like_count": int(rng.integers(0, 2000)),
        "comments_count": int(rng.integers(0, 100)),
    }
    return item, {"hashtag": tag}


_SOCIAL_ITEMS = {
    "reddit": _reddit_item,
    "x": _x_item,
    "telegram": _telegram_item,
    "facebook": _facebook_item,
    "instagram": _instagram_item,
}

# Where each provider keeps its timestamp and its identity, for realistic corruption.
_TIME_FIELD = {"reddit": ("data", "created_utc"), "x": "created_at", "telegram": "date",
               "facebook": "created_time", "instagram": "timestamp",
               "news": "published"}  # fmt: skip
_ID_FIELD = {"reddit": ("data", "name"), "x": "id", "telegram": "chat", "facebook": "id",
             "instagram": "id", "news": "title"}  # fmt: skip


def _corrupt(rng: np.random.Generator, source: str, envelope: dict[str, Any]) -> bytes:
    """A broken line: truncated JSON, a missing field, or a field of the wrong type."""
    mode = int(rng.integers(3))
    if mode == 0:
        line = orjson.dumps(envelope)
        return line[: len(line) // 2]
    item = dict(envelope["item"])
    target = _ID_FIELD[source] if mode == 1 else _TIME_FIELD[source]
    holder = item
    if isinstance(target, tuple):
        holder = item[target[0]] = dict(item[target[0]])
        target = target[1]
    if mode == 1:
        holder.pop(target, None)
    else:
        holder[target] = "yesterday" if source != "reddit" else "1 hour ago"
    return orjson.dumps({**envelope, "item": item})
