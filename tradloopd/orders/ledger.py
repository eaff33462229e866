"""The ledger of every order a node has created, kept current by applying order events."""

from __future__ import annotations

from collections.abc import Iterator

from tradloopd.errors import InvariantError
from tradloopd.messages import Order, OrderDenied, OrderEvent, OrderFilled, OrderPlaced
from tradloopd.model import OrderStatus
from tradloopd.orders.exits import exit_orders, has_exits
from tradloopd.orders.state import TrackedOrder


class OrderLedger:
    """All orders by client order id, and the open ones in the order they were created."""

    def __init__(self) -> None:
        self._orders: dict[str, TrackedOrder] = {}
        self._open: dict[str, TrackedOrder] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, client_order_id: str) -> bool:
        return client_order_id in self._orders

    def __iter__(self) -> Iterator[TrackedOrder]:
        return iter(self._orders.values())

    def get(self, client_order_id: str) -> TrackedOrder | None:
        return self._orders.get(client_order_id)

    def add(self, order: Order) -> TrackedOrder:
        if order.client_order_id in self._orders:
            raise InvariantError(f"client order id {order.client_order_id} used twice")
        tracked = self._orders[order.client_order_id] = TrackedOrder(order)
        return tracked

    def mark_submitted(self, client_order_id: str, ts_event: int) -> None:
        tracked = self._require(client_order_id)
        tracked.mark_submitted(ts_event)
        self._open[client_order_id] = tracked

    def apply(self, event: OrderEvent) -> TrackedOrder:
        """Apply the event; a parent that finished filling registers its exit legs as submitted.

        An intent that is still INITIALIZED when a venue event arrives was evidently sent: it is
        marked submitted first (the journal records intents, then either a denial or venue events).
        A child order the emulator placed (`OrderPlaced`) is added here, as submitted.
        """
        if isinstance(event, OrderPlaced):
            child = self.add(event.order)
            self.mark_submitted(child.client_order_id, event.ts_event)
            return child
        tracked = self._require(event.client_order_id)
        if tracked.status is OrderStatus.INITIALIZED and not isinstance(event, OrderDenied):
            self.mark_submitted(event.client_order_id, event.ts_event)
        tracked.apply(event)
        if tracked.status.is_terminal:
            self._open.pop(event.client_order_id, None)
        if self._exits_due(tracked, event):
            for leg in exit_orders(tracked.order, tracked.filled_qty, event.ts_event):
                self.add(leg)
                self.mark_submitted(leg.client_order_id, event.ts_event)
        return tracked

    def open_orders(self, symbol: str | None = None) -> list[TrackedOrder]:
        return [t for t in self._open.values() if symbol is None or t.order.symbol == symbol]

    def _require(self, client_order_id: str) -> TrackedOrder:
        tracked = self._orders.get(client_order_id)
        if tracked is None:
            raise InvariantError(f"event for unknown order {client_order_id}")
        return tracked

    @staticmethod
    def _exits_due(tracked: TrackedOrder, event: OrderEvent) -> bool:
        """Exit legs start when the entry is done: filled, or canceled/expired after a part fill."""
        if not has_exits(tracked.order) or not tracked.filled_qty:
            return False
        if tracked.status is OrderStatus.FILLED:
            return isinstance(event, OrderFilled)
        return tracked.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED)
