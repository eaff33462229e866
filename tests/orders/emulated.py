"""Helpers of the emulator tests: the paper venue with a ledger that applies every event it emits."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tests.simulator.venue_builders import MINUTE, D, Paper, order
from tradloopd.account import Account
from tradloopd.messages import AlgoFilled, Order, OrderEvent, OrderFilled, OrderPlaced
from tradloopd.model import OrderStatus

__all__ = ["MINUTE", "D", "Desk", "order"]


class Desk(Paper):
    """A paper venue whose every event also goes to a trading-side account (as the journal does):
    an impossible sequence raises there."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.cash = D(kwargs.get("cash", 100_000))
        self.account = Account(self.cash)
        self.journal: list[Order | OrderEvent] = []  # intents and events, as the journal keeps them
        self.seen: dict[str, int] = {}  # the close of the last bar matched, per symbol

    def submit(self, *args: object, **kwargs: object) -> list[OrderEvent]:
        placed = args[0] if not isinstance(args[0], str) else order(*args, **kwargs)  # type: ignore[arg-type]
        assert isinstance(placed, Order)
        if not placed.ts_init:  # made now, as a strategy's order is
            placed = msgspec.structs.replace(placed, ts_init=self.now)
        self.account.add_order(placed)
        self.account.mark_submitted(placed.client_order_id, self.now)
        self.journal.append(placed)
        return self._book(super().submit(placed))

    def cancel(self, cid: str) -> list[OrderEvent]:
        return self._book(super().cancel(cid))

    def bar(self, o: float, h: float, lo: float, c: float, v: float = 1_000_000.0,
            symbol: str = "X") -> list[OrderEvent]:
        events = self._book(super().bar(o, h, lo, c, v, symbol))
        self.seen[symbol] = self.now
        return events

    def _book(self, events: list[OrderEvent]) -> list[OrderEvent]:
        for event in events:
            self.account.apply(event)
        self.journal += events
        return events

    def replayed(self) -> Account:
        """A new account rebuilt from the journal alone, as the daemon does on start."""
        account = Account(self.cash)
        for entry in self.journal:
            if isinstance(entry, Order):
                account.add_order(entry)
            else:
                account.apply(entry)
        return account

    def status(self, cid: str) -> OrderStatus:
        tracked = self.account.orders.get(cid)
        assert tracked is not None, f"no order {cid}"
        return tracked.status

    def filled(self, cid: str) -> Decimal:
        tracked = self.account.orders.get(cid)
        assert tracked is not None
        return tracked.filled_qty

    def held(self) -> list[str]:
        return [o.client_order_id for o in self.sim.held_orders()]


def children(events: list[OrderEvent]) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """(id, quantity, price) of every child order placed."""
    return [(e.order.client_order_id, e.order.quantity, e.order.price) for e in events
            if isinstance(e, OrderPlaced)]


def child_fills(events: list[OrderEvent]) -> list[tuple[str, Decimal, Decimal]]:
    return [(e.client_order_id, e.quantity, e.price) for e in events if isinstance(e, OrderFilled)]


def progress(events: list[OrderEvent]) -> list[tuple[str, str, Decimal]]:
    return [(e.client_order_id, e.child_id, e.quantity) for e in events if isinstance(e, AlgoFilled)]


def names(events: list[OrderEvent]) -> list[tuple[str, str]]:
    return [(type(e).__name__.removeprefix("Order"), e.client_order_id) for e in events]
