"""Matching one bar: walk the intra-bar path and act on each order where the price reaches it.

Orders are acted on in the order the path reaches them (ties: the order accepted first). An exit
leg spawned by a fill joins the walk from the price where its parent filled, so a stop-loss can
trigger later in the same bar. Fill prices, fees and quantities follow `fills.py`. Trailing
triggers move at each path point (`trailing.py`); a moved trigger is announced with
`OrderModified` before the order's next event and at the end of the bar.

The bar's four path points are converted to exact Decimals once per bar (only bars with working
orders get here), so order prices and bar prices are compared in one exact domain.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import TYPE_CHECKING

from tradloopd.errors import InvariantError
from tradloopd.messages import (
    Bar,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderTriggered,
)
from tradloopd.model import OrderType, TimeInForce, to_decimal
from tradloopd.orders.exits import is_exit_leg
from tradloopd.simulator.fills import FillPlan, plan_fill
from tradloopd.simulator.path import bar_path, touch

if TYPE_CHECKING:
    from tradloopd.simulator.venue import Simulator, Working


class BarWalk:
    """One bar's matching pass over one symbol's book."""

    def __init__(self, sim: Simulator, bar: Bar, book: list[Working]) -> None:
        self.sim = sim
        self.bar = bar
        self.book = book
        self.ts = bar.ts_open
        self.events: list[OrderEvent] = []
        cap = sim.config.max_participation
        self.capacity: Decimal | None = (
            None if cap is None
            else sim.instruments[bar.symbol].floor_size(to_decimal(bar.volume) * cap)
        )
        self._steps = 0
        self.trailing = sim.trailing > 0  # any trailing order at all: follow the path points
        # the emulator follows some order (only then can it place orders during the walk)
        self.reacting = bool(sim.listeners)
        self._told = 0  # events up to here the order emulator has had

    def run(self) -> list[OrderEvent]:
        bar = self.bar
        self._expire()
        if self.reacting:
            self._react()
        open_ = to_decimal(bar.open)
        self._walk(open_, open_)
        self._end_arrivals()
        if self.reacting:
            self._react()
        if not self.book:
            return self.events  # all done at the open (the common market order): no path needed
        position = self.sim.account.qty(bar.symbol)  # after the open: an entry filled there counts
        path = bar_path(open_, to_decimal(bar.high), to_decimal(bar.low), to_decimal(bar.close),
                        mode=self.sim.config.intrabar, position_sign=(position > 0) - (position < 0))
        for a, b in itertools.pairwise(path):
            self._walk(a, b)
        for working in self.book:
            working.new = False
            working.fresh = False
        if self.trailing:
            self._follow(path[-1])
            for working in self.book:
                if working.trail is not None and working.trail.moved:
                    self._announce(working)
        if self.reacting:
            self._react()
        return self.events

    def _react(self) -> None:
        """Let the order emulator answer the events so far (a child placed now joins the walk)."""
        events, told = self.events, self._told
        while told < len(events):
            reactions = self.sim.react(events[told], self.ts)
            told += 1
            events[told:told] = reactions
            told += len(reactions)
        self._told = told

    def _expire(self) -> None:
        for working in list(self.book):
            expire_ts = working.order.expire_ts
            if expire_ts is not None and expire_ts <= self.ts:
                self.sim.remove(working)
                self.events.append(OrderExpired(client_order_id=working.order.client_order_id,
                                                ts_event=self.ts))
                self.events += self.sim.exits_for(working, self.ts)

    def _end_arrivals(self) -> None:
        """IOC and FOK orders live only at the price they arrive at: cancel what is left."""
        for working in list(self.book):
            if working.new and working.order.tif in (TimeInForce.IOC, TimeInForce.FOK):
                self._cancel(working, f"{working.order.tif} not filled at arrival")

    def _walk(self, a: Decimal, b: Decimal) -> None:
        if self.trailing:
            self._follow(a)
        current = a
        while (found := self._next_touch(current, b)) is not None:
            working, price = found
            if price != current:
                current = price
                for other in self.book:
                    other.fresh = False
            self._act(working, price)
            if self.reacting:
                self._react()
            self._steps += 1
            if self._steps > 10_000:
                raise InvariantError(f"bar matching did not settle for {self.bar.symbol}")

    def _next_touch(self, a: Decimal, b: Decimal) -> tuple[Working, Decimal] | None:
        through = self.sim.config.limit_fill == "through"
        best: tuple[Decimal, int, Working, Decimal] | None = None
        if self.capacity is not None and not self.capacity:
            return None
        for working in self.book:
            order = working.order
            price = touch(order.kind, order.side, working.price, working.trigger, working.trigger_side,
                          working.triggered, a, b, through=through)
            if price is None:
                continue
            key = (abs(price - a), working.seq)
            if best is None or key < best[:2]:
                best = (key[0], key[1], working, price)
        return None if best is None else (best[2], best[3])

    def _follow(self, point: Decimal) -> None:
        """The price is at a point of the path: every trailing order here follows it."""
        for working in self.book:
            if working.trail is not None and not working.triggered:
                working.trail.follow(working, point)

    def _announce(self, working: Working) -> None:
        """Say where a trailing order's trigger (and limit) stands now, and whether it activated."""
        trail = working.trail
        assert trail is not None
        self.events.append(OrderModified(
            client_order_id=working.order.client_order_id, ts_event=self.ts,
            trigger_price=working.trigger, price=working.price if trail.offset is not None else None,
            activated=trail.activated))
        trail.moved = trail.activated = False

    def _act(self, working: Working, price: Decimal) -> None:
        order = working.order
        if working.trail is not None and working.trail.moved:
            self._announce(working)
        if order.kind is OrderType.STOP:
            working.triggered = True  # from now on a market order, also for a rest the cap left
        if order.kind is OrderType.STOP_LIMIT and not working.triggered:
            working.triggered = True
            working.fresh = True
            self.events.append(OrderTriggered(client_order_id=order.client_order_id,
                                              ts_event=self.ts))
            return
        plan = plan_fill(self.sim, working, price, self.capacity)
        if isinstance(plan, str):
            self._cancel(working, plan)
            return
        self._fill(working, plan)

    def _fill(self, working: Working, plan: FillPlan) -> None:
        order = working.order
        working.fills += 1
        fill = OrderFilled(
            client_order_id=order.client_order_id, fill_id=f"{order.client_order_id}-{working.fills}",
            symbol=order.symbol, side=order.side, quantity=plan.quantity, price=plan.price,
            fee=plan.fee, liquidity=plan.liquidity, ts_event=self.ts,
            leaves_qty=plan.unfilled if order.notional is not None and plan.unfilled else None,
        )
        self.sim.account.apply(fill)
        self.events.append(fill)
        if self.capacity is not None:
            self.capacity -= plan.quantity
        working.leaves = plan.unfilled
        working.filled += plan.quantity
        if not working.leaves:
            self.sim.remove(working)
            self._on_done(working)
        elif order.reduce_only and not self.sim.account.qty(order.symbol):
            self._cancel(working, "reduce-only: the position is closed")

    def _on_done(self, working: Working) -> None:
        order = working.order
        if order.parent_id is not None and is_exit_leg(order):
            for sibling in list(self.book):
                if sibling.order.parent_id == order.parent_id and is_exit_leg(sibling.order):
                    self._cancel(sibling, "oco")
        self.events += self.sim.exits_for(working, self.ts)

    def _cancel(self, working: Working, reason: str) -> None:
        self.sim.remove(working)
        self.events.append(OrderCanceled(client_order_id=working.order.client_order_id,
                                         reason=reason, ts_event=self.ts))
        self.events += self.sim.exits_for(working, self.ts)
