"""How our news sentiment compares with the score a provider publishes for the same article.

Alpha Vantage's news feed carries its own ``overall_sentiment_score`` (−1 … +1),
kept on the published document as ``provider_sentiment``. For the articles that
have both, this module reports, per outlet and overall, the two mean scores and
how often they point the same way: each score reads as bearish (< −0.15),
neutral or bullish (> +0.15), the neutral band of our labels and of Alpha
Vantage's, and *agreement* is the share of articles where the two directions
match. Pearson's r of the two scores is given too (None for fewer than three
articles or when one side never varies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tickerpulse.db.models import MartDocument

NEUTRAL_BAND = 0.15
"""Scores within ±0.15 are neutral, for both sides (our labels and Alpha Vantage's)."""
MIN_FOR_R = 3
PROVIDER_LABELS = {"alphavantage": "Alpha Vantage"}


@dataclass(frozen=True)
class AgreementRow:
    """Our score and a provider's on the same articles, for one outlet or overall."""

    outlet: str | None
    """The outlet as the provider names it; None for the overall row."""
    articles: int
    ours: float
    theirs: float
    agreement: float
    """Share (0–1) of articles where both scores point the same way."""
    r: float | None


def _direction(score: InstrumentedAttribute[float | None]) -> ColumnElement[int]:
    return case((score > NEUTRAL_BAND, 1), (score < -NEUTRAL_BAND, -1), else_=0)


def provider_agreement(
    session: Session, *, since: datetime, source: str = "alphavantage", limit: int = 12
) -> list[AgreementRow]:
    """Our sentiment beside the provider's, overall first, then its busiest outlets.

    Args:
        session: An open database session.
        since: Earliest window start included.
        source: The provider whose published score is compared (``alphavantage``).
        limit: How many outlets after the overall row.

    Returns:
        The overall row then one row per outlet (most articles first); empty when
        no article of the period carries both scores.
    """
    d = MartDocument
    both = (
        d.source == source,
        d.window_start >= since,
        d.provider_sentiment.is_not(None),
        d.sentiment_score.is_not(None),
    )
    measures = (
        func.count(),
        func.avg(d.sentiment_score),
        func.avg(d.provider_sentiment),
        func.avg(case((_direction(d.sentiment_score) == _direction(d.provider_sentiment), 1.0),
                      else_=0.0)),
        func.corr(d.sentiment_score, d.provider_sentiment),
    )  # fmt: skip
    overall = session.execute(select(*measures).where(*both)).one()
    if not overall[0]:
        return []
    per_outlet = session.execute(
        select(d.channel, *measures)
        .where(*both)
        .group_by(d.channel)
        .order_by(func.count().desc(), d.channel)
        .limit(limit)
    ).all()
    return [_row(None, *overall), *(_row(*row) for row in per_outlet)]


def _row(
    outlet: str | None, articles: int, ours: float, theirs: float, agree: float, r: float | None
) -> AgreementRow:
    return AgreementRow(
        outlet=outlet, articles=int(articles), ours=float(ours), theirs=float(theirs),
        agreement=float(agree), r=None if r is None or articles < MIN_FOR_R else float(r),
    )  # fmt: skip
