"""What every emulated order or group is to the emulator (`Program`), and the parent that works an
order through child orders (`Parent`).

A parent's children are real orders with ids `<parent>.<n>` and `parent_id` set; each child fill
is reported for the parent with `AlgoFilled`, and when the children have filled the parent's
quantity it is done. A parent replaces a child (to resize or move it) by canceling it first and
placing the new one once the venue says the old one has ended, so two children never work at once
and a fill racing the cancel is never doubled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tradloopd.messages import (
    AlgoFilled,
    Bar,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from tradloopd.model import ZERO, Instrument, OrderType
from tradloopd.orders.emulator.steps import Cancel, Emit, Place, Step
from tradloopd.orders.sessions import session_end
from tradloopd.orders.state import TrackedOrder

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator

NOTHING: list[Step] = []
ENDED = (OrderCanceled, OrderExpired, OrderRejected)
Ended = OrderCanceled | OrderExpired | OrderRejected


def why(event: Ended) -> str:
    return "expired" if isinstance(event, OrderExpired) else event.reason


class Program:
    """One emulated order or contingent group: it reacts to events, timers and bars with steps."""

    key: str  # what the emulator files it under: the order's id, or the group's name
    symbols: tuple[str, ...]  # whose bars and timers it needs
    done = False

    def on_event(self, event: OrderEvent) -> list[Step]:
        return NOTHING

    def on_time(self, key: str, now: int) -> list[Step]:
        return NOTHING

    def on_open(self, bar: Bar) -> None:
        """A bar of its symbol opens (paper venue): what the bar's length tells, before timers."""

    def on_bar(self, bar: Bar) -> list[Step]:
        return NOTHING

    def cancel(self, ts: int, reason: str) -> list[Step]:
        return NOTHING

    def view(self, client_order_id: str) -> tuple[Order, Decimal] | None:
        """An order this program holds, and how much of it has filled (for an OTO child's check)."""
        return None


class Child:
    """A child order of a parent, as far as the parent needs to know it."""

    __slots__ = ("order", "filled")

    def __init__(self, order: Order, filled: Decimal = ZERO) -> None:
        self.order = order
        self.filled = filled

    @property
    def leaves(self) -> Decimal:
        assert self.order.quantity is not None
        return self.order.quantity - self.filled


class Parent(Program):
    """An emulated order worked through child orders it places (see the module docstring)."""

    def __init__(self, desk: Emulator, order: Order) -> None:
        self.desk = desk
        self.order = order
        self.key = order.client_order_id
        self.symbols = (order.symbol,)
        self.instrument: Instrument = desk.instrument(order.symbol)
        self.children: dict[str, Child] = {}  # the live ones
        self.filled = ZERO
        self.count = 0  # children placed so far: the next id
        self.replacing = False  # children canceled to be replaced: place `wanted` once they ended
        self.wanted: dict[str, Any] | None = None

    # Life of the parent --------------------------------------------------------------------------

    @property
    def quantity(self) -> Decimal:
        assert self.order.quantity is not None
        return self.order.quantity

    @property
    def leaves(self) -> Decimal:
        return self.quantity - self.filled

    def start(self, ts: int) -> list[Step]:
        """Accept (or refuse, `refusal`), set the expiry of a GTD/DAY parent, then `begin`."""
        problem = self.refusal()
        if problem is not None:
            self.done = True
            return [Emit(OrderRejected(client_order_id=self.key, reason=problem, ts_event=ts))]
        expire = self.expire_ts()
        if expire is not None:
            self.desk.schedule(self, "expire", expire)
        accepted = OrderAccepted(client_order_id=self.key, venue_order_id=f"EMU-{self.key}", ts_event=ts)
        return [Emit(accepted), *self.begin(ts)]

    def refusal(self) -> str | None:
        """Why this order cannot start now (checked once, at submit), or None."""
        return None

    def view(self, client_order_id: str) -> tuple[Order, Decimal] | None:
        return (self.order, self.filled) if client_order_id == self.key else None

    def expire_ts(self) -> int | None:
        order = self.order
        if order.tif.value == "day":
            return session_end(order.ts_init, self.instrument)
        return order.expire_ts

    def begin(self, ts: int) -> list[Step]:
        return NOTHING

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        """Take up the work again after a restart: what filled, and the children still working."""
        self.filled = tracked.filled_qty
        self.count = len(children)
        for child in children:
            if not child.status.is_terminal:
                self.children[child.client_order_id] = Child(child.order, child.filled_qty)
                self.desk.listen(child.client_order_id, self)
        expire = self.expire_ts()
        if expire is not None:
            self.desk.schedule(self, "expire", expire)

    def cancel(self, ts: int, reason: str) -> list[Step]:
        return self.end(OrderCanceled(client_order_id=self.key, reason=reason, ts_event=ts),
                        "parent canceled")

    def end(self, event: OrderCanceled | OrderExpired, why: str) -> list[Step]:
        """Stop: cancel the live children, then say how the parent ended."""
        if self.done:
            return NOTHING
        self.done = True
        return [*(Cancel(cid, why) for cid in self.children), Emit(event)]

    def on_time(self, key: str, now: int) -> list[Step]:
        if key == "expire" and not self.done:
            return self.end(OrderExpired(client_order_id=self.key, ts_event=now), "parent expired")
        return NOTHING

    # Children ------------------------------------------------------------------------------------

    def place(self, ts: int, quantity: Decimal, kind: OrderType, **fields: Any) -> Place:
        self.count += 1
        order = self.order
        child = Order(client_order_id=f"{self.key}.{self.count}", symbol=order.symbol,
                      side=fields.pop("side", order.side), kind=kind, quantity=quantity,
                      reduce_only=fields.pop("reduce_only", order.reduce_only), parent_id=self.key,
                      strategy_id=order.strategy_id, tag=order.tag, ts_init=ts, **fields)
        self.children[child.client_order_id] = Child(child)
        self.desk.listen(child.client_order_id, self)
        return Place(child)

    def pending(self) -> Decimal:
        """Quantity the live children may still fill."""
        return sum((c.leaves for c in self.children.values()), ZERO)

    def replace(self, ts: int, kind: OrderType, **wanted: Any) -> list[Step]:
        """Cancel the live children and, once they have ended (at once when none is live), place
        one child of `kind` with the other fields of `place`, sized by `child_quantity` then."""
        self.wanted = {"kind": kind, **wanted}
        if not self.children:
            return self._place_wanted(ts)
        if self.replacing:
            return NOTHING
        self.replacing = True
        return [Cancel(cid, "replaced") for cid in self.children]

    def child_quantity(self) -> Decimal:
        """The size of the next child (never more than what is left): all of it by default."""
        return self.leaves

    def _place_wanted(self, ts: int) -> list[Step]:
        wanted, self.wanted, self.replacing = self.wanted, None, False
        if wanted is None or self.done:
            return NOTHING
        quantity = self.instrument.floor_size(min(self.child_quantity(), self.leaves - self.pending()))
        if quantity <= ZERO or quantity < self.instrument.min_size:
            return NOTHING
        return [self.place(ts, quantity, **wanted)]

    def on_event(self, event: OrderEvent) -> list[Step]:
        child = self.children.get(event.client_order_id)
        if child is None or self.done:
            return NOTHING
        if isinstance(event, OrderFilled):
            return self._child_filled(child, event)
        if isinstance(event, ENDED):
            del self.children[event.client_order_id]
            if self.replacing and not self.children:
                return self._place_wanted(event.ts_event)
            return self.child_ended(child, event)
        return NOTHING

    def _child_filled(self, child: Child, fill: OrderFilled) -> list[Step]:
        child.filled += fill.quantity
        quantity = min(fill.quantity, self.leaves)  # a fill racing the end of a live parent
        steps: list[Step] = []
        if quantity > ZERO:
            self.filled += quantity
            steps.append(Emit(AlgoFilled(client_order_id=self.key, child_id=fill.client_order_id,
                                         quantity=quantity, price=fill.price, fee=fill.fee,
                                         ts_event=fill.ts_event)))
        if child.leaves <= ZERO:
            del self.children[fill.client_order_id]
        if self.filled == self.quantity:
            self.done = True
            steps += [Cancel(cid, "parent filled") for cid in self.children]
            return steps
        return steps + self.child_filled(child, fill)

    def child_filled(self, child: Child, fill: OrderFilled) -> list[Step]:
        """A child filled (in part); the parent is not done yet."""
        return NOTHING

    def child_ended(self, child: Child, event: Ended) -> list[Step]:
        """A child ended without filling all of it, not because the parent replaced it."""
        return NOTHING

    def give_up(self, ts: int, reason: str) -> list[Step]:
        """Nothing more can be done (a child refused, the position gone): cancel the parent."""
        return self.end(OrderCanceled(client_order_id=self.key, reason=reason, ts_event=ts), reason)

