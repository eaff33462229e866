"""The symbol router: which configured venue trades a symbol.

Crypto pairs (`BTC/USDT`, `ETH/BTC`, `BTC/USDT:USDT`) go to a CCXT venue; stocks (`AAPL`), forex
pairs (two fiat currencies: `EUR/USD`), futures (`ESZ6`, `ES 202612`), indices (`SPX`) and options
(`AAPL 261218C00200000`) go to Interactive Brokers. When a family has one venue configured, its
symbols go there; an explicit route (`"binance:BTC/USDT"`, `"ib:EUR/USD"`) overrides the rule and
is needed when a family has several venues.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from tradloopd.errors import ConfigError

FIAT = frozenset({
    "USD", "EUR", "JPY", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "HKD", "SGD",
    "CNH", "MXN", "ZAR", "PLN", "CZK", "HUF", "ILS", "TRY", "KRW", "INR", "RUB",
})


class Family(enum.StrEnum):
    """Venue families, each implemented by one broker adapter package."""

    CCXT = "ccxt"
    IB = "ib"


def family_of(symbol: str) -> Family:
    """The venue family that trades this kind of symbol."""
    base, slash, quote = symbol.partition("/")
    if not slash:
        return Family.IB  # stock, future, index or option
    quote = quote.split(":")[0]
    return Family.IB if base in FIAT and quote in FIAT else Family.CCXT


class Router:
    """Maps symbols to venue names. `venues` is name -> family; `routes` are "venue:SYMBOL" strings."""

    def __init__(self, venues: Mapping[str, Family], routes: Iterable[str] = (), *, source: str = "") -> None:
        self.venues = dict(venues)
        self._where = f"{source}: venue.routes" if source else "venue.routes"
        self.overrides: dict[str, str] = {}
        for route in routes:
            name, colon, symbol = route.partition(":")
            if not colon or not symbol:
                raise ConfigError(f"{self._where}: {route!r} is not \"venue:SYMBOL\" "
                                  "(like \"binance:BTC/USDT\")")
            if name not in self.venues:
                raise ConfigError(f"{self._where}: {route!r} names venue {name!r}, which is not "
                                  f"configured (configured: {', '.join(sorted(self.venues)) or 'none'})")
            self.overrides[symbol] = name

    def venue_for(self, symbol: str) -> str:
        """The venue name for `symbol`, or ConfigError saying how to route it."""
        if symbol in self.overrides:
            return self.overrides[symbol]
        family = family_of(symbol)
        candidates = sorted(name for name, kind in self.venues.items() if kind is family)
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ConfigError(f"{symbol} is a {family.value} symbol but no {family.value} venue is "
                              f"configured: add one, or route it in {self._where} (\"venue:{symbol}\")")
        raise ConfigError(f"{symbol} could go to {' or '.join(candidates)}: route it in "
                          f"{self._where} (\"{candidates[0]}:{symbol}\")")

    def table(self, symbols: Iterable[str]) -> dict[str, str]:
        """symbol -> venue for every symbol (raises for the first one that cannot be routed)."""
        return {symbol: self.venue_for(symbol) for symbol in symbols}

    def symbols_of(self, venue: str, symbols: Iterable[str]) -> list[str]:
        return [symbol for symbol in symbols if self.venue_for(symbol) == venue]
