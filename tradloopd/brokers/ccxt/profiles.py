"""What each exchange supports through ccxt, and how our orders are spelled for it: one table.

A profile is chosen by ccxt exchange id and market type (`binance` spot, `binanceusdm` swap,
`bybit` spot or swap, `okx` spot or swap, `kraken` spot). Any other exchange gets the generic
profile: market and GTC limit orders only, until someone checks it and adds a row. `docs/brokers.md`
shows this table (`markdown_table()`; a test keeps the two equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tradloopd.brokers.base import Capabilities
from tradloopd.model import OrderType, TimeInForce

T = TimeInForce
ALL_TYPES = frozenset(OrderType)
ESCAPE = "Z"


@dataclass(frozen=True)
class ClientIds:
    """The venue's rule for client order ids: longest length and allowed characters.

    Ours (`node-12`, `node-m-3`) pass unchanged where `-` is allowed. Where only letters and
    digits are (OKX), every other character and the escape letter itself are written as `Z` and two
    hex digits (`node-12` -> `nodeZ2d12`), which `decode` reverses exactly.
    """

    max_len: int = 36
    allowed: str = r"[.A-Za-z0-9:/_-]"

    @property
    def escaping(self) -> bool:
        """Whether ids are escaped: the venue does not take our `-`."""
        return not re.fullmatch(self.allowed, "-")

    def encode(self, client_order_id: str) -> str | None:
        """The venue spelling of our id, or None when it cannot be written within `max_len`."""
        allowed = re.compile(self.allowed)
        text = "".join(f"{ESCAPE}{ord(c):02x}" if self.escaping and (c == ESCAPE or not allowed.fullmatch(c))
                       else c for c in client_order_id)
        ok = 0 < len(text) <= self.max_len and all(allowed.fullmatch(c) for c in text)
        return text if ok else None

    def decode(self, venue_id: str) -> str:
        if not self.escaping:
            return venue_id
        return re.sub(f"{ESCAPE}([0-9a-f]{{2}})", lambda m: chr(int(m.group(1), 16)), venue_id)


@dataclass(frozen=True)
class Profile:
    """One exchange and market type: capabilities and the ccxt spelling of our orders."""

    exchange: str
    market_type: str
    capabilities: Capabilities
    client_ids: ClientIds = ClientIds()
    stop_param: str = "triggerPrice"  # ccxt's unified name the exchange reads the stop from
    trigger_direction: bool = False  # bybit contracts: "ascending" / "descending" with the stop
    trigger_query: dict[str, bool] = field(default_factory=dict)  # extra params to find stop orders
    trades_by_order: bool = True  # fetch_order_trades works; else fetch_my_trades + orderId
    expiry: tuple[str, int] = ("goodTillDate", 1_000_000)  # GTD: parameter, and ns per its unit
    options: dict[str, object] = field(default_factory=dict)  # ccxt options for this market type
    notes: str = ""


def _caps(tifs: set[TimeInForce], *, types: frozenset[OrderType] = ALL_TYPES, post_only: bool = True,
          reduce_only: bool = False, short: bool = False, notional: bool = False) -> Capabilities:
    return Capabilities(order_types=types, time_in_force=frozenset(tifs), post_only=post_only,
                        reduce_only=reduce_only, short_selling=short, notional_market_buy=notional)


_SPOT_MARKETS = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}
PROFILES: dict[tuple[str, str], Profile] = {(p.exchange, p.market_type): p for p in [
    Profile("binance", "spot", _caps({T.GTC, T.IOC, T.FOK}, notional=True),
            stop_param="stopLossPrice", trades_by_order=True,
            options={"defaultType": "spot", **_SPOT_MARKETS},
            notes="post-only is LIMIT_MAKER (GTC only); stops are STOP_LOSS / STOP_LOSS_LIMIT; "
                  "fees are taken from the asset received unless paid in BNB"),
    Profile("binanceusdm", "swap", _caps({T.GTC, T.IOC, T.FOK, T.GTD}, reduce_only=True, short=True),
            trades_by_order=False, options={"defaultType": "future"},
            notes="post-only is GTX; stops are STOP_MARKET / STOP; GTD takes goodTillDate"),
    Profile("bybit", "spot", _caps({T.GTC, T.IOC, T.FOK}), options={"defaultType": "spot"},
            notes="unified account; stops are conditional orders"),
    Profile("bybit", "swap", _caps({T.GTC, T.IOC, T.FOK}, reduce_only=True, short=True),
            trigger_direction=True, options={"defaultType": "swap"},
            notes="linear USDT perpetuals; stops need a trigger direction (sent)"),
    Profile("okx", "spot", _caps({T.GTC, T.IOC, T.FOK}), client_ids=ClientIds(32, r"[A-Za-z0-9]"),
            trigger_query={"trigger": True}, options={"defaultType": "spot"},
            notes="client ids are letters and digits only (escaped); stops are algo trigger orders"),
    Profile("okx", "swap", _caps({T.GTC, T.IOC, T.FOK}, reduce_only=True, short=True),
            client_ids=ClientIds(32, r"[A-Za-z0-9]"), trigger_query={"trigger": True},
            options={"defaultType": "swap"}, notes="as OKX spot; reduce-only in one-way mode"),
    Profile("kraken", "spot", _caps({T.GTC, T.IOC, T.GTD}), client_ids=ClientIds(18, r"[ -~]"),
            stop_param="stopLossPrice", expiry=("expiretm", 1_000_000_000),
            notes="no FOK; stops are stop-loss / stop-loss-limit; GTD takes expiretm; client ids "
                  "(cl_ord_id) at most 18 characters; fees in the quote currency by default"),
]}
GENERIC = Capabilities(order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
                       time_in_force=frozenset({T.GTC}))


def profile_for(exchange: str, market_type: str) -> Profile:
    """The table row, or the generic (market and GTC limit only) profile for an unlisted exchange."""
    found = PROFILES.get((exchange, market_type))
    if found is not None:
        return found
    return Profile(exchange, market_type, GENERIC, notes="not in the table: market and GTC limit only")


def markdown_table() -> str:
    """The capability table as it appears in docs/brokers.md."""
    rows = ["| exchange | market | order types | time in force | post-only | reduce-only | notes |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for profile in PROFILES.values():
        caps = profile.capabilities
        types = ", ".join(t.value for t in OrderType if t in caps.order_types)
        tifs = ", ".join(t.name for t in TimeInForce if t in caps.time_in_force)
        rows.append(f"| `{profile.exchange}` | {profile.market_type} | {types} | {tifs} | "
                    f"{_yes(caps.post_only)} | {_yes(caps.reduce_only)} | {profile.notes} |")
    return "\n".join(rows)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
