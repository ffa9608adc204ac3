"""Names of the same kind, for the name-swap test: a model that reads what authorities *do*
should not change its answer when "SEC" becomes "FCA" or "Pakistan" becomes "Kenya".

Each group holds names that can stand in for one another in a sentence. Swapping
inside a group keeps the sentence grammatical and its action unchanged, so a
prediction that flips was carried by the name, not by the action.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NAME_GROUPS: dict[str, list[str]] = {
    "country": [
        "China", "Pakistan", "El Salvador", "India", "Nigeria", "Russia", "Japan", "South Korea",
        "Brazil", "Argentina", "Turkey", "Thailand", "Vietnam", "Germany", "France", "Canada",
        "Australia", "Singapore", "Switzerland", "Kenya", "Mexico", "Indonesia", "the Philippines",
        "Ukraine", "Venezuela", "Malaysia", "Egypt", "Morocco", "South Africa", "Italy", "Spain",
        "the Netherlands", "Poland", "Sweden", "Norway", "Hong Kong", "Taiwan", "Israel",
        "Saudi Arabia", "the UAE", "Bahrain", "Kazakhstan", "Georgia", "Colombia", "Chile", "Peru",
        "Bolivia", "Ghana", "Bangladesh", "Nepal", "Iran", "the UK", "the US",
    ],
    "demonym": [
        "Chinese", "Pakistani", "Salvadoran", "Indian", "Nigerian", "Russian", "Japanese", "Korean",
        "Brazilian", "Argentine", "Turkish", "Thai", "Vietnamese", "German", "French", "Canadian",
        "Australian", "Singaporean", "Swiss", "Kenyan", "Mexican", "Indonesian", "Ukrainian",
        "Malaysian", "Egyptian", "Italian", "Spanish", "Dutch", "Polish", "Swedish", "British",
        "American", "Israeli", "Emirati",
    ],
    "capital": [
        "Beijing", "Islamabad", "Washington", "Brussels", "New Delhi", "Abuja", "Moscow", "Tokyo",
        "Seoul", "Brasilia", "Buenos Aires", "Ankara", "Bangkok", "Hanoi", "Berlin", "Paris",
        "Ottawa", "Canberra", "Nairobi", "Jakarta", "Kyiv", "Caracas", "Cairo", "Rome", "Madrid",
        "London", "Riyadh", "Abu Dhabi", "Dubai", "Astana",
    ],
    "us_state": [
        "Texas", "New York", "California", "Florida", "Wyoming", "Arizona", "New Hampshire",
        "Ohio", "Illinois", "Nevada", "Utah", "Montana", "Oklahoma", "Kentucky", "Connecticut",
        "Pennsylvania", "Michigan", "Louisiana", "Colorado", "Oregon", "Washington state",
    ],
    "regulator": [
        "SEC", "CFTC", "FCA", "ESMA", "MAS", "SFC", "VARA", "BaFin", "ASIC", "OSC", "FINMA",
        "AMF", "CONSOB", "SEBI", "FINRA", "CySEC", "CNMV", "AFM", "FSCA", "FINTRAC", "ISA",
    ],
    "central_bank": [
        "PBoC", "People's Bank of China", "Federal Reserve", "Fed", "ECB", "European Central Bank",
        "RBI", "Reserve Bank of India", "Bank of England", "Bank of Japan", "Bank of Korea",
        "Central Bank of Nigeria", "State Bank of Pakistan", "Bank of Russia", "Banco Central",
        "Bank of Canada", "Reserve Bank of Australia", "Swiss National Bank", "Bank of Thailand",
    ],
    "enforcer": [
        "DOJ", "Justice Department", "FBI", "IRS", "OFAC", "FinCEN", "Treasury", "Europol",
        "Interpol", "Scotland Yard", "NCA", "HSI",
    ],
    "body": ["IMF", "World Bank", "FATF", "BIS", "FSB", "G20", "G7", "IOSCO", "OECD", "United Nations"],
    "person": [
        "Gensler", "Powell", "Lagarde", "Bukele", "Trump", "Biden", "Yellen", "Warren", "Lummis",
        "Atkins", "Bailey", "Modi", "Milei", "Putin", "Xi Jinping", "Peirce", "Behnam", "Uyeda",
        "Georgieva", "Nabiullina", "Sitharaman", "Lula", "Erdogan", "Kishida", "Sunak", "Macron",
        "Scholz", "Zelensky", "Khan", "Sharif", "Tinubu", "Brainard", "Bessent", "Hagerty", "Emmer",
        "Waters", "McHenry", "Stabenow", "Boozman", "Scott", "Abbott", "DeSantis", "Hochul", "Newsom",
    ],
    "coin": [
        "Bitcoin", "Ethereum", "Ether", "XRP", "Solana", "Cardano", "Dogecoin", "Litecoin", "Tether",
        "USDC", "BNB", "Polkadot", "Avalanche", "Tron", "Shiba Inu", "Chainlink", "Monero", "Zcash",
        "Stellar", "Polygon", "Toncoin", "Pepe", "Sui", "Aptos",
    ],
    "ticker": ["BTC", "ETH", "SOL", "ADA", "DOGE", "LTC", "USDT", "DOT", "AVAX", "TRX", "LINK"],
    "exchange": [
        "Binance", "Coinbase", "Kraken", "OKX", "Bybit", "Gemini", "Bitfinex", "Huobi", "FTX",
        "KuCoin", "Bitstamp", "Crypto.com", "Upbit", "Bithumb", "Bitget", "Gate.io", "BitMEX",
        "Robinhood", "WazirX", "Bitso", "Bitvavo",
    ],
}  # fmt: skip


def _pattern(names: list[str]) -> re.Pattern:
    ordered = sorted({n for n in names}, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")


_ALL = {name: kind for kind, names in NAME_GROUPS.items() for name in names}
_PATTERN = _pattern(list(_ALL))


def swap_table(seed: int) -> dict[str, str]:
    """One random stand-in per name, from its own group and never itself."""
    rng = np.random.default_rng(seed)
    table = {}
    for names in NAME_GROUPS.values():
        shift = rng.integers(1, len(names))
        order = rng.permutation(len(names))
        for i, j in enumerate(order):
            table[names[j]] = names[order[(i + shift) % len(names)]]
    return table


def swap_names(text: str, table: dict[str, str]) -> str:
    return _PATTERN.sub(lambda m: table[m.group(1)], text)


def swapped(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame with every listed name swapped for another of its kind, and which rows changed."""
    table = swap_table(seed)
    heads = frame["headline"].map(lambda t: swap_names(t, table))
    bodies = frame["body"].map(lambda t: swap_names(t, table))
    changed = ((heads != frame["headline"]) | (bodies != frame["body"])).to_numpy()
    return frame.assign(headline=heads, body=bodies), changed
