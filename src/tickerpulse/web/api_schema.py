"""Words and allowed values for every field of the REST API's OpenAPI document.

The API answers with the same row types the pages render (:mod:`tickerpulse.web.records`,
plain dataclasses without documentation metadata); :func:`document_schema`
fills each property of the generated document with its description and, where
the set is closed, its allowed values. A field missing here fails the API test
that checks every property is described.

Units: returns are **fractions** (``-0.0134`` is −1.34 %); sentiment runs from
−1 (bearish) to +1 (bullish); shares and probabilities from 0 to 1.
"""

from __future__ import annotations

from typing import Any

from tickerpulse.analytics.authors import STANCE_MIN
from tickerpulse.domain import TEXT_SOURCES

ASSET_CLASSES = ["stock", "etf", "crypto", "fx"]
FRACTION = "a fraction, not a percentage: -0.0134 means -1.34 %"
FIELD_DOCS: dict[str, str] = {
    "asset_id": "The asset's id, class and symbol joined by a colon (stock:AAPL, crypto:BTC).",
    "symbol": "The ticker symbol (AAPL, BTC, EURUSD).",
    "name": "The asset's name.",
    "asset_class": "The asset's class.",
    "rank": "Place by mentions in the period, 1 = most mentioned.",
    "mentions": "Posts and articles that mention the asset in the period.",
    "previous_rank": "Place in the period before; null if unranked then.",
    "previous_mentions": "Mentions in the period before; null if none.",
    "sentiment_mean": "Mean sentiment of the mentions, -1 (bearish) to +1 (bullish).",
    "bull_share": "Share of mentions labelled bullish, 0 to 1.",
    "bear_share": "Share of mentions labelled bearish, 0 to 1.",
    "close": "Last price of the period in the asset's quote currency; null while the"
    " market was closed or no price has arrived yet.",
    "return_pct": f"Deprecated: the same value as return_fraction, {FRACTION}"
    " (despite the name). Kept for existing clients; use return_fraction.",
    "return_fraction": f"Close-to-close price change over the period, {FRACTION};"
    " null when a price is missing (market closed or no price yet).",
    "sparkline": "Closes of the last windows, oldest first, for a small chart.",
    "window_start": "Start of the 6-hour UTC window (00:00, 06:00, 12:00 or 18:00).",
    "open": "First price of the window; null when the market was closed.",
    "high": "Highest price of the window; null when the market was closed.",
    "low": "Lowest price of the window; null when the market was closed.",
    "social_sentiment": "Mean sentiment of social posts in the window, -1 to +1.",
    "social_mentions": "Social posts mentioning the asset in the window.",
    "news_sentiment": "Mean sentiment of news articles in the window, -1 to +1.",
    "news_mentions": "News articles mentioning the asset in the window.",
    "sentiment_model": "The sentiment model version behind the window (mixed: several).",
    "source_class": "Which texts the statistic is about: social posts or news articles.",
    "signal": "What is related to returns: mean sentiment, mention count, or mention count"
    " as a z-score against the asset's own history.",
    "horizon": "How many 6-hour windows ahead the return is measured (1 = the next window).",
    "r": "Pearson correlation between the signal and the return, -1 to +1.",
    "ci_low": "Lower end of the 95 % confidence interval.",
    "ci_high": "Upper end of the 95 % confidence interval.",
    "n": "Number of observations behind the figure.",
    "q_value": "Benjamini-Hochberg q-value (false discovery rate) of the correlation, 0 to 1.",
    "granger_q": "q-value of the Granger test (does the signal help forecast returns?), 0 to 1.",
    "verdict": "A plain-language reading of the figures that claims no more than they support.",
    "model": "The model's name and version.",
    "prob_up": "Probability, 0 to 1, that the asset's price closes the next window higher.",
    "auc": "Out-of-sample area under the ROC curve: 0.5 is a coin flip, 1 is perfect.",
    "auc_ci_low": "Lower end of the AUC's 95 % confidence interval.",
    "auc_ci_high": "Upper end of the AUC's 95 % confidence interval.",
    "hit_rate": "Share of out-of-sample calls whose direction was right, 0 to 1.",
    "market_open": "False when the asset's market is closed for the whole window: no call.",
    "asset_auc": "The model's out-of-sample AUC on this asset alone (auc is pooled over assets).",
    "asset_hit_rate": "Share of this asset's out-of-sample calls whose direction was right.",
    "asset_n": "Out-of-sample calls on this asset alone behind asset_auc and asset_hit_rate.",
    "group": "The outlet, region or asset class.",
    "articles": "News articles in the period.",
    "outlets": "Distinct outlets that covered the asset.",
    "tone": "Mean sentiment of the articles, -1 to +1.",
    "tone_spread": "Standard deviation of the per-outlet mean tone: low when outlets agree.",
    "window": "Start of the newest 6-hour UTC window the answer covers; null before any data.",
    "latest_window": "Start of the asset's newest published window; null before any data.",
    "period": "The span ranked or summed: 6h, 24h or 7d.",
    "source": "The one text source counted, or null for all sources.",
    "rows": "The ranked assets, most mentioned first.",
    "windows": "The asset's windows, oldest first.",
    "relation": "The published relation statistics.",
    "prediction": "The asset's newest next-window call and its model's record; null if none.",
    "by": "How news is grouped: outlet, region or asset_class.",
    "since": "Start of the period summed.",
    "groups": "News volume and tone per group, most articles first.",
    "coverage": "The most covered assets, most articles first.",
    "calls": "Every asset's next-window call, most confident first.",
    "page": "Where the rows answered sit in the whole list (limit and offset).",
    "total": "How many rows the whole list holds.",
    "offset": "Index of the first row answered, 0 for the first.",
    "next_offset": "The offset that asks for the next rows; null when these are the last.",
    "range": "The span of windows answered in words (30 days, 2026-01-01 to 2026-02-01);"
    " null when asked by days.",
    "note": "Why the range answered differs from the one asked (the plan, or a bad date);"
    " null when it does not.",
    "query": "The text searched for.",
    "results": "The matching assets, best first.",
    "matched": "What matched: symbol, name, or an alias (alias: euro).",
    "score": "How well it matched, 100 (the exact symbol) down to 30 (part of a name).",
    "detail": "What went wrong: a sentence, or a list of invalid parameters (422).",
    "loc": "Where the invalid value is: query or path, then the parameter's name.",
    "msg": "What is wrong with the value, in words.",
    "type": "The kind of error, as a short code (int_parsing, string_pattern_mismatch, ...).",
    "input": "The value that was sent (any JSON type).",
    "ctx": "Details of the rule the value broke, such as the pattern it must match.",
}
"""Field name → description; a name means the same wherever it appears."""

FIELD_VALUES: dict[str, list[str]] = {
    "asset_class": ASSET_CLASSES,
    "period": ["6h", "24h", "7d"],
    "source": list(TEXT_SOURCES),
    "source_class": ["social", "news"],
    "signal": ["sentiment", "mentions", "mention_z"],
    "by": ["outlet", "region", "asset_class"],
}
"""Field name → its allowed values (the field may also be null where its type says so)."""

SCHEMA_VALUES: dict[tuple[str, str], list[str]] = {
    ("SearchHit", "asset_class"): [*ASSET_CLASSES, "index"],
}
"""(Schema, field) → allowed values where they differ from :data:`FIELD_VALUES`: search
covers the whole universe, market indexes (index:DJI) included."""

PARAMETER_DOCS: dict[str, str] = {
    "class": "Only assets of this class; all classes when left out.",
    "period": "The span to rank or sum: the latest 6-hour window, 24 hours or 7 days.",
    "source": "Count only this text source (reddit, x, news, ...); all sources when left out.",
    "asset_id": "The asset's id (stock:AAPL) or its bare symbol (AAPL).",
    "days": "How many days of windows, counted back from the asset's newest (1 to 730).",
    "by": "Group news by outlet, region or asset class.",
    "show": "all: every mentioned asset instead of the top 25.",
    "sort": "Sort the rows by this column (other names are refused with 422); the site's"
    " tables take the same names in their links. Rows without a value come last.",
    "dir": "Sort direction: asc or desc (default: numbers largest first, text A to Z).",
    "limit": "Most rows to answer (1 to 1000); all when left out.",
    "offset": "Rows to skip before the first answered (paging: use page.next_offset).",
    "range": "History range counted back from the newest window: 7d, 30d, 90d, 1y or all"
    " (replaces days). As on the asset page, each plan's ranges apply.",
    "from": "First day of a custom range, an ISO date (2026-01-31); as on the asset page.",
    "to": "Last day of a custom range, included, an ISO date; today when left out.",
    "q": "A symbol (NVDA), a name (nvidia) or words of one (euro dollar), at most 64 characters.",
}
"""Query and path parameter → description."""

SCHEMA_DOCS: dict[tuple[str, str], str] = {
    # movers (/api/v1/movers): attention against the asset's own last 7 days (28 windows)
    ("MoversOut", "sort"): "The column the movers are ranked by.",
    ("MoversOut", "asset_class"): "The one asset class ranked, or null for all classes.",
    ("MoversOut", "rows"): "The movers, most unusual first; assets without the figure last.",
    ("MoverRow", "mentions"): "Posts and articles that mention the asset in the window.",
    ("MoverRow", "mention_z"): "z-score of the log mention count against the asset's 28 windows"
    " before (capped at ±10); null with fewer than 5 windows of history or none that varies.",
    ("MoverRow", "mention_change"): f"Mentions against the trailing mean, {FRACTION}"
    " (1.0 = twice the usual); null without history.",
    ("MoverRow", "sentiment"): "Mean sentiment of the window's mentions, -1 to +1.",
    ("MoverRow", "sentiment_change"): "Mean sentiment minus its trailing mean, on the -1 to +1"
    " scale (so between -2 and +2); null without history.",
    ("MoverRow", "sentiment_z"): "z-score of mean sentiment against the trailing windows;"
    " null without history or with none that varies.",
    ("MoverRow", "share_of_voice"): "The asset's share of its class's mentions in the window,"
    " 0 to 1.",
    # the market overview (/api/v1/overview)
    ("OverviewOut", "tiles"): "Every mentioned asset in the window, most mentioned first.",
    ("OverviewTile", "mentions"): "Posts and articles that mention the asset in the window.",
    ("OverviewTile", "sentiment"): "Mean sentiment of the window's mentions, -1 to +1.",
    # authors (/api/v1/authors, /api/v1/assets/{id}/authors)
    ("AuthorsOut", "min_calls"): "Judged calls an author needs before a record is shown.",
    ("AuthorsOut", "qualified"): "How many authors have at least min_calls judged calls.",
    ("AuthorsOut", "rows"): "Authors with a record, best hit rate first.",
    ("AssetAuthorsOut", "since"): "Start of the period counted (30 days back from the newest"
    " window); null before any data.",
    ("AssetAuthorsOut", "rows"): "The asset's most active authors in the period, most posts first.",
    ("AuthorRecordRow", "author"): "The author's pseudonymous id: a hash of source and handle"
    " (handles are never stored).",
    ("AuthorRecordRow", "source"): "The social source the author posts on.",
    ("AuthorRecordRow", "posts"): "The author's posts counted, spam excluded.",
    ("AuthorRecordRow", "reach"): "Engagement summed over those posts (likes, shares, replies"
    " as the source counts them).",
    ("AuthorRecordRow", "calls"): "The author's bullish or bearish calls judged against the"
    " next window's return.",
    ("AuthorRecordRow", "hits"): "Judged calls whose direction the next window's return matched.",
    ("AuthorRecordRow", "hit_rate"): "hits / calls, 0 to 1; null below min_calls.",
    ("AuthorRecordRow", "ci_low"): "Lower end of the 95 % Wilson interval of hit_rate.",
    ("AuthorRecordRow", "ci_high"): "Upper end of the 95 % Wilson interval of hit_rate.",
    ("AuthorRecordRow", "last_window"): "Start of the newest window with a post by the author.",
    ("AssetAuthorRow", "author"): "The author's pseudonymous id: a hash of source and handle"
    " (handles are never stored).",
    ("AssetAuthorRow", "source"): "The social source the author posts on.",
    ("AssetAuthorRow", "posts"): "The author's posts on the asset in the period, spam excluded.",
    ("AssetAuthorRow", "reach"): "Engagement summed over those posts.",
    ("AssetAuthorRow", "sentiment"): "Mean of the author's per-window sentiment on the asset,"
    " -1 to +1.",
    ("AssetAuthorRow", "bullish_calls"): "Windows in which the author's stance on the asset was"
    f" bullish (mean sentiment ≥ +{STANCE_MIN:.2f}).",
    ("AssetAuthorRow", "bearish_calls"): "Windows in which the author's stance on the asset was"
    f" bearish (mean sentiment ≤ −{STANCE_MIN:.2f}).",
    ("AssetAuthorRow", "record"): "The author's record over every asset; null when it rests on"
    " fewer than min_calls calls.",
}
"""(Schema, field) → description, where a field's meaning differs from :data:`FIELD_DOCS`."""

FIELD_UNITS: dict[str, dict[str, Any]] = {
    "return_pct": {"deprecated": True},
}


def document_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """Add descriptions and allowed values to every component property of an OpenAPI document.

    Args:
        spec: The document FastAPI generated (changed in place).

    Returns:
        The same document, for chaining.
    """
    for schema_name, component in spec.get("components", {}).get("schemas", {}).items():
        for name, prop in component.get("properties", {}).items():
            description = SCHEMA_DOCS.get((schema_name, name), FIELD_DOCS.get(name))
            if description is not None:
                prop.setdefault("description", description)
            values = SCHEMA_VALUES.get((schema_name, name), FIELD_VALUES.get(name))
            if values is not None:
                _allow(prop, values)
            prop.update(FIELD_UNITS.get(name, {}))
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                parameter.setdefault("description", PARAMETER_DOCS.get(name, ""))
                if name in FIELD_VALUES or name == "class":
                    _allow(parameter["schema"], FIELD_VALUES.get(name, ASSET_CLASSES))
    return spec


def _allow(prop: dict[str, Any], values: list[str]) -> None:
    """Put ``enum`` on the string branch of a (possibly nullable) property."""
    for branch in prop.get("anyOf", [prop]):
        if branch.get("type") == "string":
            branch["enum"] = values
