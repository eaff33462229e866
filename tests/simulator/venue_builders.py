"""Builders for the simulator tests: a paper venue fed hand-made bars, and orders by keyword."""

from __future__ import annotations

from decimal import Decimal

from tradloopd.messages import (
    Bar,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
)
from tradloopd.model import Instrument, OrderType, Side, TimeInForce
from tradloopd.simulator import Simulator, SimulatorConfig

MINUTE = 60 * 1_000_000_000
TICK = Decimal("0.01")


def D(value: object) -> Decimal:
    return Decimal(str(value))


def order(cid: str, side: str, qty: object = None, *, kind: str = "market", symbol: str = "X",
          **fields: object) -> Order:
    """An order with Decimal fields from plain numbers: order("a", "buy", 1, kind="limit", price=99)."""
    for name in ("price", "trigger_price", "stop_loss", "take_profit", "notional"):
        if fields.get(name) is not None:
            fields[name] = D(fields[name])
    if "tif" in fields:
        fields["tif"] = TimeInForce(fields["tif"])
    return Order(client_order_id=cid, symbol=symbol, side=Side(side), kind=OrderType(kind),
                 quantity=None if qty is None else D(qty), **fields)  # type: ignore[arg-type]


class Paper:
    """A simulator on one or more symbols, fed bars one minute apart, recording every event."""

    def __init__(self, *, cash: object = 100_000, tick: Decimal = TICK, lot: Decimal = Decimal(0),
                 min_size: Decimal = Decimal(0), symbols: tuple[str, ...] = ("X",),
                 instruments: list[Instrument] | None = None, **config: object) -> None:
        for name in ("maker_fee", "taker_fee", "slippage_bps", "leverage", "max_participation"):
            if config.get(name) is not None:
                config[name] = D(config[name])
        by_symbol = {s: Instrument(symbol=s, price_increment=tick, size_increment=lot,
                                   min_size=min_size) for s in symbols}
        instruments = by_symbol | {i.symbol: i for i in instruments or []}
        self.last: dict[str, float] = {}
        self.sim = Simulator(SimulatorConfig(**config), instruments, D(cash), self.last)  # type: ignore[arg-type]
        self.minute = 0
        self.events: list[OrderEvent] = []
        self.placed: dict[str, Order] = {}  # every order submitted, by client order id

    @property
    def now(self) -> int:
        """The current time: the close of the last bar (when a strategy would act)."""
        return self.minute * MINUTE

    def submit(self, *args: object, **kwargs: object) -> list[OrderEvent]:
        placed = args[0] if isinstance(args[0], Order) else order(*args, **kwargs)  # type: ignore[arg-type]
        self.placed.setdefault(placed.client_order_id, placed)
        events = self.sim.submit(placed, self.now)
        self.events.extend(events)
        return events

    def cancel(self, cid: str) -> list[OrderEvent]:
        events = self.sim.cancel(cid, self.now)
        self.events.extend(events)
        return events

    def bar(self, o: float, h: float, lo: float, c: float, v: float = 1_000_000.0,
            symbol: str = "X") -> list[OrderEvent]:
        """Match the next one-minute bar; the feeder sets the last close first, as replay does."""
        bar = Bar(symbol=symbol, ts_open=self.now, ts_event=self.now + MINUTE, open=o, high=h,
                  low=lo, close=c, volume=v)
        self.minute += 1
        self.last[symbol] = c
        events = self.sim.on_bar(bar)
        self.events.extend(events)
        return list(events)

    def position(self, symbol: str = "X") -> Decimal:
        return self.sim.account.qty(symbol)

    def working(self) -> list[str]:
        return [o.client_order_id for o in self.sim.working_orders()]


def fills(events: list[OrderEvent], cid: str | None = None) -> list[OrderFilled]:
    return [e for e in events if isinstance(e, OrderFilled) and (cid is None or e.client_order_id == cid)]


def fill_prices(events: list[OrderEvent], cid: str | None = None) -> list[Decimal]:
    return [f.price for f in fills(events, cid)]


def kinds(events: list[OrderEvent]) -> list[tuple[str, str]]:
    """(event name, client order id) pairs: a compact picture of what happened, in order."""
    short = {OrderAccepted: "accepted", OrderRejected: "rejected", OrderTriggered: "triggered",
             OrderFilled: "filled", OrderCanceled: "canceled", OrderExpired: "expired"}
    return [(short[type(e)], e.client_order_id) for e in events]


def reason(events: list[OrderEvent], cid: str) -> str:
    for e in events:
        if isinstance(e, OrderCanceled | OrderRejected) and e.client_order_id == cid:
            return e.reason
    raise AssertionError(f"no cancel or reject for {cid} in {events}")
