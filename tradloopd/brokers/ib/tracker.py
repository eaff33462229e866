"""What we know about our orders at IB, and the order events it implies: the IB adapter's pure core.

The session (`broker.py`) reports observations here — an order acknowledged, failed with an IB
error, cancelled, filled (with its commission) — from live messages and from the open orders,
completed orders and executions it fetches after a reconnect. The tracker turns them into our order
events, each exactly once and in a legal order: a decision (`OrderAccepted` / `OrderRejected`) first,
then fills, then the end. No I/O, no `ib_async`.

How events are handed out:
- Nothing of an order is handed out before its decision: `submit` and `resolve` return what is known
  of their order (`announce`), and only then do its later events queue for `poll` (`drain`).
- A bracket's exit legs are announced when their parent has finished with a fill (that is when our
  order ledger registers them); a parent that ends without any fill takes its legs along silently.
- A cancel IB reports while one of the order's fills still waits for its commission report is held
  until that fill is in, so a fill never follows the end of its order.
- An order placed by an earlier run (`adopt`) passes its new events on, not its past: the daemon's
  reconciliation accounts for what happened while it was away.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec

from tradloopd.errors import InvariantError
from tradloopd.messages import (
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderUnresolved,
)
from tradloopd.model import ZERO, OrderType, Side, TimeInForce

WORKING_STATUSES = frozenset({"PreSubmitted", "Submitted", "PendingCancel"})
ACCEPTED_STATUSES = WORKING_STATUSES | {"Filled"}
CANCELED_STATUSES = frozenset({"Cancelled", "ApiCancelled"})
DONE_STATUSES = CANCELED_STATUSES | {"Filled", "Inactive"}
MAX_FINISHED = 10_000  # finished orders remembered (to ignore their late duplicates)


class VenueOrderState(msgspec.Struct, frozen=True, kw_only=True):
    """One of our orders as IB lists it (open or completed), in our terms."""

    client_order_id: str  # IB's orderRef
    venue_order_id: str  # IB's permId
    ib_order_id: int  # 0 for completed orders (IB does not say)
    symbol: str
    side: Side
    quantity: Decimal
    filled: Decimal
    status: str  # IB's: Submitted, PreSubmitted, Filled, Cancelled, ApiCancelled, Inactive, ...
    kind: OrderType | None = None  # None for IB order types we do not send
    tif: TimeInForce = TimeInForce.GTC
    price: Decimal | None = None  # limit price
    trigger_price: Decimal | None = None  # stop price (a trailing stop's current one)
    reason: str = ""  # IB's completed status ("Cancelled by Trader", a rejection text)


class ExecutionReport(msgspec.Struct, frozen=True, kw_only=True):
    """One IB execution of one of our orders, with its commission: our fill (its id is IB's
    execution id) and the IB order it belongs to."""

    fill: OrderFilled
    venue_order_id: str  # IB's permId

    @property
    def client_order_id(self) -> str:
        return self.fill.client_order_id

    @property
    def exec_id(self) -> str:
        return self.fill.fill_id


@dataclass(eq=False)
class _Entry:
    client_order_id: str
    symbol: str
    quantity: Decimal
    generation: int  # the connection it was sent on
    parent: _Entry | None = None
    legs: list[_Entry] = field(default_factory=list)
    venue_order_id: str = ""
    history: list[OrderEvent] = field(default_factory=list)
    handed: int = 0  # how much of history the caller has
    announced: bool = False  # new events go straight to the queue
    adopted: bool = False  # placed by an earlier run
    silent: bool = False  # a leg whose parent never filled: it never existed for our ledger
    decided: bool = False
    finished: bool = False
    filled: Decimal = ZERO
    exec_ids: set[str] = field(default_factory=set)
    awaiting_commission: set[str] = field(default_factory=set)
    held_end: OrderEvent | None = None


class OrderTracker:
    """Our orders at IB by client order id, and the queue of events for `poll`."""

    def __init__(self, *, max_finished: int = MAX_FINISHED) -> None:
        self._orders: dict[str, _Entry] = {}
        self._queue: list[OrderEvent] = []
        self._max_finished = max_finished

    # What is known --------------------------------------------------------------------------

    def knows(self, client_order_id: str) -> bool:
        return client_order_id in self._orders

    def is_adopted(self, client_order_id: str) -> bool:
        return self._orders[client_order_id].adopted

    def is_decided(self, client_order_id: str) -> bool:
        entry = self._orders.get(client_order_id)
        return entry is not None and entry.decided

    def is_finished(self, client_order_id: str) -> bool:
        entry = self._orders.get(client_order_id)
        return entry is None or entry.finished

    def generation(self, client_order_id: str) -> int:
        return self._orders[client_order_id].generation

    def has_events(self) -> bool:
        return bool(self._queue)

    # Orders coming and going ----------------------------------------------------------------

    def expect(self, order: Order, legs: list[Order], generation: int) -> None:
        """`order` (and its bracket legs) are about to be sent on connection `generation`."""
        assert order.quantity is not None
        parent = self._add(order.client_order_id, order.symbol, order.quantity, generation)
        for leg in legs:
            assert leg.quantity is not None
            child = self._add(leg.client_order_id, leg.symbol, leg.quantity, generation)
            child.parent = parent
            parent.legs.append(child)

    def forget(self, client_order_id: str) -> None:
        """Sending failed before anything left: the order (and its legs) never existed at IB."""
        entry = self._orders.pop(client_order_id)
        for leg in entry.legs:
            self._orders.pop(leg.client_order_id, None)

    def adopt(self, state: VenueOrderState, exec_ids: Iterable[str]) -> None:
        """An order of an earlier run, found at IB: from now on its new events are passed on."""
        if state.client_order_id in self._orders:
            return
        entry = self._add(state.client_order_id, state.symbol, state.quantity, generation=0)
        entry.adopted = entry.announced = entry.decided = True
        entry.venue_order_id = state.venue_order_id
        entry.filled = state.filled
        entry.exec_ids = set(exec_ids)
        entry.finished = state.status in DONE_STATUSES

    def announce(self, client_order_id: str) -> list[OrderEvent]:
        """Hand out everything not yet handed out of this order (and of its legs, if it is done);
        later events of it queue for `drain`."""
        return self._announce(self._orders[client_order_id])

    def whole_story(self, client_order_id: str) -> list[OrderEvent]:
        """Everything known of this order and its legs, handed out before or not (the broker actor
        drops what it already has); later events queue for `drain`."""
        entry = self._orders[client_order_id]
        self._announce(entry)
        events = list(entry.history)
        for leg in entry.legs:
            if leg.announced:
                events += leg.history
        return events

    def unresolved(self, client_order_id: str, reason: str, ts: int) -> OrderUnresolved:
        """The caller gave up waiting for the decision; events keep collecting until `resolve`."""
        return OrderUnresolved(client_order_id=client_order_id, reason=reason, ts_event=ts)

    def lost(self, client_order_id: str, reason: str, ts: int) -> None:
        """IB does not have the order although the connection it was sent on is gone: rejected."""
        entry = self._orders[client_order_id]
        if not entry.decided:
            entry.decided = True
            self._end(entry, OrderRejected(client_order_id=client_order_id, reason=reason, ts_event=ts))

    def drain(self) -> list[OrderEvent]:
        events, self._queue = self._queue, []
        self._prune()
        return events

    # Observations ---------------------------------------------------------------------------

    def accepted(self, client_order_id: str, venue_order_id: str, ts: int) -> None:
        entry = self._orders.get(client_order_id)
        if entry is None or entry.decided:
            return
        entry.decided = True
        entry.venue_order_id = venue_order_id
        self._record(entry, OrderAccepted(client_order_id=client_order_id, venue_order_id=venue_order_id,
                                          ts_event=ts))

    def failed(self, client_order_id: str, code: int, message: str, ts: int) -> None:
        """IB ended the order with an error: rejected if it was never accepted, else cancelled."""
        entry = self._orders.get(client_order_id)
        if entry is None or entry.finished:
            return
        reason = f"IB error {code}: {message}" if code else message
        if not entry.decided:
            entry.decided = True
            self._end(entry, OrderRejected(client_order_id=client_order_id, reason=reason, ts_event=ts))
        else:
            self._end(entry, OrderCanceled(client_order_id=client_order_id, reason=reason, ts_event=ts))

    def canceled(self, client_order_id: str, venue_order_id: str, reason: str, ts: int) -> None:
        entry = self._orders.get(client_order_id)
        if entry is None or entry.finished:
            return
        self.accepted(client_order_id, venue_order_id, ts)  # only an accepted order can be cancelled
        self._end(entry, OrderCanceled(client_order_id=client_order_id, reason=reason, ts_event=ts))

    def execution_seen(self, client_order_id: str, exec_id: str) -> None:
        """An execution arrived; its fill follows with the commission report."""
        entry = self._orders.get(client_order_id)
        if entry is not None and exec_id not in entry.exec_ids:
            entry.awaiting_commission.add(exec_id)

    def filled(self, report: ExecutionReport) -> None:
        entry = self._orders.get(report.client_order_id)
        if entry is None or report.exec_id in entry.exec_ids:
            return
        if entry.finished:
            raise InvariantError(f"order {report.client_order_id}: IB reports fill {report.exec_id} after "
                                 "the order ended")
        fill = report.fill
        entry.exec_ids.add(report.exec_id)
        entry.awaiting_commission.discard(report.exec_id)
        self.accepted(report.client_order_id, report.venue_order_id, fill.ts_event)
        entry.filled += fill.quantity
        self._record(entry, msgspec.structs.replace(fill, symbol=entry.symbol))
        if entry.filled >= entry.quantity:
            self._end(entry, None)
        elif entry.held_end is not None and not entry.awaiting_commission:
            held, entry.held_end = entry.held_end, None
            self._end(entry, held)

    def reconcile(self, orders: list[VenueOrderState], fills: list[ExecutionReport], ts: int) -> None:
        """Catch up from what IB lists after a reconnect: fills first, then how each order stands."""
        for report in sorted(fills, key=lambda r: r.fill.ts_event):
            self.filled(report)
        states = {state.client_order_id: state for state in orders}
        for entry in list(self._orders.values()):
            if entry.finished:
                continue
            entry.awaiting_commission.clear()  # whatever IB did not list again will not come
            if entry.held_end is not None:
                held, entry.held_end = entry.held_end, None
                self._end(entry, held)
            state = states.get(entry.client_order_id)
            if state is not None:
                self.observe(state, ts)

    def observe(self, state: VenueOrderState, ts: int) -> None:
        """How IB lists the order now: acknowledged, cancelled or dead."""
        coid = state.client_order_id
        if state.status in ACCEPTED_STATUSES:
            self.accepted(coid, state.venue_order_id, ts)
        elif state.status in CANCELED_STATUSES:
            self.canceled(coid, state.venue_order_id, state.reason or "cancelled at IB", ts)
        elif state.status == "Inactive":
            self.failed(coid, 0, state.reason or "IB made the order inactive", ts)

    # Inside ---------------------------------------------------------------------------------

    def _add(self, client_order_id: str, symbol: str, quantity: Decimal, generation: int) -> _Entry:
        if client_order_id in self._orders:
            raise InvariantError(f"client order id {client_order_id} sent to IB twice")
        entry = self._orders[client_order_id] = _Entry(client_order_id, symbol, quantity, generation)
        return entry

    def _record(self, entry: _Entry, event: OrderEvent) -> None:
        if entry.silent:
            return
        entry.history.append(event)
        if entry.announced:
            self._queue.append(event)
            entry.handed = len(entry.history)

    def _end(self, entry: _Entry, event: OrderEvent | None) -> None:
        if event is not None and entry.awaiting_commission:
            entry.held_end = event  # a fill is still on its way
            return
        entry.finished = True
        if event is not None:
            self._record(entry, event)
        if entry.announced:
            self._queue.extend(self._release_legs(entry))

    def _announce(self, entry: _Entry) -> list[OrderEvent]:
        events = entry.history[entry.handed:]
        entry.handed = len(entry.history)
        entry.announced = True
        return events + self._release_legs(entry)

    def _release_legs(self, parent: _Entry) -> list[OrderEvent]:
        if not parent.finished:
            return []
        events: list[OrderEvent] = []
        for leg in parent.legs:
            if leg.announced or leg.silent:
                continue
            if parent.filled > 0:
                events += self._announce(leg)
            else:
                leg.silent = leg.finished = True
        return events

    def _prune(self) -> None:
        finished = [coid for coid, entry in self._orders.items() if entry.finished
                    and (entry.announced or entry.silent) and (entry.parent is None or entry.parent.finished)]
        for coid in finished[:max(0, len(finished) - self._max_finished)]:
            del self._orders[coid]


def story(state: VenueOrderState | None, fills: list[ExecutionReport], ts: int) -> list[OrderEvent]:
    """Everything that happened to an order placed by an earlier run, for a caller that has none of
    it: accepted, its fills, and its end. Needs the order's listing or at least one fill."""
    if state is None and not fills:
        return []
    coid, venue_id, symbol, quantity = (
        (state.client_order_id, state.venue_order_id, state.symbol, state.quantity) if state is not None
        else (fills[0].client_order_id, fills[0].venue_order_id, fills[0].fill.symbol,
              sum((f.fill.quantity for f in fills), ZERO)))
    tracker = OrderTracker()
    tracker._add(coid, symbol, quantity, generation=0).announced = True
    tracker.accepted(coid, venue_id, min([ts, *(f.fill.ts_event for f in fills)]))
    tracker.reconcile([state] if state is not None else [], fills, ts)
    return tracker.drain()
