"""The fake TWS's contracts: a small catalogue of stocks, forex pairs, futures, indices and options.

Each `Listing` is what IB would return as contract details, plus the price the fake starts from.
`match` answers a contract-details request the way TWS does: every field the request sets must
agree (a contract month matches every expiry in that month; `SMART` matches every routable listing).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

RIGHTS = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}


class Listing(msgspec.Struct, frozen=True, kw_only=True):
    con_id: int
    symbol: str
    sec_type: str  # STK, CASH, FUT, IND, OPT
    exchange: str  # the listing exchange (stocks: the primary exchange)
    price: Decimal  # where the fake's price starts
    min_tick: Decimal
    long_name: str
    currency: str = "USD"
    local_symbol: str = ""
    trading_class: str = ""
    last_trade: str = ""  # YYYYMMDD for futures and options
    strike: float = 0.0
    right: str = ""
    multiplier: str = ""
    size_increment: Decimal = Decimal(1)
    min_size: Decimal = Decimal(1)
    smart: bool = False  # routable through SMART
    tradable: bool = True  # indices are not

    @property
    def order_exchange(self) -> str:
        return "SMART" if self.smart else self.exchange

    @property
    def multiplier_value(self) -> Decimal:
        return Decimal(self.multiplier) if self.multiplier else Decimal(1)


class ContractQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The twelve contract fields a client sends (conId first, tradingClass last)."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade: str = ""
    strike: float = 0.0
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""


def _stock(con_id: int, symbol: str, primary: str, price: str, name: str) -> Listing:
    return Listing(con_id=con_id, symbol=symbol, sec_type="STK", exchange=primary, price=Decimal(price),
                   min_tick=Decimal("0.01"), long_name=name, local_symbol=symbol, trading_class="NMS",
                   smart=True)


def _pair(con_id: int, base: str, quote: str, price: str, tick: str) -> Listing:
    return Listing(con_id=con_id, symbol=base, sec_type="CASH", exchange="IDEALPRO", currency=quote,
                   price=Decimal(price), min_tick=Decimal(tick), long_name=f"{base}.{quote} cash pair",
                   local_symbol=f"{base}.{quote}", trading_class=f"{base}.{quote}")


def _future(con_id: int, root: str, local: str, expiry: str, multiplier: str, price: str) -> Listing:
    return Listing(con_id=con_id, symbol=root, sec_type="FUT", exchange="CME", price=Decimal(price),
                   min_tick=Decimal("0.25"), long_name=f"{root} futures {expiry[:6]}", local_symbol=local,
                   trading_class=root, last_trade=expiry, multiplier=multiplier)


def _option(con_id: int, right: str, price: str) -> Listing:
    return Listing(con_id=con_id, symbol="AAPL", sec_type="OPT", exchange="CBOE", price=Decimal(price),
                   min_tick=Decimal("0.01"), long_name="APPLE INC",
                   local_symbol=f"AAPL  261218{right}00200000",
                   trading_class="AAPL", last_trade="20261218", strike=200.0, right=right, multiplier="100",
                   smart=True)


DEFAULT_LISTINGS: tuple[Listing, ...] = (
    _stock(265598, "AAPL", "NASDAQ", "200.00", "APPLE INC"),
    _stock(272093, "MSFT", "NASDAQ", "420.00", "MICROSOFT CORP"),
    _stock(756733, "SPY", "ARCA", "600.00", "SPDR S&P 500 ETF TRUST"),
    _pair(12087792, "EUR", "USD", "1.10000", "0.00005"),
    _pair(12087797, "GBP", "USD", "1.27000", "0.00005"),
    _pair(15016059, "USD", "JPY", "150.000", "0.005"),
    _future(620731015, "ES", "ESZ6", "20261218", "50", "6000.00"),
    _future(637533641, "ES", "ESH7", "20270319", "50", "6050.00"),
    _future(620730920, "NQ", "NQZ6", "20261218", "20", "21000.00"),
    Listing(con_id=416904, symbol="SPX", sec_type="IND", exchange="CBOE", price=Decimal("6000.00"),
            min_tick=Decimal("0.01"), long_name="S&P 500 Stock Index", local_symbol="SPX", tradable=False),
    Listing(con_id=416843, symbol="NDX", sec_type="IND", exchange="NASDAQ", price=Decimal("21000.00"),
            min_tick=Decimal("0.01"), long_name="NASDAQ 100 Stock Index", local_symbol="NDX", tradable=False),
    _option(720000001, "C", "12.50"),
    _option(720000002, "P", "10.00"),
)


def match(listings: tuple[Listing, ...], query: ContractQuery) -> list[Listing]:
    """Every listing that agrees with each field the query sets."""
    return [listing for listing in listings if _agrees(listing, query)]


def _agrees(listing: Listing, q: ContractQuery) -> bool:
    texts = ((q.symbol, listing.symbol), (q.sec_type, listing.sec_type), (q.currency, listing.currency),
             (q.local_symbol, listing.local_symbol), (q.trading_class, listing.trading_class),
             (q.multiplier, listing.multiplier))
    if any(asked and asked != value for asked, value in texts):
        return False
    if q.con_id and q.con_id != listing.con_id:
        return False
    if q.last_trade and not listing.last_trade.startswith(q.last_trade):
        return False
    if q.strike and q.strike != listing.strike:
        return False
    if q.right and RIGHTS.get(q.right.upper(), q.right) != listing.right:
        return False
    return not q.exchange or q.exchange == listing.exchange or (q.exchange == "SMART" and listing.smart)
