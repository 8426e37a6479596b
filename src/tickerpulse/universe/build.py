"""Build the shipped universe file (``data/assets.csv``) from its sources.

Stocks: the S&P 500 and Nasdaq-100 constituents as shipped by the
``pytickersymbols`` package on PyPI (a development dependency), plus a few
heavily discussed stocks outside both indices. ETFs, crypto assets, FX pairs,
indices, extra aliases and the ambiguous-word lists are curated by hand in
``data/curated/``. Run with ``make universe``; the output is committed, so the
product never needs the builder at run time.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

DATA = Path(__file__).parent / "data"
CURATED = DATA / "curated"
OUTPUT = DATA / "assets.csv"
COLUMNS = ("asset_id", "symbol", "asset_class", "name", "aliases", "ambiguous", "demo")
INDICES = ("S&P 500", "NASDAQ 100")

# The 41 assets the simulated demo world covers.
DEMO = frozenset(
    "stock:AAPL stock:MSFT stock:NVDA stock:TSLA stock:AMZN stock:GOOGL stock:META stock:JPM "
    "stock:BAC stock:AMD stock:NFLX stock:INTC stock:DIS stock:KO stock:XOM stock:GME "
    "stock:PLTR stock:COIN stock:BA stock:WMT stock:F stock:T stock:ON stock:NOW stock:ALL "
    "stock:IT etf:SPY etf:QQQ etf:ARKK etf:GLD etf:IWM crypto:BTC crypto:ETH crypto:SOL "
    "crypto:XRP crypto:DOGE crypto:ADA fx:EURUSD fx:USDJPY fx:GBPUSD fx:AUDUSD".split()
)

_LEGAL_SUFFIX = re.compile(
    r",?\s+(Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|Companies|Holdings|Group|"
    r"plc|Ltd\.?|N\.V\.|S\.A\.|AG|SE|&|Technologies|International|Worldwide|Pharmaceuticals|"
    r"Financial|Investments|Railway|US)$"
)


def short_name(name: str) -> str:
    """'Apple Inc.' → 'Apple'; 'The Walt Disney Company' → 'Walt Disney'."""
    short = name.removeprefix("The ")
    previous = None
    while previous != short:
        previous = short
        short = _LEGAL_SUFFIX.sub("", short).strip()
    return short


def _read_csv(name: str) -> list[dict[str, str]]:
    with (CURATED / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _read_list(name: str) -> set[str]:
    lines = (CURATED / name).read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _aliases(*groups: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for group in groups:
        for alias in group:
            if alias:
                seen.setdefault(alias, None)
    return "|".join(seen)


def index_stocks() -> dict[str, str]:
    """Symbol → name of every S&P 500 and Nasdaq-100 constituent."""
    from pytickersymbols import PyTickerSymbols

    tickers = PyTickerSymbols()
    stocks: dict[str, str] = {}
    for index in INDICES:
        for stock in tickers.get_stocks_by_index(index):
            stocks.setdefault(stock["symbol"], stock["name"])
    return stocks


def build_rows(stocks: dict[str, str]) -> list[dict[str, str]]:
    """Every asset row, sorted by asset id."""
    ambiguous = _read_list("ambiguous.txt")
    ambiguous_names = _read_list("ambiguous_names.txt")
    extra_aliases = {r["symbol"]: r["aliases"].split("|") for r in _read_csv("stock_aliases.csv")}
    rows: dict[str, dict[str, str]] = {}

    def add(asset_class: str, symbol: str, name: str, aliases: str) -> None:
        asset_id = f"{asset_class}:{symbol}"
        rows[asset_id] = {
            "asset_id": asset_id,
            "symbol": symbol,
            "asset_class": asset_class,
            "name": name,
            "aliases": aliases,
            "ambiguous": str(symbol in ambiguous or len(symbol) == 1).lower(),
            "demo": str(asset_id in DEMO).lower(),
        }

    secondary = _read_list("secondary_share_classes.txt")
    extras = {r["symbol"]: r for r in _read_csv("extra_stocks.csv")}
    for symbol, name in sorted({**stocks, **{s: r["name"] for s, r in extras.items()}}.items()):
        short = short_name(name)
        automatic = [short] if short not in ambiguous_names and short != symbol else []
        curated = extra_aliases.get(symbol, []) + extras.get(symbol, {}).get("aliases", "").split(
            "|"
        )
        if symbol in secondary:  # GOOG, FOXA, NWS: named by ticker only, the name is GOOGL's
            add("stock", symbol, name, "")
            continue
        full = [name] if name not in ambiguous_names else []
        add("stock", symbol, name, _aliases(curated, automatic, full))
    for asset_class, file in (("etf", "etfs.csv"), ("crypto", "crypto.csv"),
                              ("fx", "fx.csv"), ("index", "indices.csv")):  # fmt: skip
        for row in _read_csv(file):
            names = (
                [row["name"]] if asset_class == "crypto" and row["name"] != row["symbol"] else []
            )
            add(asset_class, row["symbol"], row["name"], _aliases(names, row["aliases"].split("|")))
    return [rows[k] for k in sorted(rows)]


def main() -> None:
    """Write data/assets.csv."""
    rows = build_rows(index_stocks())
    with OUTPUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} assets to {OUTPUT}")


if __name__ == "__main__":
    main()
