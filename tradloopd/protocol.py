"""The control protocol: every message between the daemon's control socket and its clients.

Newline-delimited JSON, one message per line, msgspec tagged unions with the tag in `"type"`. A client
sends `Hello` first and gets `Welcome`; then each request carries an integer `id` that its `Reply` or
`Error` echoes; subscribed topics arrive as `Update` (and `Dropped` when the client was too slow).
docs/protocol.md is the reference with an example of every message. Money is `Decimal` (a JSON string,
exact); times are integer nanoseconds UTC. Constraints (`Meta`) are checked when decoding, so the
server sees only well-formed requests; the client checks the cross-field rules when it builds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar, get_args

import msgspec
from msgspec import Meta

from tradloopd.errors import TradloopError
from tradloopd.messages import Bar, Combo, Order, OrderFilled, Trail
from tradloopd.model import Liquidity, OrderStatus, OrderType, Side, TimeInForce, TradingState
from tradloopd.orders.state import TrackedOrder, order_problem
from tradloopd.protocol_terms import (
    ENGINE_ALGO,
    AlgoTerms,
    ClientOrderId,
    Limit,
    MultiLeg,
    OrderTag,
    Reason,
    RequestId,
    Symbol,
    Timestamp,
    Trailing,
)

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 1 << 20  # longest request line the server reads (replies may be longer)

Topic = Literal["bars", "orders", "fills", "positions", "equity", "logs", "status"]
TOPICS: tuple[Topic, ...] = get_args(Topic)
LogValue = str | int | float | bool | None

#: Error codes; a client must treat an unknown code like `internal`.
ERROR_CODES = frozenset({
    "bad_request", "unknown_type", "too_large", "out_of_order", "duplicate_id", "unsupported_version",
    "not_found", "denied", "unavailable", "timeout", "internal",
})
#: The codes a backend may refuse with (`ControlDenied`); the others belong to the server.
REFUSAL_CODES = frozenset({"bad_request", "not_found", "denied", "unavailable"})
MIN_AMOUNT, MAX_AMOUNT = Decimal("1e-18"), Decimal("1e15")  # any price or quantity of a request
_SMALLEST, _WIDE = Decimal("1e-18"), Context(prec=60)  # 1e15 with 18 decimals fits in 60 digits


class ControlDenied(TradloopError):
    """A backend's expected refusal of a request; the client receives an `Error` with `code`."""

    def __init__(self, code: str, message: str) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"refusal code must be one of {sorted(REFUSAL_CODES)}, got {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


class _Row(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of everything the server sends inside a reply or an update."""


# Rows and results -----------------------------------------------------------------------------


class StrategyRow(msgspec.Struct, frozen=True, kw_only=True):
    strategy_id: str
    symbol: str
    name: str
    params: dict[str, LogValue] = {}
    last_signal: str = ""
    indicators: dict[str, float | None] = {}


class VenueRow(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    connected: bool
    detail: str = ""


class ActorRow(msgspec.Struct, frozen=True, kw_only=True):
    """One actor's heartbeat counters: messages in and out, dropped (lossy edges only), inbox depth."""

    name: str
    received: int
    sent: int
    dropped: int = 0
    queue_depth: int = 0


class RiskLimitRow(msgspec.Struct, frozen=True, kw_only=True):
    """One risk limit and how much of it is used now; `limit` None means not configured."""

    name: str
    limit: Decimal | None
    used: Decimal
    detail: str = ""


class StatusResult(_Row, frozen=True, kw_only=True, tag="status"):
    node_id: str
    version: str
    mode: Literal["paper", "live"]
    trading_state: TradingState
    state_reason: str = ""
    started_ts: int
    now_ts: int
    cash: Decimal
    equity: Decimal
    peak_equity: Decimal
    day_pnl: Decimal
    total_pnl: Decimal
    exposure: Decimal  # gross: sum of |position value|
    net_exposure: Decimal
    open_orders: int
    strategies: list[StrategyRow] = []
    venue: VenueRow
    feed: dict[str, int] = {}  # symbol (or "symbol timeframe") -> ts_event of its last bar
    actors: list[ActorRow] = []
    risk_limits: list[RiskLimitRow] = []


class PositionRow(_Row, frozen=True, kw_only=True, tag="position"):
    symbol: str
    quantity: Decimal  # signed: positive long, negative short
    avg_price: Decimal | None
    last_price: Decimal | None
    unrealized_pnl: Decimal
    realized_pnl: Decimal


class OrderRow(_Row, frozen=True, kw_only=True, tag="order"):
    client_order_id: str
    symbol: str
    side: Side
    kind: OrderType
    quantity: Decimal | None
    notional: Decimal | None = None
    filled_qty: Decimal
    avg_fill_price: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    status: OrderStatus
    reason: str = ""
    strategy_id: str = ""
    tag: str = ""
    parent_id: str | None = None
    ts_created: int
    ts_last: int


class FillRow(_Row, frozen=True, kw_only=True, tag="fill"):
    fill_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    liquidity: Liquidity
    strategy_id: str = ""
    ts_event: int


class EquityPoint(_Row, frozen=True, kw_only=True, tag="equity_point"):
    ts: int
    equity: Decimal
    cash: Decimal


class BarRow(_Row, frozen=True, kw_only=True, tag="bar"):
    symbol: str
    timeframe: str = ""
    ts_open: int
    ts_event: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class LogRecord(_Row, frozen=True, kw_only=True, tag="log"):
    ts: int
    level: str
    event: str
    actor: str = ""
    fields: dict[str, LogValue] = {}


class PositionsResult(_Row, frozen=True, kw_only=True, tag="positions"):
    positions: list[PositionRow]


class OrdersResult(_Row, frozen=True, kw_only=True, tag="orders"):
    orders: list[OrderRow]


class FillsResult(_Row, frozen=True, kw_only=True, tag="fills"):
    fills: list[FillRow]


class EquityResult(_Row, frozen=True, kw_only=True, tag="equity"):
    points: list[EquityPoint]


class HaltResult(_Row, frozen=True, kw_only=True, tag="halt"):
    """The trading state after the request; `changed` is False when it already was."""

    trading_state: TradingState
    state_reason: str
    changed: bool


class ResumeResult(_Row, frozen=True, kw_only=True, tag="resume"):
    trading_state: TradingState
    state_reason: str
    changed: bool


class FlattenResult(_Row, frozen=True, kw_only=True, tag="flatten"):
    """Orders whose cancel was requested, and the closing orders submitted (through the risk guard)."""

    canceled: list[str]
    submitted: list[str]


class CancelResult(_Row, frozen=True, kw_only=True, tag="cancel"):
    """The orders a cancel was sent for; the outcome arrives on the `orders` topic."""

    client_order_ids: list[str]


class SubmitResult(_Row, frozen=True, kw_only=True, tag="submit"):
    client_order_id: str
    accepted_by_risk: bool
    reason: str = ""


class SubscriptionsResult(_Row, frozen=True, kw_only=True, tag="subscriptions"):
    """The topics this connection is subscribed to after a `Subscribe` or `Unsubscribe`."""

    topics: list[Topic]


# Requests -------------------------------------------------------------------------------------

ResultT = TypeVar("ResultT")


class BaseRequest(msgspec.Struct, Generic[ResultT], frozen=True, kw_only=True, tag_field="type",
               forbid_unknown_fields=True):
    """Base of every request; the type parameter is its result. Clients fill in `id` when sending."""

    id: RequestId | None = None


class Status(BaseRequest[StatusResult], frozen=True, kw_only=True, tag="status"):
    pass


class Positions(BaseRequest[PositionsResult], frozen=True, kw_only=True, tag="positions"):
    pass


class Orders(BaseRequest[OrdersResult], frozen=True, kw_only=True, tag="orders"):
    """The `limit` most recent orders (open ones, or all), oldest first."""

    status: Literal["open", "all"] = "open"
    symbol: Symbol | None = None
    limit: Limit = 500


class Fills(BaseRequest[FillsResult], frozen=True, kw_only=True, tag="fills"):
    """The `limit` most recent fills with `ts_event >= since_ts`, oldest first."""

    symbol: Symbol | None = None
    limit: Limit = 500
    since_ts: Timestamp | None = None


class Equity(BaseRequest[EquityResult], frozen=True, kw_only=True, tag="equity"):
    """The `limit` most recent equity points with `ts >= since_ts`, oldest first."""

    limit: Limit = 1000
    since_ts: Timestamp | None = None


class Halt(BaseRequest[HaltResult], frozen=True, kw_only=True, tag="halt"):
    reason: Reason


class Resume(BaseRequest[ResumeResult], frozen=True, kw_only=True, tag="resume"):
    pass


class Flatten(BaseRequest[FlattenResult], frozen=True, kw_only=True, tag="flatten"):
    """Cancel working orders and close the position in `symbol`, or in every symbol."""

    symbol: Symbol | None = None


class Cancel(BaseRequest[CancelResult], frozen=True, kw_only=True, tag="cancel"):
    """Cancel one order by id, or `all` working orders (of one `symbol` if given)."""

    client_order_id: ClientOrderId | None = None
    all: bool = False
    symbol: Symbol | None = None

    def __post_init__(self) -> None:
        if (self.client_order_id is not None) == self.all:
            raise ValueError("give exactly one of client_order_id and all=true")
        if self.symbol is not None and not self.all:
            raise ValueError("symbol only narrows a cancel of all orders")


class Submit(BaseRequest[SubmitResult], frozen=True, kw_only=True, tag="submit"):
    """A manual order; it goes through the risk guard like a strategy's. The fields after `tag`
    (optional, so protocol version 1 requests without them mean what they always meant) reach the
    whole order catalogue: a trailing or if-touched stop, OCA/OTO/multi-leg groups and algorithms
    (docs/orders.md)."""

    symbol: Symbol
    side: Side
    kind: OrderType = OrderType.MARKET
    quantity: Decimal | None = None
    notional: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    expire_ts: Timestamp | None = None
    post_only: bool = False
    reduce_only: bool = False
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    tag: OrderTag = ""
    trail: Trailing | None = None
    if_touched: bool = False
    oca_group: ClientOrderId | None = None
    oto_parent: ClientOrderId | None = None
    combo: MultiLeg | None = None
    algo: AlgoTerms | None = None

    def __post_init__(self) -> None:
        for name in _AMOUNTS:
            _check_amount(name, getattr(self, name))
        for term in (self.trail, self.algo):
            if term is not None:
                for name, value in msgspec.structs.asdict(term).items():
                    if isinstance(value, Decimal) and (not value.is_finite() or abs(value) > MAX_AMOUNT):
                        raise ValueError(f"{name} must be a finite number up to 1e15, got {value}")
        problem = order_problem(self.to_order("check"))
        if problem is not None:
            raise ValueError(problem)

    def to_order(self, client_order_id: str, *, strategy_id: str = "manual", ts_init: int = 0) -> Order:
        """The engine's order for this request, under the id the node assigns."""
        fields = msgspec.structs.asdict(self)
        del fields["id"]
        fields["trail"] = None if self.trail is None else Trail(**msgspec.structs.asdict(self.trail))
        fields["combo"] = None if self.combo is None else Combo(**msgspec.structs.asdict(self.combo))
        fields["algo"] = None if self.algo is None else \
            ENGINE_ALGO[type(self.algo)](**msgspec.structs.asdict(self.algo))
        return Order(client_order_id=client_order_id, strategy_id=strategy_id, ts_init=ts_init, **fields)


class Subscribe(BaseRequest[SubscriptionsResult], frozen=True, kw_only=True, tag="subscribe"):
    """Add topics; each topic has its own lossy buffer of `buffer` updates (server default if None)."""

    topics: Annotated[frozenset[Topic], Meta(min_length=1)]
    buffer: Annotated[int, Meta(ge=1, le=65_536)] | None = None


class Unsubscribe(BaseRequest[SubscriptionsResult], frozen=True, kw_only=True, tag="unsubscribe"):
    """Remove topics, or every topic when `topics` is None."""

    topics: frozenset[Topic] | None = None


_AMOUNTS = ("quantity", "notional", "price", "trigger_price", "stop_loss", "take_profit")


def _check_amount(name: str, value: Decimal | None) -> None:
    if value is None:
        return
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    if not MIN_AMOUNT <= value <= MAX_AMOUNT:  # bounded before normalize() can overflow
        raise ValueError(f"{name} must be between 1e-18 and 1e15, got {value}")
    if value != value.quantize(_SMALLEST, context=_WIDE):
        raise ValueError(f"{name} may have at most 18 decimals, got {value}")


# Handshake and envelopes ----------------------------------------------------------------------


class Hello(msgspec.Struct, frozen=True, kw_only=True, tag="hello", tag_field="type"):
    """The client's first line. Unknown fields are ignored, so a newer client still gets its answer."""

    protocol: int
    client: Annotated[str, Meta(max_length=100)] = ""


class Welcome(_Row, frozen=True, kw_only=True, tag="welcome"):
    protocol: int
    node_id: str
    version: str
    topics: list[str]
    max_line_bytes: int


Result = (StatusResult | PositionsResult | OrdersResult | FillsResult | EquityResult | HaltResult
          | ResumeResult | FlattenResult | CancelResult | SubmitResult | SubscriptionsResult)


class Reply(_Row, frozen=True, kw_only=True, tag="reply"):
    id: int
    result: Result


class Error(_Row, frozen=True, kw_only=True, tag="error"):
    """A request failed; `id` is None when the request's id could not be read."""

    id: int | None
    code: str
    message: str


UpdateData = BarRow | OrderRow | FillRow | PositionRow | EquityPoint | LogRecord | StatusResult
TOPIC_DATA: dict[str, type[UpdateData]] = {
    "bars": BarRow, "orders": OrderRow, "fills": FillRow, "positions": PositionRow,
    "equity": EquityPoint, "logs": LogRecord, "status": StatusResult,
}


class Update(_Row, frozen=True, kw_only=True, tag="update"):
    """One published item; `seq` counts the topic's publications, so a gap shows missed updates."""

    topic: Topic
    seq: int
    data: UpdateData


class Dropped(_Row, frozen=True, kw_only=True, tag="dropped"):
    """`count` updates of `topic` were discarded (the oldest) because this client read too slowly."""

    topic: Topic
    count: int


Query = Status | Positions | Orders | Fills | Equity
QueryResult = StatusResult | PositionsResult | OrdersResult | FillsResult | EquityResult
Command = Halt | Resume | Flatten | Cancel | Submit
CommandResult = HaltResult | ResumeResult | FlattenResult | CancelResult | SubmitResult
Request = Query | Command | Subscribe | Unsubscribe
ClientMessage = Hello | Request
ServerMessage = Welcome | Reply | Error | Update | Dropped
#: Request class -> result class, read from each request's `BaseRequest[ResultT]`.
RESULT_TYPES: dict[type[msgspec.Struct], type[msgspec.Struct]] = {
    cls: get_args(cls.__orig_bases__[0])[0] for cls in get_args(Request)
}


class Subscription(Protocol):
    """A lossy feed of updates for some topics; `receive` raises `trio.EndOfChannel` at the end."""

    async def receive(self) -> Update | Dropped: ...

    def close(self) -> None: ...


class ControlBackend(Protocol):
    """What the node offers the control server: answers, commands and a broadcaster of updates."""

    node_id: str

    async def query(self, request: Query) -> QueryResult:
        """The result type of the request's class (`RESULT_TYPES`); must not change state."""

    async def command(self, request: Command) -> CommandResult:
        """Do it and return its result type; raise `ControlDenied` for an expected refusal."""

    def subscribe(self, topics: frozenset[str], *, buffer: int) -> Subscription:
        """A new subscription that holds at most `buffer` updates (see `tradloopd.broadcast`)."""


# Encoding -------------------------------------------------------------------------------------

_encoder = msgspec.json.Encoder()
_server_decoder = msgspec.json.Decoder(ServerMessage)
_client_decoder = msgspec.json.Decoder(ClientMessage)


def encode_line(message: msgspec.Struct) -> bytes:
    """The message as one line of JSON, newline included."""
    buffer = bytearray()
    _encoder.encode_into(message, buffer)
    buffer += b"\n"
    return bytes(buffer)


def decode_server_message(line: bytes) -> ServerMessage:
    """Decode one line from the server; raises `msgspec.DecodeError` if it is not a valid message."""
    return _server_decoder.decode(line)


def decode_client_message(line: bytes) -> ClientMessage:
    """Decode one line from a client; raises `msgspec.DecodeError` (or `RecursionError`)."""
    return _client_decoder.decode(line)


# From the engine's types ----------------------------------------------------------------------


def order_row(tracked: TrackedOrder) -> OrderRow:
    order = tracked.order
    return OrderRow(
        client_order_id=order.client_order_id, symbol=order.symbol, side=order.side, kind=order.kind,
        quantity=order.quantity, notional=order.notional, filled_qty=tracked.filled_qty,
        avg_fill_price=tracked.avg_price, price=order.price, trigger_price=order.trigger_price,
        tif=order.tif, status=tracked.status, reason=tracked.reason, strategy_id=order.strategy_id,
        tag=order.tag, parent_id=order.parent_id, ts_created=order.ts_init, ts_last=tracked.ts_last,
    )


def fill_row(fill: OrderFilled, *, strategy_id: str = "") -> FillRow:
    return FillRow(
        fill_id=fill.fill_id, client_order_id=fill.client_order_id, symbol=fill.symbol, side=fill.side,
        quantity=fill.quantity, price=fill.price, fee=fill.fee, liquidity=fill.liquidity,
        strategy_id=strategy_id, ts_event=fill.ts_event,
    )


def bar_row(bar: Bar, *, timeframe: str = "") -> BarRow:
    return BarRow(symbol=bar.symbol, timeframe=timeframe, ts_open=bar.ts_open, ts_event=bar.ts_event,
                  open=bar.open, high=bar.high, low=bar.low, close=bar.close, volume=bar.volume)


def log_record(ts: int, event_dict: Mapping[str, Any]) -> LogRecord:
    """A structlog event dict as a record; values that are not JSON scalars become their text."""
    skip = {"event", "level", "actor", "timestamp"}
    fields = {key: value if isinstance(value, LogValue) else str(value)
              for key, value in event_dict.items() if key not in skip}
    return LogRecord(ts=ts, level=str(event_dict.get("level", "info")),
                     event=str(event_dict.get("event", "")), actor=str(event_dict.get("actor", "")),
                     fields=fields)
