"""Start-up reconciliation: before the daemon trades, bring the journal level with every venue.

Runs after the brokers connect and before the node rebuilds its state from the journal, and writes
what it finds straight into the journal (no actor runs yet), so the rebuilt accounts include it:

1. **Our orders.** Every order the journal does not consider finished (including intents that may
   or may not have been sent when the daemon died) is looked up by client order id, and the part
   of its story the journal lacks is recorded: acceptance, fills that happened while the daemon was
   down, a cancel or expiry at the venue. An intent the venue never received stays unsent (the node
   then denies it); an order sent but unknown to the venue is rejected; a working order the venue
   no longer has is recorded as canceled. Orders the venue might still be receiving (younger than
   `resolve-grace-s`) are asked about again once that has passed.
2. **Orders we never placed**, open at the venue: reported, adopted or cancelled (`unknown-orders`).
3. **Positions** (after 1 and 2): a difference is refused (`ReconcileError`: the daemon exits
   with the differences and what to do) or, with `position-changes = "accept"`, booked as an
   adjustment at the venue's last price, with a warning. The comparison is repeated until two
   snapshots in a row agree, so a fill landing during the check is not taken for a change.

Balances are logged next to the journal's cash; they are not compared (the journal's cash is the
daemon's budget, and funding, deposits and other assets move the venue's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import structlog
import trio

from tradloopd.account import Account
from tradloopd.brokers import reconcile
from tradloopd.brokers.actor import NS_PER_S, WatchSettings
from tradloopd.brokers.base import Broker, VenueSnapshot
from tradloopd.brokers.reconcile import PositionDifference, ReconcileError
from tradloopd.brokers.router import Router
from tradloopd.clock import Clock
from tradloopd.errors import ConfigError
from tradloopd.messages import OrderCanceled, SubmitOrder
from tradloopd.model import OrderStatus
from tradloopd.orders.state import TrackedOrder
from tradloopd.store.journal import Journal, JournalMessage

log = structlog.get_logger()
MAX_ROUNDS = 4
NOT_YET_SENT = (OrderStatus.INITIALIZED, OrderStatus.SUBMITTED, OrderStatus.UNRESOLVED)


class StartupReconciliation:
    """One pass over every venue; `run` raises ReconcileError when the daemon must not trade."""

    def __init__(self, brokers: Mapping[str, Broker], router: Router, journal: Journal,
                 settings: WatchSettings, *, node_id: str, clock: Clock) -> None:
        self.brokers = brokers
        self.router = router
        self.journal = journal
        self.settings = settings
        self.node_id = node_id
        self.clock = clock
        self.problems: list[str] = []

    @property
    def account(self) -> Account:
        return self.journal.account

    async def run(self) -> None:
        for tracked in self.account.orders.open_orders():
            if not any(self._routes_to(tracked.order.symbol, name) for name in self.brokers):
                log.warning("order_not_reconciled", client_order_id=tracked.client_order_id,
                            symbol=tracked.order.symbol, reason="no configured venue trades this symbol")
        for name, broker in self.brokers.items():
            await self._venue(name, broker)
        if self.problems:
            raise ReconcileError(
                "reconciliation with the venues failed, so the daemon will not trade: "
                + "; ".join(self.problems)
                + ". Check the venue, or set [venue.reconcile] position-changes = \"accept\" to book "
                  "the venue's positions")

    async def _venue(self, name: str, broker: Broker) -> None:
        policy = self.settings.reconcile
        snapshot, differences = await self._settled(name, broker)
        found = reconcile.unknown_orders(self.account, snapshot, policy.unknown_orders, starting=True)
        for order in found.adopt:
            log.warning("venue_order_adopted", venue=name, client_order_id=order.client_order_id,
                        symbol=order.symbol)
            await self._record([SubmitOrder(order=order, ts_event=self.clock.now_ns())])
            tracked = self.account.orders.get(order.client_order_id)
            assert tracked is not None
            await self._record(reconcile.catch_up(tracked, await broker.resolve(order), self._fill_ids()))
        for venue_order in found.cancel:
            log.warning("unknown_venue_order_canceled", venue=name,
                        client_order_id=venue_order.client_order_id)
            await broker.cancel(venue_order.client_order_id, venue_order.symbol)
        for venue_order in found.report:
            log.warning("unknown_venue_order", venue=name, client_order_id=venue_order.client_order_id,
                        symbol=venue_order.symbol, quantity=str(venue_order.quantity))
        if found.adopt:
            snapshot, differences = await self._settled(name, broker)
        await self._positions(name, snapshot, differences)
        log.info("venue_reconciled", venue=name, open_orders=len(snapshot.open_orders),
                 positions={s: str(q) for s, q in snapshot.positions.items()},
                 balances={a: str(q) for a, q in snapshot.balances.items()},
                 journal_cash=str(self.account.portfolio.cash))

    async def _settled(self, name: str, broker: Broker) -> tuple[VenueSnapshot, list[PositionDifference]]:
        """Catch our orders up and compare positions until two rounds in a row agree."""
        previous: list[PositionDifference] | None = None
        for _ in range(MAX_ROUNDS):
            await self._catch_up(name, broker)
            snapshot = await broker.snapshot(self.clock.now_ns())
            candidates = dict.fromkeys([*snapshot.positions, *self._held()])
            symbols = [s for s in candidates if self._routes_to(s, name)]
            differences = reconcile.position_differences(self.account, snapshot, symbols)
            if differences == previous or not differences:
                return snapshot, differences
            previous = differences
        return snapshot, differences

    async def _catch_up(self, name: str, broker: Broker) -> None:
        pending = [t for t in self.account.orders if not t.status.is_terminal
                   and self._routes_to(t.order.symbol, name)]
        await self._wait_for_grace(pending)
        for tracked in pending:
            story = await broker.resolve(tracked.order)
            if reconcile.is_unknown_to_venue(story) and tracked.status not in NOT_YET_SENT:
                log.warning("order_missing_at_venue", venue=name, client_order_id=tracked.client_order_id)
                story = [OrderCanceled(client_order_id=tracked.client_order_id,
                                       reason=f"{name} no longer has this order",
                                       ts_event=self.clock.now_ns())]
            await self._record(reconcile.catch_up(tracked, story, self._fill_ids()))

    async def _wait_for_grace(self, pending: Sequence[TrackedOrder]) -> None:
        """Orders that may still be on their way to the venue are asked about once they cannot be."""
        youngest = max((t.ts_last for t in pending if t.status in NOT_YET_SENT), default=None)
        if youngest is not None:
            left_s = self.settings.resolve_grace_s - (self.clock.now_ns() - youngest) / NS_PER_S
            if left_s > 0:
                log.info("waiting_for_orders_in_flight", seconds=round(left_s, 3))
                await trio.sleep(left_s)

    async def _positions(self, name: str, snapshot: VenueSnapshot,
                         differences: list[PositionDifference]) -> None:
        for difference in differences:
            if self.settings.reconcile.position_changes == "refuse":
                log.error("position_differs", venue=name, symbol=difference.symbol,
                          journal=str(difference.journal), venue_position=str(difference.venue))
                self.problems.append(f"{name} {difference.describe()}")
                continue
            price = reconcile.adjustment_price(self.account, snapshot, difference.symbol)
            if price is None:
                self.problems.append(f"{name} {difference.describe()}, and no price to book it at")
                continue
            log.warning("position_adjusted", venue=name, symbol=difference.symbol,
                        journal=str(difference.journal), venue_position=str(difference.venue),
                        price=str(price))
            await self._record(list(reconcile.adjustment(difference, self._adjustment_id(), price,
                                                         self.clock.now_ns())))

    async def _record(self, messages: Sequence[JournalMessage]) -> None:
        if messages:
            await trio.to_thread.run_sync(self.journal.append, list(messages))

    def _adjustment_id(self) -> str:
        pattern = re.compile(rf"{re.escape(self.node_id)}-r-(\d+)")
        used = [int(m.group(1)) for t in self.account.orders if (m := pattern.fullmatch(t.client_order_id))]
        return f"{self.node_id}-r-{max(used, default=0) + 1}"

    def _fill_ids(self) -> set[str]:
        return {fill.fill_id for fill in self.account.fills}

    def _held(self) -> list[str]:
        return [s for s, p in self.account.portfolio.positions.items() if p.qty]

    def _routes_to(self, symbol: str, name: str) -> bool:
        try:
            return self.router.venue_for(symbol) == name
        except ConfigError:  # a symbol no venue trades belongs to none
            return False
