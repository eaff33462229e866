"""Every message that crosses between actors: market data, commands and order events.

Data are nouns (`Bar`), commands imperative (`SubmitOrder`), events past tense (`OrderFilled`).
All are frozen, keyword-only, tagged msgspec Structs, so each inbox is a plain union that encodes to
JSON and msgpack. Money (prices, quantities, fees) is `Decimal`; market data are floats.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradloopd.model import ZERO, Liquidity, OrderType, Side, TimeInForce, VolumeProfile

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


# Order terms beyond the four basic kinds (docs/orders.md) ---------------------------------------


class Trail(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """How a trailing stop follows the price: `amount` (price units) or `percent` behind the best
    price seen; it starts following (and may trigger) only once the price reaches `activation`."""

    amount: Decimal | None = None
    percent: Decimal | None = None
    activation: Decimal | None = None


class Combo(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Membership of a multi-leg order: the `legs` orders of `group` fill completely, or none does."""

    group: str
    legs: int


class Twap(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Time-weighted: the quantity in `slices` equal child orders, evenly over `duration_ns`."""

    duration_ns: int
    slices: int


class Vwap(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """Volume-weighted: a child order each bar over `duration_ns`, sized to follow `profile`, none
    larger than `max_participation` of the bar's volume before it."""

    duration_ns: int
    profile: VolumeProfile = VolumeProfile.U
    max_participation: Decimal | None = None


class Iceberg(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A limit order that shows only `display_qty` at a time, refilled when that part has filled."""

    display_qty: Decimal


class Pov(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """Percent of volume: each bar, a child for `participation` of the last bar's volume, until the
    quantity has filled (or `end_ts`)."""

    participation: Decimal
    end_ts: int | None = None


class AtrTrail(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """A stop that trails the best price by `multiple` x ATR(`period`), from the bars as they close."""

    multiple: Decimal
    period: int = 14


class ProfitTarget(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """A limit exit `offset` (price units) or `percent` beyond the position's average entry price,
    moved when the average moves."""

    offset: Decimal | None = None
    percent: Decimal | None = None


class BreakEven(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """A protective stop that moves to the entry price plus fees (plus `offset`) once the price has
    reached `threshold`."""

    threshold: Decimal
    offset: Decimal = ZERO


class Scale(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """Scale in or out: the quantity split over `levels` limit orders, the first at the order's
    price, each next one `step` further (a negative step: lower)."""

    step: Decimal
    levels: int


class TimedExit(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """A market exit sent after `bars` bars of the symbol, or at `at_ts`."""

    bars: int | None = None
    at_ts: int | None = None


Algo = Twap | Vwap | Iceberg | Pov | AtrTrail | ProfitTarget | BreakEven | Scale | TimedExit


# Orders ---------------------------------------------------------------------------------------


class Order(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """What a strategy (or a person) asks a venue to do; immutable once created.

    Exactly one of `quantity` and `notional` is set; `notional` (spend this much quote currency,
    sized at the fill price net of fees) is only allowed on market buys. `stop_loss` and
    `take_profit` attach exit orders that become live, as one-cancels-other pair, once this order
    has filled.

    The order catalogue (docs/orders.md) adds: `trail` (a trailing stop or stop-limit),
    `if_touched` (a stop or stop-limit that triggers when the price comes to it from the other
    side: market- and limit-if-touched), `oca_group` (one-cancels-all), `oto_parent` (held until
    that order has filled), `combo` (multi-leg, all or none) and `algo` (an algorithm the engine
    works through child orders). Fields at their defaults are left out of the encoding.
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
    trail: Trail | None = None
    if_touched: bool = False
    oca_group: str | None = None
    oto_parent: str | None = None
    combo: Combo | None = None
    algo: Algo | None = None


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


class OrderPlaced(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The engine's emulator placed a child order of an emulated order (`order.parent_id`); the
    venue's own events for the child follow. The ledger takes the child from here."""

    order: Order
    ts_event: int

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id


class OrderModified(msgspec.Struct, frozen=True, kw_only=True, tag=True, omit_defaults=True):
    """A working order's terms changed at the venue: a trailing stop's trigger (and a trailing
    stop-limit's limit) moved, or a held order's quantity was cut. `activated`: a trailing order
    reached its activation price and follows the price from now on."""

    client_order_id: str
    ts_event: int
    trigger_price: Decimal | None = None
    price: Decimal | None = None
    quantity: Decimal | None = None
    activated: bool = False


class AlgoFilled(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A child of an emulated order filled: the parent's progress. The child's own `OrderFilled`
    moved the position; this one only counts the fill toward the parent's quantity."""

    client_order_id: str
    child_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts_event: int


OrderEvent = (
    OrderDenied | OrderAccepted | OrderRejected | OrderTriggered | OrderFilled | OrderCanceled
    | OrderExpired | OrderUnresolved | OrderPlaced | OrderModified | AlgoFilled
)
VenueCommand = SubmitOrder | CancelOrder
RiskCommand = SubmitOrder | CancelOrder | Halt | Resume | Flatten | CancelAll
