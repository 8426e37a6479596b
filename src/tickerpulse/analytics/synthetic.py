"""A fast synthetic panel shaped like the simulated world, for tests and benchmarks.

The simulated world (:mod:`tickerpulse.sources.simulator`) writes every post
as raw provider JSON, which is right for testing the whole pipeline but far
too slow for 500 assets × 2 years. This module draws the *panel* directly from
the same generative story — an AR(1) latent sentiment squashed into [-1, 1],
mention counts with popularity, time-of-day activity and rare spikes, measured
sentiment that is the latent tone plus sampling noise shrinking with the number
of posts, and returns whose next-window drift is ``beta`` × latent × volatility
(``beta = 0`` is a null world) — in a few vectorised steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from tickerpulse.analytics.panel import PANEL_COLUMNS
from tickerpulse.domain import WINDOW

AR_PHI, AR_NOISE = 0.7, 0.7
TIME_OF_DAY = np.array([0.6, 0.9, 1.4, 1.1])  # activity by window of the day (00/06/12/18)


@dataclass(frozen=True)
class SyntheticConfig:
    """What determines a synthetic panel."""

    n_assets: int = 40
    n_windows: int = 360
    beta: float = 0.6
    seed: int = 0
    social_per_window: float = 15.0
    news_per_window: float = 2.0
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)


def synthetic_panel(config: SyntheticConfig) -> pd.DataFrame:
    """A complete-grid panel (see :mod:`.panel`) drawn from the synthetic world."""
    rng = np.random.default_rng(config.seed)
    shape = (config.n_assets, config.n_windows)
    latent = _latent(rng, shape)
    popularity = rng.lognormal(0.0, 0.8, (config.n_assets, 1))
    activity = np.tile(TIME_OF_DAY, config.n_windows // 4 + 1)[: config.n_windows]
    spike = np.where(rng.random(shape) < 0.03, rng.uniform(2.5, 5.0, shape), 1.0)
    social = rng.poisson(config.social_per_window * popularity * activity * spike)
    news = rng.poisson(config.news_per_window * popularity * activity * np.sqrt(spike))
    columns: dict[str, np.ndarray] = {}
    for name, count in (("social", social), ("news", news)):
        tone, bull, bear = _measured_tone(rng, latent, count)
        columns |= {
            f"mentions_{name}": count.astype("float64"),
            f"sentiment_{name}": tone,
            f"bull_share_{name}": bull,
            f"bear_share_{name}": bear,
        }
    sigma = rng.choice([0.004, 0.008, 0.02, 0.03], size=(config.n_assets, 1))
    drift = np.zeros(shape)
    drift[:, 1:] = config.beta * latent[:, :-1] * sigma
    log_returns = sigma * rng.standard_normal(shape) + drift - 0.5 * sigma**2
    columns["return_pct"] = np.expm1(log_returns)
    columns["close"] = 100.0 * np.exp(np.cumsum(log_returns, axis=1))
    windows = pd.date_range(config.start, periods=config.n_windows, freq=WINDOW)
    assets = [f"SYN{i:04d}" for i in range(config.n_assets)]
    frame = pd.DataFrame(
        {
            "asset_id": np.repeat(assets, config.n_windows),
            "window_start": np.tile(windows, config.n_assets),
            **{k: v.ravel() for k, v in columns.items()},
        }
    )
    frame["window_start"] = frame["window_start"].astype("datetime64[us, UTC]")
    return frame[list(PANEL_COLUMNS)]


def _latent(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    shocks = rng.normal(0.0, AR_NOISE, shape)
    state = np.zeros(shape)
    state[:, 0] = shocks[:, 0]
    for t in range(1, shape[1]):
        state[:, t] = AR_PHI * state[:, t - 1] + shocks[:, t]
    return np.tanh(state)


def _measured_tone(
    rng: np.random.Generator, latent: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean score of ``count`` posts whose polarity follows ``latent``, as a lexicon would see.

    Each post is neutral with probability 0.3, else bullish with probability
    σ(3·latent); the bull count is drawn binomially and the mean score gets
    per-post noise, so few posts give a noisy reading and none gives NaN.
    """
    opinionated = rng.binomial(count, 0.7)
    bullish = rng.binomial(opinionated, 1.0 / (1.0 + np.exp(-3.0 * latent)))
    bearish = opinionated - bullish
    safe = np.maximum(count, 1)
    noise = rng.normal(0.0, 0.3, count.shape) / np.sqrt(safe)
    tone = np.clip(0.6 * (bullish - bearish) / safe + noise, -1.0, 1.0)
    empty = count == 0
    return (
        np.where(empty, np.nan, tone),
        np.where(empty, np.nan, bullish / safe),
        np.where(empty, np.nan, bearish / safe),
    )
