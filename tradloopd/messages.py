"""Every message that crosses between actors: market data, commands and order events.

Data are nouns (`Bar`), commands imperative (`SubmitOrder`), events past tense (`OrderFilled`).
All are frozen, keyword-only, tagged msgspec Structs, so each inbox is a plain union that encodes to
JSON and msgpack. Money (prices, quantities, fees) is `Decimal`; market data are floats.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradloopd.model import Liquidity, OrderType, Side, TimeInForce

# Market data ----------------------------------------------------------------------------------


class Bar(msgspec.Struct, frozen=True, kw_only=True, tag=True, gc=False):
    """One OHLCV bar; `ts_open` is its label (open time), `ts_event` when it closed and became known."""

    symbol: str
    ts_open: int
    ts_event: int
    open: float
    high: float
    low: float
    close: float
    volume: float


# Orders ---------------------------------------------------------------------------------------


class Order(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """What a strategy (or a person) asks a venue to do; immutable once created.

    Exactly one of `quantity` and `notional` is set; `notional` (spend this much quote currency,
    sized at the fill price net of fees) is only allowed on market buys. `stop_loss` and
    `take_profit` attach exit orders that become live, as one-cancels-other pair, once this order
    has filled.
    """

    client_order_id: str
    symbol: str
    side: Side
    kind: OrderType = OrderType.MARKET
    quantity: Decimal | None = None
    notional: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    expire_ts: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    parent_id: str | None = None
    strategy_id: str = ""
    tag: str = ""
    ts_init: int = 0


# Commands -------------------------------------------------------------------------------------


class SubmitOrder(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    order: Order
    ts_event: int


class CancelOrder(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    client_order_id: str
    symbol: str
    ts_event: int
    reason: str = ""


class Halt(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    reason: str
    ts_event: int


class Resume(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    ts_event: int


class Flatten(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Cancel the working orders and close the positions of one symbol (None: all), even halted."""

    symbol: str | None
    ts_event: int


class CancelAll(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Cancel every working order of one symbol (None: all symbols)."""

    symbol: str | None
    ts_event: int


# Order events ---------------------------------------------------------------------------------


class OrderDenied(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Our own risk guard refused the order; it never reached a venue."""

    client_order_id: str
    reason: str
    ts_event: int


class OrderAccepted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    client_order_id: str
    venue_order_id: str
    ts_event: int


class OrderRejected(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The venue refused the order."""

    client_order_id: str
    reason: str
    ts_event: int


class OrderTriggered(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A stop-limit's trigger was touched; it now works as a limit order."""

    client_order_id: str
    ts_event: int


class OrderFilled(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """One fill. `leaves_qty` is set only on a fill of a notional order (sized by the venue at
    this fill) that leaves part of that size to fill later; otherwise the order's own quantity says
    what is left, and a notional order is complete with its fill."""

    client_order_id: str
    fill_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    liquidity: Liquidity
    ts_event: int
    leaves_qty: Decimal | None = None


class OrderCanceled(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    client_order_id: str
    reason: str
    ts_event: int


class OrderExpired(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    client_order_id: str
    ts_event: int


class OrderUnresolved(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The venue's answer was lost (timeout); resolved later by querying, never by resubmitting."""

    client_order_id: str
    reason: str
    ts_event: int


OrderEvent = (
    OrderDenied | OrderAccepted | OrderRejected | OrderTriggered | OrderFilled | OrderCanceled
    | OrderExpired | OrderUnresolved
)
VenueCommand = SubmitOrder | CancelOrder
RiskCommand = SubmitOrder | CancelOrder | Halt | Resume | Flatten | CancelAll
