"""Order kinds a live venue may lack, worked here through the ones it has.

- **If-touched** (market/limit-if-touched), and stops at a venue without stops: held here; at the
  close of a bar whose range reached the trigger (from below for a buy stop or a sell if-touched,
  from above for the others) it is `OrderTriggered` and sent under its own id as a market (or
  limit) order.
- **Trailing stop / stop-limit**: a plain stop (stop-limit) child at the venue, at the trail's
  level; at each bar close the level follows the bar's best price (a sell's high, a buy's low)
  and the child is replaced when it moved. With an activation price nothing is placed before a
  bar reaches it. (The paper venue trails natively along the bar's path instead.)
- **Attached stop-loss / take-profit** (a bracket): the entry is sent without them; once it has
  filled (or ended with a part filled) the `.sl` stop and `.tp` limit legs the ledger derives are
  sent, one-cancels-other: when one leg has filled completely the other is canceled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec

from tradloopd.messages import (
    Bar,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderTriggered,
    Trail,
)
from tradloopd.model import ZERO, OrderType, Side, to_decimal
from tradloopd.orders.emulator.groups import filled_by
from tradloopd.orders.emulator.program import ENDED, NOTHING, Child, Ended, Parent, Program, why
from tradloopd.orders.emulator.steps import Cancel, Emit, Release, Step
from tradloopd.orders.exits import exit_orders

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator

_HUNDRED = Decimal(100)


class TouchWatch(Program):
    """An if-touched order held until a bar reaches its trigger (module docstring)."""

    def __init__(self, desk: Emulator, order: Order) -> None:
        self.desk = desk
        self.order = order
        self.key = order.client_order_id
        self.symbols = (order.symbol,)

    def start(self, ts: int, *, accepted: bool) -> list[Step]:
        self.desk.hold(self.order, self)
        if accepted:
            return NOTHING
        return [Emit(OrderAccepted(client_order_id=self.key, venue_order_id=f"EMU-{self.key}", ts_event=ts))]

    def view(self, client_order_id: str) -> tuple[Order, Decimal] | None:
        return (self.order, ZERO) if client_order_id == self.key else None

    def on_bar(self, bar: Bar) -> list[Step]:
        order = self.order
        assert order.trigger_price is not None
        rising = (order.side is Side.BUY) != order.if_touched  # a buy stop, a sell if-touched
        reached = to_decimal(bar.high) >= order.trigger_price if rising else \
            to_decimal(bar.low) <= order.trigger_price
        if not reached:
            return NOTHING
        self.done = True
        self.desk.let_go(self.key)
        kind = OrderType.MARKET if order.kind is OrderType.STOP else OrderType.LIMIT
        sent = msgspec.structs.replace(order, kind=kind, trigger_price=None, if_touched=False)
        return [Emit(OrderTriggered(client_order_id=self.key, ts_event=bar.ts_event)), Release(sent, True)]

    def cancel(self, ts: int, reason: str) -> list[Step]:
        self.done = True
        self.desk.let_go(self.key)
        return [Emit(OrderCanceled(client_order_id=self.key, reason=reason, ts_event=ts))]


class TrailWatch(Parent):
    """A trailing stop worked as a stop child moved at each bar close (module docstring)."""

    def __init__(self, desk: Emulator, order: Order) -> None:
        super().__init__(desk, order)
        assert order.trail is not None
        self.trail: Trail = order.trail
        self.stop = order.trigger_price
        self.active = self.trail.activation is None
        self.offset = None if order.price is None or order.trigger_price is None else \
            order.price - order.trigger_price

    def begin(self, ts: int) -> list[Step]:
        return self._move(ts) if self.active and self.stop is not None else NOTHING

    def on_bar(self, bar: Bar) -> list[Step]:
        sell = self.order.side is Side.SELL
        best = to_decimal(bar.high if sell else bar.low)
        if not self.active:
            activation = self.trail.activation
            assert activation is not None
            if (best < activation) if sell else (best > activation):
                return NOTHING
            self.active = True
        level = self._level(best, sell)
        if self.stop is not None and (level <= self.stop if sell else level >= self.stop):
            return NOTHING if self.children or self.replacing else self._move(bar.ts_event)
        self.stop = level
        return self._move(bar.ts_event)

    def _level(self, best: Decimal, sell: bool) -> Decimal:
        trail = self.trail
        if trail.amount is not None:
            level = best - trail.amount if sell else best + trail.amount
        else:
            assert trail.percent is not None
            level = best * (1 - trail.percent / _HUNDRED) if sell else best * (1 + trail.percent / _HUNDRED)
        return self.instrument.round_price(level, up=not sell)

    def _move(self, ts: int) -> list[Step]:
        assert self.stop is not None
        if self.offset is None:
            return self.replace(ts, OrderType.STOP, trigger_price=self.stop)
        return self.replace(ts, OrderType.STOP_LIMIT, trigger_price=self.stop, price=self.stop + self.offset)

    def child_ended(self, child: Child, event: Ended) -> list[Step]:
        return self.give_up(event.ts_event, f"the venue ended the stop: {why(event)}")


class BracketWatch(Program):
    """An entry with attached exits at a venue without brackets (module docstring)."""

    def __init__(self, desk: Emulator, order: Order) -> None:
        self.desk = desk
        self.order = order
        self.key = order.client_order_id
        self.symbols = ()
        self.filled = ZERO
        self.legs: dict[str, Decimal] = {}  # leg id -> quantity still to fill

    def start(self, ts: int, *, accepted: bool) -> list[Step]:
        self.desk.listen(self.key, self)
        entry = msgspec.structs.replace(self.order, stop_loss=None, take_profit=None)
        return [Release(entry, accepted)]

    def on_event(self, event: OrderEvent) -> list[Step]:
        coid = event.client_order_id
        if coid == self.key and not self.legs:
            return self._entry(event)
        if coid not in self.legs:
            return NOTHING
        self.legs[coid] -= filled_by(event)
        if isinstance(event, ENDED) or not self.legs[coid]:
            del self.legs[coid]
            self.done = not self.legs
            if isinstance(event, OrderFilled):  # one leg filled completely: the other is canceled
                return [Cancel(other, "oco") for other in self.legs]
        return NOTHING

    def _entry(self, event: OrderEvent) -> list[Step]:
        self.filled += filled_by(event)
        size = self.order.quantity
        if isinstance(event, OrderFilled) and size is None:
            size = self.filled + (event.leaves_qty or ZERO)  # a notional entry, sized by its fill
        complete = bool(self.filled) and self.filled == size
        if not complete and not isinstance(event, ENDED):
            return NOTHING
        if not self.filled:
            self.done = True
            return NOTHING
        legs = exit_orders(self.order, self.filled, event.ts_event)
        for leg in legs:
            assert leg.quantity is not None
            self.legs[leg.client_order_id] = leg.quantity
            self.desk.listen(leg.client_order_id, self)
        return [Release(leg, False) for leg in legs]


__all__ = ["BracketWatch", "TouchWatch", "TrailWatch"]
