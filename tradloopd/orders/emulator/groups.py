"""Contingent groups: one-cancels-all, one-triggers-other, and multi-leg (all or none).

- **OCA** (`oca_group`): the legs work at the venue side by side; the first fill of any leg (even a
  part) cancels every other leg, at once. A leg that arrives after the group has filled is
  rejected. A group lives while one of its legs works; its name may be used again after that.
- **OTO** (`oto_parent`): the child is accepted and held here until its parent has filled
  completely, then sent. A parent that ends with a part filled sends the child cut to that part
  (`OrderModified`); one that ends with nothing filled cancels the child. The parent must be
  working when the child arrives.
- **Multi-leg** (`combo`): the legs (IOC or FOK, any symbols) are held until all of them have
  arrived, then sent together. If any leg ends without filling completely, the legs still working
  are canceled and every filled quantity is unwound with a market order (`<leg>.unwind`), so the
  group leaves no position. If legs are still missing when the next bar of the first leg's symbol
  closes (one was denied by the risk guard), the legs that came are canceled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec

from tradloopd.messages import (
    AlgoFilled,
    Bar,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderModified,
)
from tradloopd.model import ZERO, OrderType
from tradloopd.orders.emulator.program import ENDED, NOTHING, Program
from tradloopd.orders.emulator.steps import Cancel, Emit, Place, Step

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator


def _accepted(order: Order, ts: int) -> Emit:
    return Emit(OrderAccepted(client_order_id=order.client_order_id,
                              venue_order_id=f"EMU-{order.client_order_id}", ts_event=ts))


def filled_by(event: OrderEvent) -> Decimal:
    """The quantity an event says filled (a child's fill counts for its emulated parent)."""
    return event.quantity if isinstance(event, OrderFilled | AlgoFilled) else ZERO


class OcaGroup(Program):
    """One-cancels-all: see the module docstring."""

    def __init__(self, desk: Emulator, name: str) -> None:
        self.desk = desk
        self.name = name
        self.key = f"oca:{name}"
        self.symbols = ()
        self.legs: set[str] = set()  # legs not ended
        self.fired: str | None = None  # the leg that filled first

    def join(self, order: Order, ts: int) -> list[Step]:
        """Steps refusing a leg that comes too late; nothing when it joined."""
        if self.fired is not None:
            from tradloopd.orders.emulator.core import rejected

            return rejected(order, f"oca group {self.name}: {self.fired} has filled", ts)
        self.legs.add(order.client_order_id)
        self.desk.listen(order.client_order_id, self)
        return NOTHING

    def on_event(self, event: OrderEvent) -> list[Step]:
        leg = event.client_order_id
        if leg not in self.legs:
            return NOTHING
        if isinstance(event, ENDED):
            self.legs.discard(leg)
        elif filled_by(event) and self.fired is None:
            self.fired = leg
            self.legs.discard(leg)
            self.done = not self.legs
            return [Cancel(other, f"oca: {leg} filled") for other in sorted(self.legs)]
        self.done = not self.legs
        return NOTHING


class OtoLink(Program):
    """One-triggers-other: holds one child until its parent has filled (module docstring)."""

    def __init__(self, desk: Emulator, child: Order, parent: Order, parent_filled: Decimal) -> None:
        assert child.oto_parent is not None
        self.desk = desk
        self.child = child
        self.key = child.client_order_id
        self.symbols = ()
        self.parent = parent
        self.parent_filled = parent_filled

    def start(self, ts: int, *, accepted: bool = False) -> list[Step]:
        self.desk.hold(self.child, self)
        self.desk.listen(self.parent.client_order_id, self)
        return NOTHING if accepted else [_accepted(self.child, ts)]

    def view(self, client_order_id: str) -> tuple[Order, Decimal] | None:
        return (self.child, ZERO) if client_order_id == self.key else None

    def on_event(self, event: OrderEvent) -> list[Step]:
        if event.client_order_id != self.parent.client_order_id or self.done:
            return NOTHING
        self.parent_filled += filled_by(event)
        if self.parent_filled and self.parent_filled == self.parent.quantity:
            return self._send(event.ts_event)
        if isinstance(event, ENDED):
            if self.parent_filled:
                return self._send(event.ts_event)
            return self.cancel(event.ts_event, f"oto parent {self.parent.client_order_id} ended unfilled")
        return NOTHING

    def _send(self, ts: int) -> list[Step]:
        """The parent filled (or ended with a part filled): the child goes on, cut to that part."""
        self.done = True
        self.desk.let_go(self.key)
        child, steps = self.child, []
        assert child.quantity is not None
        if self.parent_filled < child.quantity:
            steps.append(Emit(OrderModified(client_order_id=self.key, ts_event=ts,
                                            quantity=self.parent_filled)))
            child = msgspec.structs.replace(child, quantity=self.parent_filled)
        return steps + self.desk.route(child, ts, accepted=True)

    def cancel(self, ts: int, reason: str) -> list[Step]:
        if self.done:
            return NOTHING
        self.done = True
        self.desk.let_go(self.key)
        return [Emit(OrderCanceled(client_order_id=self.key, reason=reason, ts_event=ts))]


class ComboGroup(Program):
    """Multi-leg, all or none: see the module docstring."""

    def __init__(self, desk: Emulator, name: str, legs: int) -> None:
        self.desk = desk
        self.name = name
        self.key = f"combo:{name}"
        self.symbols: tuple[str, ...] = ()
        self.size = legs
        self.legs: dict[str, Order] = {}
        self.filled: dict[str, Decimal] = {}
        self.working: set[str] = set()  # legs (and unwinds) sent and not ended or filled
        self.sent = False
        self.failed = False
        self.unwinds: dict[str, Decimal] = {}  # unwind id -> quantity still to fill

    def join(self, order: Order, ts: int) -> list[Step]:
        if self.sent or self.failed:
            from tradloopd.orders.emulator.core import rejected

            return rejected(order, f"multi-leg group {self.name} has already been sent", ts)
        coid = order.client_order_id
        self.legs[coid] = order
        self.filled[coid] = ZERO
        self.desk.hold(order, self)
        self.desk.listen(coid, self)
        steps: list[Step] = [_accepted(order, ts)]
        if len(self.legs) == 1:
            self.watch(order.symbol)
        if len(self.legs) == self.size:
            steps += self._send(ts)
        return steps

    def _send(self, ts: int) -> list[Step]:
        self.sent = True
        steps: list[Step] = []
        for coid, leg in self.legs.items():
            self.desk.let_go(coid)
            self.working.add(coid)
            steps += self.desk.route(leg, ts, accepted=True)
        return steps

    def watch(self, symbol: str) -> None:
        """Get the bars of the first leg's symbol: the next one to close ends the wait for legs."""
        self.symbols = (symbol,)
        self.desk.by_symbol.setdefault(symbol, []).append(self)

    def on_bar(self, bar: Bar) -> list[Step]:
        if self.sent:
            return NOTHING
        return self.cancel(bar.ts_event, f"multi-leg group {self.name}: only {len(self.legs)} of "
                                         f"{self.size} legs arrived")

    def cancel(self, ts: int, reason: str) -> list[Step]:
        """A held leg canceled: the whole group is (nothing was sent yet)."""
        if self.sent:
            return NOTHING
        self.done = self.failed = True
        for coid in self.legs:
            self.desk.let_go(coid)
        return [Emit(OrderCanceled(client_order_id=coid, reason=reason, ts_event=ts)) for coid in self.legs]

    def on_event(self, event: OrderEvent) -> list[Step]:
        coid = event.client_order_id
        if coid in self.unwinds:
            return self._unwound(coid, event)
        if coid not in self.legs or coid not in self.working:
            return NOTHING
        leg = self.legs[coid]
        self.filled[coid] += filled_by(event)
        if self.filled[coid] == leg.quantity:
            self.working.discard(coid)
            return self._unwind(coid, event.ts_event) if self.failed else self._check_done()
        if not isinstance(event, ENDED):
            return NOTHING
        self.working.discard(coid)
        steps: list[Step] = []
        if not self.failed:
            self.failed = True
            steps += [Cancel(other, f"multi-leg {self.name}: {coid} did not fill") for other in
                      sorted(self.working)]
            for other in self.legs:
                if other not in self.working and other != coid:
                    steps += self._unwind(other, event.ts_event)
        return steps + self._unwind(coid, event.ts_event)

    def _unwind(self, coid: str, ts: int) -> list[Step]:
        quantity = self.filled[coid]
        if not quantity:
            return self._check_done()
        leg = self.legs[coid]
        unwind = Order(client_order_id=f"{coid}.unwind", symbol=leg.symbol, side=leg.side.opposite,
                       kind=OrderType.MARKET, quantity=quantity, parent_id=coid,
                       strategy_id=leg.strategy_id, tag="unwind", ts_init=ts)
        self.unwinds[unwind.client_order_id] = quantity
        self.working.add(unwind.client_order_id)
        self.desk.listen(unwind.client_order_id, self)
        return [Place(unwind)]

    def _unwound(self, coid: str, event: OrderEvent) -> list[Step]:
        self.unwinds[coid] -= filled_by(event)
        if not self.unwinds[coid] or isinstance(event, ENDED):
            self.working.discard(coid)
        return self._check_done()

    def _check_done(self) -> list[Step]:
        self.done = not self.working and (self.failed or all(
            self.filled[c] == leg.quantity for c, leg in self.legs.items()))
        return NOTHING
