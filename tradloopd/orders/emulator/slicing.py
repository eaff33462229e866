"""Algorithms that show the market only a part of the order: iceberg, POV, scale in/out.

- **Iceberg**: a limit child for `display_qty` (or what is left) at the parent's price; when it
  has filled completely the next one is placed at that bar's close, so at most one displayed part
  fills per bar.
- **POV**: at each bar's close, a child for `participation` x that bar's volume (rounded down to
  the lot, at most what is left) replaces the live one; market, or limit at the parent's price.
  No child before the first bar closes after the order; `end_ts` ends it (expired) at the first
  bar opening at or after it.
- **Scale**: `levels` limit children placed at once, at the parent's price and then `step` apart,
  each an equal part of the quantity rounded down to the lot (the last one takes the rest). When
  every level has ended, a parent that did not fill completely is canceled.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradloopd.messages import Bar, Iceberg, Order, OrderFilled, Pov, Scale
from tradloopd.model import ZERO, OrderType, to_decimal
from tradloopd.orders.emulator.program import NOTHING, Child, Ended, Parent
from tradloopd.orders.emulator.steps import Step
from tradloopd.orders.state import TrackedOrder

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator


class IcebergOrder(Parent):
    def __init__(self, desk: Emulator, order: Order, algo: Iceberg) -> None:
        super().__init__(desk, order)
        self.display = algo.display_qty
        self.refill = False

    def begin(self, ts: int) -> list[Step]:
        return self._show(ts)

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        super().restore(tracked, children)
        self.refill = not self.children

    def _show(self, ts: int) -> list[Step]:
        order = self.order
        return self.replace(ts, OrderType.LIMIT, price=order.price, post_only=order.post_only)

    def child_quantity(self) -> Decimal:
        return min(self.display, self.leaves)

    def child_filled(self, child: Child, fill: OrderFilled) -> list[Step]:
        self.refill = fill.client_order_id not in self.children
        return NOTHING

    def on_bar(self, bar: Bar) -> list[Step]:
        if not self.refill or self.children:
            return NOTHING
        self.refill = False
        return self._show(bar.ts_event)


class PovOrder(Parent):
    def __init__(self, desk: Emulator, order: Order, algo: Pov) -> None:
        super().__init__(desk, order)
        self.participation = algo.participation
        self.end_ts = algo.end_ts
        self.size = ZERO

    def expire_ts(self) -> int | None:
        ends = [t for t in (super().expire_ts(), self.end_ts) if t is not None]
        return min(ends) if ends else None

    def on_bar(self, bar: Bar) -> list[Step]:
        self.size = self.instrument.floor_size(to_decimal(bar.volume) * self.participation)
        if not self.size:
            return NOTHING
        order = self.order
        return self.replace(bar.ts_event, order.kind, price=order.price, post_only=order.post_only)

    def child_quantity(self) -> Decimal:
        return self.size


class ScaleOrder(Parent):
    def __init__(self, desk: Emulator, order: Order, algo: Scale) -> None:
        super().__init__(desk, order)
        self.step = algo.step
        self.levels = algo.levels

    def refusal(self) -> str | None:
        if self.instrument.floor_size(self.quantity / self.levels) <= ZERO:
            return f"{self.quantity} cannot be split into {self.levels} levels of at least one lot"
        return None

    def begin(self, ts: int) -> list[Step]:
        order = self.order
        assert order.price is not None
        part = self.instrument.floor_size(self.quantity / self.levels)
        steps: list[Step] = []
        for level in range(self.levels):
            quantity = part if level < self.levels - 1 else self.quantity - part * (self.levels - 1)
            steps.append(self.place(ts, quantity, OrderType.LIMIT, price=order.price + self.step * level,
                                    post_only=order.post_only))
        return steps

    def child_ended(self, child: Child, event: Ended) -> list[Step]:
        if self.children:
            return NOTHING
        return self.give_up(event.ts_event, "every level ended before the quantity filled")
