"""Vocabulary and templates of the simulated world's texts.

Templates are grouped by true polarity (-1 bearish, 0 neutral, +1 bullish)
and use ``{m}`` for an asset mention. Hard cases are deliberate: negation
("not bullish"), sarcasm ("/s"), common words that are also tickers used as
plain English, links, emoji, spam and other languages.
"""

from __future__ import annotations

SOCIAL_TEMPLATES: dict[int, tuple[str, ...]] = {
    1: (
        "{m} to the moon 🚀🚀",
        "Loading up on {m}, this is going to rip 📈",
        "{m} breakout confirmed, strong volume today",
        "Bought more {m} today. Diamond hands 💎",
        "{m} earnings beat, very bullish",
        "{m} looking strong, buy the dip",
        "Huge rally in {m} today, love it",
        "{m} is undervalued, great long term buy",
        "Calls on {m} printing, tendies incoming 🤑",
        "{m} just hit an all time high 🔥",
        "Analysts upgrade {m}, price target raised",
        "Not worried about {m} at all, holding strong",
    ),
    -1: (
        "{m} is going to crash 📉",
        "Sold all my {m}, this chart looks terrible",
        "{m} bagholders getting rekt today",
        "Shorting {m} here, weak guidance",
        "{m} dumping hard, bearish",
        "Not bullish on {m} at all",
        "{m} plunges after the earnings miss",
        "Great, {m} down another 10% today. Love it /s",
        "{m} is a bubble, going to zero 💀",
        "Bought puts on {m}, this looks ugly 🐻",
        "Terrible quarter for {m}, heavy losses",
        "{m} downgraded again, stay away",
    ),
    0: (
        "What do you think about {m}?",
        "{m} earnings are next week",
        "Anyone here holding {m}?",
        "Posting the {m} chart for today",
        "Watching {m} closely this week",
        "{m} volume today vs the 30 day average",
        "Where can I read the {m} annual report?",
        "New thread for {m} discussion",
    ),
}

# News headlines and summaries by kind of asset and polarity: a coin or a currency pair
# has no shares, quarterly results or chief financial officer.
NEWS_HEADLINES: dict[str, dict[int, tuple[str, ...]]] = {
    "company": {
        1: (
            "{m} shares rise after strong quarterly results",
            "{m} surges as analysts upgrade outlook",
            "{m} rallies to record high on robust demand",
            "{m} gains after beating profit forecasts",
        ),
        -1: (
            "{m} shares fall after earnings miss",
            "{m} tumbles amid regulatory probe",
            "{m} slides as weak outlook disappoints investors",
            "{m} drops on fears of slowing growth",
        ),
        0: (
            "{m} to report earnings next week",
            "What to watch for {m} this week",
            "{m} holds annual shareholder meeting",
            "{m} names new chief financial officer",
        ),
    },
    "fund": {
        1: (
            "{m} climbs as inflows reach a three-month high",
            "{m} rises with the broad market rally",
            "{m} gains as investors pile back into risk",
        ),
        -1: (
            "{m} falls as investors pull money from the fund",
            "{m} slips with the broad market sell-off",
            "{m} drops as rate worries weigh on markets",
        ),
        0: (
            "What to watch for {m} this week",
            "{m} trades flat ahead of inflation data",
            "{m} holdings rebalanced at the quarter end",
        ),
    },
    "crypto": {
        1: (
            "{m} jumps as exchange inflows surge",
            "{m} rallies to a multi-week high",
            "{m} climbs as large holders keep buying",
            "{m} gains after a network upgrade goes live",
        ),
        -1: (
            "{m} slides as traders take profits",
            "{m} tumbles amid regulatory crackdown fears",
            "{m} drops as leveraged positions are liquidated",
            "{m} falls after a major exchange halts withdrawals",
        ),
        0: (
            "What to watch for {m} this week",
            "{m} trades in a narrow range over the weekend",
            "{m} developers schedule the next network upgrade",
        ),
    },
    "fx": {
        1: (
            "{m} rises after stronger than expected jobs data",
            "{m} climbs as central bank signals higher rates",
            "{m} gains as inflation surprises to the upside",
        ),
        -1: (
            "{m} falls after a surprise rate cut",
            "{m} slides as growth data disappoints",
            "{m} weakens as traders price in easier policy",
        ),
        0: (
            "{m} steady ahead of the central bank decision",
            "What to watch for {m} this week",
            "{m} holds its range in thin holiday trading",
        ),
    },
}

NEWS_SUMMARIES: dict[str, dict[int, str]] = {
    "company": {
        1: "Investors welcomed the news and analysts see further upside.",
        -1: "Analysts warned of further weakness and several cut their targets.",
        0: "The company did not comment further on the matter.",
    },
    "fund": {
        1: "Strategists expect the rally to broaden in the coming weeks.",
        -1: "Strategists warned that the sell-off may have further to run.",
        0: "Strategists expect a quiet week before the next data release.",
    },
    "crypto": {
        1: "Traders pointed to rising on-chain activity and see further upside.",
        -1: "Traders warned of further weakness as funding rates turned negative.",
        0: "Trading volumes were close to their monthly average.",
    },
    "fx": {
        1: "Dealers see room for further gains if the data keep surprising.",
        -1: "Dealers expect further weakness ahead of the next policy meeting.",
        0: "Dealers expect little movement before the next policy meeting.",
    },
}
NEWS_KIND = {"stock": "company", "etf": "fund", "index": "fund", "crypto": "crypto", "fx": "fx"}
"""Which headlines fit an asset class."""

CONTEXT_WORDS = ("calls", "shares", "stock", "position", "price")

# Common English words that are also tickers, used as plain English: never a mention.
AMBIGUOUS_NOISE = (
    "I'm ALL in on coffee this morning.",
    "NOW is the time to read the whole thread.",
    "Call IT support if the app logs you out.",
    "ON my way to work, will check later.",
    "T minus 2 hours to the open.",
    "F this weather honestly.",
    "it is what it is",
    "Are we there yet? Can anyone go check?",
)

DECORATIONS = (
    " 🚀",
    " 📈",
    " lol",
    " https://example.com/chart.png",
    " #investing",
    " (not financial advice)",
)

SPAM_TEMPLATES = (
    "🚀 Join my VIP channel for 100x signals! {m} https://t.me/+signals",
    "FREE crypto pump group, DM me now!!! {m} 💰💰💰",
)

FOREIGN_TEMPLATES = (
    "Compré más {m} hoy, el mercado está subiendo mucho",
    "Сегодня купил {m}, рынок растёт",
    "今天买了更多的{m}，市场在上涨",
    "Heute habe ich {m} gekauft, der Markt steigt weiter",
)

SUBREDDITS = {
    "stock": ("wallstreetbets", "stocks", "investing"),
    "etf": ("ETFs", "investing", "Bogleheads"),
    "crypto": ("CryptoCurrency", "CryptoMarkets", "Bitcoin"),
    "fx": ("Forex", "investing"),
    "index": ("investing",),
}

TELEGRAM_CHANNELS = {
    "stock": ("stockmarketnews", "wallstreetalerts"),
    "etf": ("stockmarketnews",),
    "crypto": ("cryptosignals_daily", "whalealerts", "cryptonews_en"),
    "fx": ("forexsignals_pro", "fxdailybrief"),
    "index": ("stockmarketnews",),
}

FACEBOOK_PAGES = {
    "stock": ("Stock Market Today", "Investing Club"),
    "etf": ("Investing Club",),
    "crypto": ("Crypto Daily",),
    "fx": ("Forex Traders",),
    "index": ("Stock Market Today",),
}

INSTAGRAM_TAGS = {
    "stock": ("stocks", "stockmarket", "investing"),
    "etf": ("investing", "etf"),
    "crypto": ("crypto", "bitcoin", "cryptocurrency"),
    "fx": ("forex", "forextrading"),
    "index": ("stockmarket",),
}

# (outlet id in sources/data/outlets.csv, coverage classes); real outlets, simulated articles.
NEWS_OUTLETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bbc-business", ("stock", "etf", "crypto", "fx")),
    ("bloomberg-markets", ("stock", "etf", "crypto", "fx")),
    ("cnbc", ("stock", "etf")),
    ("wsj-markets", ("stock", "etf")),
    ("ft", ("stock", "fx")),
    ("marketwatch", ("stock", "etf")),
    ("yahoo-finance", ("stock", "etf", "crypto")),
    ("business-insider-markets", ("stock", "etf")),
    ("seeking-alpha", ("stock", "etf")),
    ("investing-com", ("stock", "crypto", "fx")),
    ("coindesk", ("crypto",)),
    ("cointelegraph", ("crypto",)),
    ("the-block", ("crypto",)),
    ("decrypt", ("crypto",)),
    ("fxstreet", ("fx",)),
    ("forexlive", ("fx",)),
    ("nikkei-asia", ("stock", "fx")),
    ("dw-business", ("stock", "fx")),
    ("economic-times", ("stock", "crypto")),
    ("scmp-business", ("stock", "crypto")),
)

# Relative attention per symbol; unlisted assets get 1.
POPULARITY = {
    "BTC": 9.0, "TSLA": 7.0, "NVDA": 7.0, "AAPL": 5.0, "GME": 4.0, "ETH": 5.0, "SOL": 3.0,
    "DOGE": 3.0, "AMD": 3.0, "AMZN": 3.0, "META": 2.5, "MSFT": 2.5, "GOOGL": 2.5, "PLTR": 2.5,
    "SPY": 2.5, "QQQ": 2.0, "COIN": 2.0, "XRP": 2.0, "NFLX": 1.5, "EURUSD": 1.5, "USDJPY": 1.2,
}  # fmt: skip

# Realistic starting prices and yearly volatility by class.
START_PRICES = {
    "AAPL": 190.0, "MSFT": 420.0, "NVDA": 120.0, "TSLA": 250.0, "AMZN": 185.0, "GOOGL": 170.0,
    "META": 500.0, "JPM": 200.0, "BAC": 40.0, "AMD": 160.0, "NFLX": 650.0, "INTC": 30.0,
    "DIS": 100.0, "KO": 62.0, "XOM": 115.0, "GME": 25.0, "PLTR": 30.0, "COIN": 220.0,
    "BA": 180.0, "WMT": 68.0, "F": 12.0, "T": 19.0, "ON": 70.0, "NOW": 780.0, "ALL": 165.0,
    "IT": 480.0, "SPY": 540.0, "QQQ": 470.0, "ARKK": 48.0, "GLD": 220.0, "IWM": 205.0,
    "BTC": 60000.0, "ETH": 3000.0, "SOL": 140.0, "XRP": 0.55, "DOGE": 0.12, "ADA": 0.45,
    "EURUSD": 1.08, "USDJPY": 150.0, "GBPUSD": 1.27, "AUDUSD": 0.66,
}  # fmt: skip
ANNUAL_VOL = {"stock": 0.35, "etf": 0.18, "crypto": 0.70, "fx": 0.08, "index": 0.16}
