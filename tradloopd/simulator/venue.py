"""The paper venue: accepts orders, matches them against bars, and keeps the paper account.

Used by replay and by paper trading on live data, with identical behaviour. Orders are matched on
the intra-bar path of `path.py`; a signal acted on at a bar's close therefore fills at the next
bar's open at the earliest. Fees, slippage, participation caps and buying power are applied at the
fill; see docs/simulator.md for every rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, assert_never

import msgspec

from tradloopd.messages import (
    Bar,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderPlaced,
    OrderRejected,
)
from tradloopd.model import ZERO, Instrument, OrderStatus, OrderType, Side, TimeInForce
from tradloopd.orders.emulator import PAPER, Cancel, Emit, Emulator, Natives, Place, Release, Step
from tradloopd.orders.exits import exit_orders, has_exits
from tradloopd.orders.sessions import session_end
from tradloopd.orders.state import TrackedOrder, order_problem
from tradloopd.positions import Portfolio
from tradloopd.simulator.matching import BarWalk
from tradloopd.simulator.path import IntrabarMode
from tradloopd.simulator.trailing import Trailing

_NO_EVENTS: list[OrderEvent] = []
_RESTING = frozenset({OrderStatus.ACCEPTED, OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED})


class SimulatorConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                      rename="kebab"):
    """How the paper venue fills: fees as fractions of notional, slippage in basis points."""

    maker_fee: Decimal = ZERO
    taker_fee: Decimal = ZERO
    slippage_bps: Decimal = ZERO
    intrabar: IntrabarMode = "nearest"
    limit_fill: Literal["touch", "through"] = "touch"
    leverage: Decimal = Decimal(1)
    max_participation: Decimal | None = None


class Working:
    """An order resting at the venue: what is left of it and where it stands in its life.

    `price` and `trigger` are the order's own, except that a trailing order's move (`trail`);
    `trigger_side` is the side whose stop rule the trigger follows: the order's own side for a
    stop, the other side for an if-touched order (a buy if-touched triggers as the price falls).
    """

    __slots__ = ("order", "leaves", "filled", "triggered", "fresh", "new", "seq", "fills", "price",
                 "trigger", "trigger_side", "trail")

    def __init__(self, order: Order, seq: int, trail: Trailing | None = None) -> None:
        self.order = order
        self.leaves: Decimal | None = order.quantity  # None: a notional order not yet sized
        self.filled = ZERO
        self.triggered = False
        self.fresh = True  # not yet passed by the price since it became active (fills as taker)
        self.new = True  # has not seen a bar yet (IOC/FOK are decided at their first bar's open)
        self.seq = seq
        self.fills = 0
        self.price = order.price
        self.trigger = order.trigger_price
        self.trigger_side = order.side.opposite if order.if_touched else order.side
        self.trail = trail
        if trail is not None:
            trail.start(self)


class Simulator:
    """The paper venue's core: `submit`, `cancel` and `on_bar` return the events they cause.

    Orders of kinds the venue works itself are matched here; the rest (algorithms, contingent
    groups) go to its order emulator (`tradloopd.orders.emulator`), which works them through
    child orders placed here. The emulator sees every event of the orders it follows the moment
    it happens, inside a bar's walk too, so a child it places joins the walk from that price.
    """

    def __init__(self, config: SimulatorConfig, instruments: Mapping[str, Instrument],
                 cash: Decimal, last: dict[str, float], *, natives: Natives = PAPER) -> None:
        self.config = config
        self.instruments = dict(instruments)
        self.account = Portfolio(cash)
        self.books: dict[str, list[Working]] = {}  # read-only outside: every order held, by symbol
        self.matching: dict[str, list[Working]] = {}  # the orders the matcher works, by symbol
        self.by_id: dict[str, Working] = {}  # the orders the matcher works
        self.held: dict[str, Working] = {}  # orders the emulator holds (not matched)
        self.last = last  # last close per symbol, kept current by whoever feeds the bars
        self._seen: set[str] = set()
        self._seq = 0
        self.trailing = 0  # how many working orders trail (the walk moves their triggers)
        self.emulator = Emulator(natives, self.instruments, self._venue_order,
                                 self.account.positions.get, on_hold=self._hold, on_let_go=self._let_go)
        self._watched = self.emulator.by_symbol  # symbols it works orders on (read-only here)
        self.listeners = self.emulator.listeners  # orders it follows (read-only here)

    def restore(self, orders: list[TrackedOrder], fills: list[OrderFilled], *,
                seen: Mapping[str, int] | None = None) -> None:
        """Rebuild after a restart: the account from the journaled fills, the emulator's work,
        and every other order the journal shows accepted and still open as working (what is left
        of it). `seen`, the close time of the last bar matched per symbol, tells the orders that
        have not met a bar yet (IOC/FOK decided at their first open, taker if marketable there);
        without it every order is taken to have met one (as resting)."""
        fill_counts: Counter[str] = Counter()
        for fill in fills:
            self.account.apply(fill)
            fill_counts[fill.client_order_id] += 1
        for tracked in orders:
            self._seen.add(tracked.client_order_id)
        emulator = self.emulator
        for tracked in orders:  # first the orders the emulator may ask about (OTO parents)
            if tracked.status in _RESTING and not emulator.takes(tracked.order):
                self._resume(tracked, self._with_day_expiry(tracked.order, tracked.order.ts_init),
                             fill_counts, seen)
        emulator.restore(orders)
        for tracked in orders:  # what the emulator took and has sent on (OCA legs, sent OTO children)
            if tracked.status in _RESTING and emulator.takes(tracked.order) \
                    and not emulator.holds(tracked.client_order_id):
                self._resume(tracked, tracked.order, fill_counts, seen)

    def _resume(self, tracked: TrackedOrder, order: Order, fill_counts: Counter[str],
                seen: Mapping[str, int] | None) -> None:
        working = self.add_working(order)
        working.leaves = tracked.leaves_qty
        working.filled = tracked.filled_qty
        working.fills = fill_counts[tracked.client_order_id]  # fill ids carry on
        working.triggered = tracked.triggered
        waiting = seen is not None and not tracked.filled_qty and not working.triggered \
            and tracked.ts_last >= seen.get(order.symbol, tracked.ts_last)
        working.new = working.fresh = waiting

    def has_working(self, symbol: str) -> bool:
        return bool(self.books.get(symbol))

    def working_orders(self) -> list[Order]:
        return [w.order for w in sorted(self.by_id.values(), key=lambda w: w.seq)]

    def held_orders(self) -> list[Order]:
        """Orders the emulator holds: parents of algorithms, OTO children, legs not yet sent."""
        return [w.order for w in sorted(self.held.values(), key=lambda w: w.seq)]

    def submit(self, order: Order, ts: int) -> list[OrderEvent]:
        """Accept or reject; a repeated client order id is ignored (idempotent submit)."""
        coid = order.client_order_id
        if coid in self._seen:
            return _NO_EVENTS
        self._seen.add(coid)
        reason = order_problem(order) or self._venue_problem(order)
        if reason is not None:
            return [OrderRejected(client_order_id=coid, reason=reason, ts_event=ts)]
        if self.emulator.takes(order):
            return self.run(self.emulator.submit(order, ts), ts)
        self.add_working(self._with_day_expiry(order, ts))
        return [OrderAccepted(client_order_id=coid, venue_order_id=f"SIM-{self._seq}",
                              ts_event=ts)]

    def add_working(self, order: Order) -> Working:
        self._seq += 1
        self._seen.add(order.client_order_id)
        trail = None
        if order.trail is not None:
            trail = Trailing(order, order.trail, self.instruments[order.symbol])
            self.trailing += 1
        working = Working(order, self._seq, trail)
        self.books.setdefault(order.symbol, []).append(working)
        self.matching.setdefault(order.symbol, []).append(working)
        self.by_id[order.client_order_id] = working
        return working

    def remove(self, working: Working) -> None:
        self.books[working.order.symbol].remove(working)
        self.matching[working.order.symbol].remove(working)
        del self.by_id[working.order.client_order_id]
        if working.trail is not None:
            self.trailing -= 1

    def cancel(self, client_order_id: str, ts: int, reason: str = "canceled") -> list[OrderEvent]:
        if self.held:
            steps = self.emulator.cancel(client_order_id, ts, reason)
            if steps is not None:
                return self.run(steps, ts)
        working = self.by_id.get(client_order_id)
        if working is None:
            return _NO_EVENTS  # unknown or already done: nothing to cancel, nothing to say
        self.remove(working)
        canceled = OrderCanceled(client_order_id=client_order_id, reason=reason, ts_event=ts)
        return self.settle([canceled, *self.exits_for(working, ts)], ts)

    def exits_for(self, working: Working, ts: int) -> list[OrderEvent]:
        """An entry is done (filled, canceled or expired): its exit legs for what it filled start
        working, each announced by an `OrderAccepted`. Nothing if it filled nothing."""
        if not working.filled or not has_exits(working.order):
            return _NO_EVENTS
        events: list[OrderEvent] = []
        for leg in exit_orders(working.order, working.filled, ts):
            child = self.add_working(leg)
            events.append(OrderAccepted(client_order_id=leg.client_order_id,
                                        venue_order_id=f"SIM-{child.seq}", ts_event=ts))
        return events

    def on_bar(self, bar: Bar) -> list[OrderEvent]:
        """Match the symbol's orders against the bar (the feeder has set `last`)."""
        symbol = bar.symbol
        if symbol in self._watched:
            return self._on_watched_bar(bar)
        book = self.matching.get(symbol)
        return BarWalk(self, bar, book).run() if book else _NO_EVENTS

    def _on_watched_bar(self, bar: Bar) -> list[OrderEvent]:
        """A bar of a symbol the emulator works orders on: its timers due at the bar's open first,
        then the walk, then what it decides at the bar's close."""
        emulator = self.emulator
        events = self.run(emulator.on_open(bar), bar.ts_open)
        book = self.matching.get(bar.symbol)
        if book:
            events += BarWalk(self, bar, book).run()
        return events + self.run(emulator.on_bar(bar), bar.ts_event)

    # The emulator's steps -----------------------------------------------------------------------

    def run(self, steps: list[Step], ts: int) -> list[OrderEvent]:
        """Carry out the emulator's steps; each event is followed by the steps it causes."""
        events: list[OrderEvent] = []
        for step in steps:
            for event in self._do(step, ts):
                events.append(event)
                events += self.react(event, ts)
        return events

    def react(self, event: OrderEvent, ts: int) -> list[OrderEvent]:
        """The events the emulator's answer to `event` causes (nothing if it follows no order)."""
        emulator = self.emulator
        if not emulator.listeners or event.client_order_id not in emulator.listeners:
            return _NO_EVENTS
        return self.run(emulator.on_event(event), ts)

    def settle(self, events: list[OrderEvent], ts: int) -> list[OrderEvent]:
        """`events` each followed by what the emulator does about it."""
        if not self.emulator.listeners:
            return events
        settled: list[OrderEvent] = []
        for event in events:
            settled.append(event)
            settled += self.react(event, ts)
        return settled

    def _do(self, step: Step, ts: int) -> list[OrderEvent]:
        match step:
            case Emit(event=event):
                return [event]
            case Place(order=order):
                placed = OrderPlaced(order=order, ts_event=ts)
                reason = order_problem(order) or self._venue_problem(order)
                if reason is not None:
                    return [placed, OrderRejected(client_order_id=order.client_order_id, reason=reason,
                                                  ts_event=ts)]
                working = self.add_working(self._with_day_expiry(order, ts))
                return [placed, OrderAccepted(client_order_id=order.client_order_id,
                                              venue_order_id=f"SIM-{working.seq}", ts_event=ts)]
            case Release(order=order, accepted=accepted):
                self._let_go(order.client_order_id)
                working = self.add_working(self._with_day_expiry(order, ts))
                if accepted:
                    return _NO_EVENTS
                return [OrderAccepted(client_order_id=order.client_order_id,
                                      venue_order_id=f"SIM-{working.seq}", ts_event=ts)]
            case Cancel(client_order_id=client_order_id, reason=reason):
                found = self.by_id.get(client_order_id)
                if found is None:
                    return _NO_EVENTS
                self.remove(found)
                return [OrderCanceled(client_order_id=client_order_id, reason=reason, ts_event=ts),
                        *self.exits_for(found, ts)]
            case _:
                assert_never(step)

    def _hold(self, order: Order) -> None:
        self._seq += 1
        working = self.held[order.client_order_id] = Working(order, self._seq)
        self.books.setdefault(order.symbol, []).append(working)

    def _let_go(self, client_order_id: str) -> None:
        working = self.held.pop(client_order_id, None)
        if working is not None:
            self.books[working.order.symbol].remove(working)

    def _venue_order(self, client_order_id: str) -> tuple[Order, Decimal] | None:
        working = self.by_id.get(client_order_id)
        return None if working is None else (working.order, working.filled)

    def _venue_problem(self, order: Order) -> str | None:
        instrument = self.instruments.get(order.symbol)
        if instrument is None:
            return f"unknown symbol {order.symbol!r}"
        if order.quantity is not None:
            if instrument.floor_size(order.quantity) != order.quantity:
                return f"quantity {order.quantity} is not a multiple of the lot size " \
                       f"{instrument.size_increment}"
            if order.quantity < instrument.min_size:
                return f"quantity {order.quantity} is below the minimum {instrument.min_size}"
        prices = [(name, getattr(order, name)) for name in ("price", "trigger_price", "stop_loss",
                                                              "take_profit")]
        if order.trail is not None:
            prices += [("trail amount", order.trail.amount), ("trail activation", order.trail.activation)]
        for name, value in prices:
            if value is not None and instrument.round_price(value, up=False) != value:
                return f"{name} {value} is not a multiple of the tick {instrument.price_increment}"
        if order.post_only and order.price is not None and self._marketable(order, order.price):
            return "post-only order would take liquidity"
        return None

    def _marketable(self, order: Order, limit: Decimal) -> bool:
        last = self.last.get(order.symbol)
        if last is None:
            return False
        return last <= limit if order.side is Side.BUY else last >= limit

    def is_limit_like(self, working: Working) -> bool:
        kind = working.order.kind
        return kind is OrderType.LIMIT or (kind is OrderType.STOP_LIMIT and working.triggered)

    def _with_day_expiry(self, order: Order, ts: int) -> Order:
        """A DAY order expires at its instrument's next session close (default: UTC midnight)."""
        if order.tif is TimeInForce.DAY and order.expire_ts is None:
            return msgspec.structs.replace(order, expire_ts=session_end(ts, self.instruments[order.symbol]))
        return order
