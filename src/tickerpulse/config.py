"""Settings: the one place configuration is read, from the environment and ``.env``.

Everything has a default, so the demo needs nothing; the web server outside
demo mode needs ``SECRET_KEY`` (see ``web/startup.py`` and docs/security.md).
Connectors, jobs and the web app never read ``os.environ``: a ``Settings``
object is built once at start-up and passed in.

Each field is read from the upper-case environment variable of its name, or of
its ``validation_alias`` alone: never from a field name that is also a common
variable of the shell (``home`` is ``TICKERPULSE_HOME``, not ``HOME``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Names = Annotated[list[str], NoDecode]
"""A list given in the environment as comma-separated names."""
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
"""Host names a server answers to when neither ALLOWED_HOSTS nor PUBLIC_URL says otherwise."""


class Settings(BaseSettings):
    """Validated configuration; each field maps to the upper-case environment variable."""

    # No populate_by_name: with it, pydantic-settings also reads an aliased field from the
    # environment variable of its *name* (case-insensitively), so HOME set the home folder.
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

    sentiment_model: str = Field(
        default="default",
        description="Sentiment model of the cycle and CLI (`tickerpulse sentiment --help`).",
    )
    sentiment_data: Path = Field(
        default=Path("../shared/data/sentiment"),
        description="Labelled sentiment data for training and `make eval` (not to score).",
    )

    sources: Names = Field(
        default=["simulated"],
        description="Sources the cycle lands: 'simulated' (the demo world) or real source names.",
    )
    source_request_budget: int = Field(
        default=500, ge=1, description="Most HTTP requests one source may send in one cycle."
    )
    catchup_hours: int = Field(
        default=48,
        ge=6,
        description="Windows missed (machine down, failures) within this many hours are caught up.",
    )
    cycle_retry_attempts: int = Field(
        default=3, ge=1, description="Tries of a failing window before the scheduler gives up."
    )
    cycle_retry_wait_seconds: float = Field(
        default=30.0, ge=0, description="Pause before the first retry; each next one is 4x longer."
    )
    scheduler_delay_minutes: int = Field(
        default=5,
        ge=0,
        le=300,
        description="Minutes after 00/06/12/18 UTC the scheduled cycle starts (late posts).",
    )
    max_text_chars: int = Field(
        default=100_000,
        ge=1_000,
        description="Longest title or text a document may have; longer ones are quarantined.",
    )
    page_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        description=(
            "How long anonymous pages and the views behind every page are reused, and (up to"
            " 5 s) signed-in readers' lookups (0: all off)."
        ),
    )
    price_sources: Names = Field(
        default=["ibkr", "finnhub", "alphavantage", "prices"],
        description=(
            "Price sources in order of preference: per asset and window the first one with"
            " hourly bars is used, the next ones are fallbacks ('prices' is the simulator)."
        ),
    )

    reddit_client_id: str | None = None
    reddit_client_secret: SecretStr | None = None
    reddit_user_agent: str = "python:tickerpulse:0.1 (by /u/tickerpulse)"
    reddit_subreddits: Names = Field(
        default=[
            "wallstreetbets", "stocks", "investing", "StockMarket", "options", "pennystocks",
            "SecurityAnalysis", "ValueInvesting", "dividends", "cryptocurrency", "CryptoMarkets",
            "Bitcoin", "ethereum", "ethtrader", "solana", "Forex", "economics",
        ]
    )  # fmt: skip
    reddit_api_url: str = "https://oauth.reddit.com"
    reddit_auth_url: str = "https://www.reddit.com/api/v1/access_token"

    x_bearer_token: SecretStr | None = None
    x_api_url: str = "https://api.x.com/2"
    x_query_max_length: int = Field(
        default=512, ge=64, description="Longest search query the X plan allows (512 basic)."
    )

    telegram_channels: Names = Field(
        default=[
            "whale_alert_io", "WatcherGuru", "cointelegraph", "CoinDeskGlobal",
            "the_block_crypto", "wublockchainenglish", "binance_announcements", "financialjuice",
            "WalterBloomberg", "WallStreetSilver",
        ],
        description="Public channel usernames (English finance/crypto news by default; editable).",
    )  # fmt: skip
    telegram_web_url: str = "https://t.me"
    telegram_max_pages: int = Field(
        default=25, ge=1, description="Most preview pages (~20 messages each) per channel per run."
    )
    telegram_bot_token: SecretStr | None = None
    telegram_bot_api_url: str = "https://api.telegram.org"

    alphavantage_api_key: SecretStr | None = None
    alphavantage_base_url: str = "https://www.alphavantage.co/query"
    alphavantage_daily_budget: int = Field(
        default=25, ge=1, description="Requests per UTC day (25 on the free plan)."
    )
    alphavantage_symbols: Names = Field(
        default=["AAPL", "MSFT", "NVDA", "TSLA", "crypto:BTC", "fx:EURUSD"],
        description="Fallback priority when the marts have no mention counts yet.",
    )

    finnhub_api_key: SecretStr | None = None
    finnhub_base_url: str = "https://finnhub.io/api/v1"
    finnhub_symbols: Names = Field(
        default=["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "SPY", "crypto:BTC", "crypto:ETH",
                 "fx:EURUSD"],
        description="Universe symbols or asset ids whose news and candles Finnhub lands.",
    )  # fmt: skip
    finnhub_news_categories: Names = Field(default=["general", "forex", "crypto"])
    finnhub_crypto_exchange: str = "BINANCE"
    finnhub_calls_per_minute: int = Field(default=60, ge=1, le=1800)

    ibkr_enabled: bool = Field(
        default=False, description="Land bars from a running IB Gateway (see docs/ibkr.md)."
    )
    ibkr_host: str = "127.0.0.1"
    ibkr_port: int = Field(default=4002, description="4002 Gateway paper, 4001 live; TWS 7497.")
    ibkr_client_id: int = 17
    ibkr_symbols: Names = Field(
        default=[], description="Asset ids to fetch; empty: the universe's demo assets."
    )

    graph_api_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v24.0"
    facebook_access_token: SecretStr | None = None
    facebook_pages: Names = Field(default=[], description="Facebook page ids or usernames.")
    instagram_access_token: SecretStr | None = None
    instagram_user_id: str | None = Field(
        default=None, description="Instagram professional account id that runs hashtag search."
    )
    instagram_hashtags: Names = Field(
        default=["stocks", "investing", "bitcoin", "crypto", "forex", "stockmarket"]
    )

    news_catalog: Path | None = Field(
        default=None, description="CSV of news outlets replacing the shipped catalog."
    )
    news_outlets: Names = Field(
        default=[], description="Outlet ids to fetch; default: every enabled outlet."
    )

    demo_mode: bool = Field(
        default=False,
        description=(
            "Demo conveniences: sandbox payments, the /dev/outbox page, the demo accounts and"
            " cookies over plain HTTP. `tickerpulse demo` sets it; never on a public server."
        ),
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Signs CSRF tokens; required by the web server outside demo mode (the demo keeps"
            " a random one in <home>/secret_key)."
        ),
    )
    public_url: str | None = Field(
        default=None,
        description=(
            "The site's public base URL (https://…): e-mailed links, and its host is allowed."
            " Unset: links use the request's (allowed) host."
        ),
    )
    allowed_hosts: Names = Field(
        default=[],
        description=(
            "Host names the web server answers to (others get 400, against DNS rebinding);"
            " empty: localhost names. PUBLIC_URL's host is always allowed."
        ),
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Cookies only over HTTPS, with the __Host- prefix; default: on unless demo.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description=(
            "Let alert webhooks reach loopback and private addresses over plain HTTP: for"
            " tests and the demo only (the web server refuses it outside demo mode)."
        ),
    )
    webhook_send_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often the web server sends due alert webhooks (0: it does not).",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://user:pass@host:port (smtps:// TLS); unset: e-mail stays in the outbox.",
    )
    mail_from: str = "tickerpulse <no-reply@tickerpulse.local>"
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19456, ge=8192)
    argon2_parallelism: int = Field(default=1, ge=1)
    login_free_failures: int = Field(
        default=5,
        ge=1,
        description=(
            "Failed sign-ins per address from one IP before each next try there waits"
            " (1 s, doubling); never a lock: the owner elsewhere is not slowed."
        ),
    )
    login_ip_free_failures: int = Field(
        default=20,
        ge=1,
        description=(
            "Failed sign-ins from one IP (any address) before its tries wait too; addresses"
            " that signed in from that IP before are spared."
        ),
    )
    login_max_wait_seconds: int = Field(
        default=900, ge=1, description="Longest wait the doubling reaches."
    )
    signups_per_ip_hour: int = Field(
        default=10, ge=1, description="Sign-ups per IP and hour; more are answered 429."
    )
    account_mails_per_ip_hour: int = Field(
        default=20,
        ge=1,
        description="Password-reset and confirmation requests per IP and hour; more get 429.",
    )
    account_mails_per_address_hour: int = Field(
        default=5,
        ge=1,
        description=(
            "E-mails per address and hour from sign-up, reset and resend; beyond it, silently"
            " none (the answer stays the same)."
        ),
    )
    session_idle_hours: float = Field(
        default=12.0, gt=0, description="A session unused this long ends (besides its 14 days)."
    )
    payment_provider: Literal["none", "sandbox", "stripe"] | None = Field(
        default=None,
        description=(
            "stripe: Stripe Checkout; none: no payments (checkout says so); sandbox: a local"
            " fake checkout, demo mode only. Default: sandbox in demo mode, else none."
        ),
    )
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, description="whsec_… of the webhook endpoint (required with stripe)."
    )
    stripe_api_url: str | None = Field(
        default=None, description="Override of https://api.stripe.com (tests only)."
    )
    stripe_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a call to Stripe may take before it fails."
    )
    stripe_price_pro: str = "price_sandbox_pro"
    stripe_price_premium: str = "price_sandbox_premium"
    billing_grace_days: int = Field(
        default=7, ge=0, description="Days a failed payment keeps the paid tier before Free."
    )
    tier_overrides: dict[str, str] = Field(
        default={},
        description='Feature → minimum tier over the default matrix, e.g. {"news": "free"}.',
    )
    api_requests_per_minute: dict[str, int] = Field(
        default={"free": 0, "pro": 0, "premium": 120},
        description="REST API requests per key and minute by tier (0: no API).",
    )
    stream_symbols: Names = Field(
        default=["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "SPY", "BINANCE:BTCUSDT",
                 "BINANCE:ETHUSDT"],
        description="Symbols `tickerpulse stream` subscribes to, in Finnhub's names.",
    )  # fmt: skip
    finnhub_ws_url: str = Field(
        default="wss://ws.finnhub.io",
        description="Finnhub's trades websocket; used when FINNHUB_API_KEY is set.",
    )
    stream_replay_rate: float = Field(
        default=50.0,
        gt=0,
        description="Trades per second of the local replay feed (no FINNHUB_API_KEY: the demo).",
    )
    stream_warmup_minutes: int = Field(
        default=60,
        ge=0,
        description="Minutes of replay history put on the bus at once before the live replay.",
    )
    live_heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="Seconds between heartbeats on an idle /live/stream."
    )
    live_stream_max_seconds: float = Field(
        default=600.0,
        ge=0,
        description="A /live/stream ends after this long (browsers reconnect); 0: snapshot only.",
    )
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_max_in_flight: int = Field(
        default=2,
        ge=0,
        description=(
            "Requests each web process works on at once; more wait their turn (0: no limit)."
            " A few at a time keeps each answer fast instead of all of them slow."
        ),
    )
    web_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 above)."
    )
    web_body_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Time a client has to send a request's whole body (408 after); read before"
        " the request takes a place, so slow senders never hold one.",
    )
    web_header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time a client has to send a request's headers."
    )
    web_stuck_seconds: float = Field(
        default=30.0,
        gt=0,
        description="/healthz answers 503 when every request place has been held this long.",
    )
    web_trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Addresses whose X-Forwarded-For/-Proto headers are believed ('*': any;"
        " behind Cloud Run or a load balancer).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics asks for; unset: /metrics is off (404).",
    )
    web_workers: int = Field(
        default=1,
        ge=1,
        description=(
            "Web server processes (one per core pays under load). Each keeps its own caches"
            " and API rate-limit counters, so a key's per-minute budget is per process."
        ),
    )
    log_json: bool | None = Field(
        default=None, description="JSON logs; default: JSON when stderr is not a terminal."
    )

    @model_validator(mode="before")
    @classmethod
    def _home_by_field_name(cls, data: Any) -> Any:
        """``Settings(home=…)`` still works in code (only the environment is not read as HOME)."""
        if isinstance(data, dict) and "home" in data:
            data = dict(data)
            data["TICKERPULSE_HOME"] = data.pop("home")
        return data

    @field_validator(
        "allowed_hosts",
        "sources",
        "price_sources",
        "reddit_subreddits",
        "telegram_channels",
        "finnhub_symbols",
        "stream_symbols",
        "alphavantage_symbols",
        "ibkr_symbols",
        "finnhub_news_categories",
        "facebook_pages",
        "instagram_hashtags",
        mode="before",
    )
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @cached_property
    def home_dir(self) -> Path:
        """The home folder as an absolute path."""
        return self.home.expanduser().resolve()

    @property
    def pg_dir(self) -> Path:
        """Where embedded Postgres keeps its data."""
        return self.home_dir / "pg"

    @property
    def cache_dir(self) -> Path:
        """Files that are rebuilt when missing or stale (the tagger's automaton): <home>/cache."""
        return self.home_dir / "cache"

    @property
    def lake_root(self) -> str:
        """The lake's fsspec URL or local path."""
        return self.lake_url or str(self.home_dir / "lake")

    @property
    def site_url(self) -> str:
        """The site's base URL for links in e-mails: ``PUBLIC_URL`` or the local server's."""
        return self.public_url or f"http://{self.web_host}:{self.web_port}"

    @property
    def payments(self) -> Literal["none", "sandbox", "stripe"]:
        """The payment provider in force: ``PAYMENT_PROVIDER``, else sandbox in demo mode."""
        if self.payment_provider is not None:
            return self.payment_provider
        return "sandbox" if self.demo_mode else "none"

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies are HTTPS-only (``__Host-`` names): ``COOKIE_SECURE``, else not demo."""
        return self.cookie_secure if self.cookie_secure is not None else not self.demo_mode

    @property
    def trusted_hosts(self) -> list[str]:
        """Host names the web server answers to: ALLOWED_HOSTS (or localhost's) + PUBLIC_URL's."""
        hosts = list(self.allowed_hosts or LOCAL_HOSTS)
        public_host = urlsplit(self.public_url).hostname if self.public_url else None
        if public_host and ":" in public_host:  # an IPv6 literal, as a Host header writes it
            public_host = f"[{public_host}]"
        if public_host and public_host not in hosts:
            hosts.append(public_host)
        return hosts
