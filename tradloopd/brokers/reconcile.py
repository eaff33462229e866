"""Reconciliation: what the venue says against what the journal says, as events to record.

Pure and synchronous; the broker actor (while running) and the start-up reconciliation (before
trading) do the I/O and record what this module decides through the journal, so the journal stays
the single source of truth. Three questions:

- **One order** (`catch_up`): given the venue's story of an order (accepted, fills, end), which
  events has the journal not recorded yet? Fills already known (by fill id) and status events the
  order is past are dropped; a fill that would overfill the order is a broken invariant.
- **Orders the journal does not know** (`unknown_orders`): open at the venue under a client order
  id the journal never issued (placed by hand, or by another program). Per `unknown-orders`:
  reported only, adopted (recorded as our orders, with strategy id "adopted", at start), or
  cancelled at the venue.
- **Positions** (`position_differences`, `adjustment`): the venue's position per symbol against
  the journal's. Per `position-changes`: refused (the daemon will not trade until someone looks),
  or accepted: an adjustment is booked as a trade at the venue's last price (strategy id
  "reconcile"), so the journal's positions equal the venue's again.
"""

from __future__ import annotations

import copy
from collections.abc import Container, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from tradloopd.account import Account
from tradloopd.brokers.base import VenueOrder, VenueSnapshot
from tradloopd.errors import IllegalTransition, InvariantError
from tradloopd.messages import (
    Order,
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    SubmitOrder,
)
from tradloopd.model import ZERO, Liquidity, OrderStatus, OrderType, Side
from tradloopd.orders.state import ALLOWED_FROM, TrackedOrder

ADOPTED = "adopted"
RECONCILE = "reconcile"


class ReconcileSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                        rename="kebab"):
    """The `[venue.reconcile]` section.

    - `interval-s`: how often, while running, open orders and positions are compared with the venue.
    - `unknown-orders`: what to do with an open venue order the journal does not know: "report" (a
      warning only), "adopt" (record it as ours at start; reported while running) or "cancel" it.
    - `position-changes`: a venue position that differs from the journal's: "refuse" to trade (at
      start the daemon exits with the difference; while running trading is halted), or "accept" it
      at start with a warning and an adjustment booked at the last price (while running: trading is
      halted until a restart books it).
    """

    interval_s: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    unknown_orders: Literal["report", "adopt", "cancel"] = "report"
    position_changes: Literal["refuse", "accept"] = "refuse"


class ReconcileError(InvariantError):
    """The journal and the venue disagree in a way the configured policy does not resolve."""


# One order ------------------------------------------------------------------------------------


def catch_up(tracked: TrackedOrder, story: Sequence[OrderEvent],
             known_fills: Container[str]) -> list[OrderEvent]:
    """The events of the venue's `story` of this order that the journal still lacks, in order.

    An intent the journal never saw sent (INITIALIZED) that the venue does not know stays as it is
    (start-up denies it). Raises InvariantError when the venue reports more than the order holds.
    """
    probe = copy.copy(tracked)
    missing: list[OrderEvent] = []
    for event in story:
        if isinstance(event, OrderFilled) and event.fill_id in known_fills:
            continue
        if probe.status is OrderStatus.INITIALIZED:
            if isinstance(event, OrderRejected):
                return []
            probe.mark_submitted(event.ts_event)
        if probe.status not in ALLOWED_FROM[type(event)]:
            continue  # already past it: a repeat of what the journal has
        try:
            probe.apply(event)
        except IllegalTransition as exc:
            raise InvariantError(f"venue report for {tracked.client_order_id} does not fit the journal: "
                                 f"{exc}") from exc
        missing.append(event)
    return missing


def is_unknown_to_venue(story: Sequence[OrderEvent]) -> bool:
    """A broker's answer for an order the venue has no record of."""
    return len(story) == 1 and isinstance(story[0], OrderRejected)


# Orders the journal does not know ---------------------------------------------------------------


@dataclass(frozen=True)
class UnknownOrders:
    adopt: list[Order]
    cancel: list[VenueOrder]
    report: list[VenueOrder]


def unknown_orders(account: Account, snapshot: VenueSnapshot, policy: str, *,
                   starting: bool) -> UnknownOrders:
    """Open venue orders the journal never issued (or considers finished), sorted by what `policy`
    does with them. Only a never-issued order with a known side and type can be adopted."""
    found = [o for o in snapshot.open_orders if _finished_or_unknown(account, o.client_order_id)]
    if policy == "cancel":
        return UnknownOrders(adopt=[], cancel=found, report=[])
    adoptable = [o for o in found if starting and o.side is not None and o.kind is not None
                 and o.client_order_id not in account.orders]
    if policy == "adopt" and adoptable:
        rest = [o for o in found if o not in adoptable]
        return UnknownOrders(adopt=[adopted_order(o) for o in adoptable], cancel=[], report=rest)
    return UnknownOrders(adopt=[], cancel=[], report=found)


def _finished_or_unknown(account: Account, client_order_id: str) -> bool:
    tracked = account.orders.get(client_order_id)
    return tracked is None or tracked.status.is_terminal


def adopted_order(venue_order: VenueOrder) -> Order:
    """Our record of an order placed outside the daemon (its own client order id kept)."""
    assert venue_order.side is not None and venue_order.kind is not None
    stop = venue_order.kind in (OrderType.STOP, OrderType.STOP_LIMIT)
    limit = venue_order.kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    return Order(client_order_id=venue_order.client_order_id, symbol=venue_order.symbol,
                 side=venue_order.side, kind=venue_order.kind, quantity=venue_order.quantity,
                 price=venue_order.price if limit else None,
                 trigger_price=venue_order.trigger_price if stop else None, tif=venue_order.tif,
                 strategy_id=ADOPTED, tag=f"placed outside the daemon ({venue_order.venue_order_id})",
                 ts_init=venue_order.ts)


# Positions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionDifference:
    symbol: str
    journal: Decimal
    venue: Decimal

    @property
    def change(self) -> Decimal:
        return self.venue - self.journal

    def describe(self) -> str:
        return f"{self.symbol}: the journal holds {plain(self.journal)}, the venue {plain(self.venue)}"


def plain(number: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 0.51000 -> 0.51, 1E+2 -> 100."""
    return f"{number.normalize():f}"


def position_differences(account: Account, snapshot: VenueSnapshot,
                         symbols: Sequence[str]) -> list[PositionDifference]:
    """Symbols whose venue position differs from the journal's (the venue's missing one is 0)."""
    held = [s for s, p in account.portfolio.positions.items() if p.qty and s in symbols]
    differences = []
    for symbol in dict.fromkeys([*symbols, *held]):
        journal, venue = account.position(symbol), snapshot.positions.get(symbol, ZERO)
        if journal != venue:
            differences.append(PositionDifference(symbol, journal, venue))
    return differences


def adjustment(difference: PositionDifference, client_order_id: str, price: Decimal,
               ts: int) -> tuple[SubmitOrder, OrderAccepted, OrderFilled]:
    """The messages that book a position change made outside the daemon, as a trade at `price`."""
    side = Side.BUY if difference.change > 0 else Side.SELL
    quantity = abs(difference.change)
    order = Order(client_order_id=client_order_id, symbol=difference.symbol, side=side, quantity=quantity,
                  strategy_id=RECONCILE, tag="position changed outside the daemon", ts_init=ts)
    return (SubmitOrder(order=order, ts_event=ts),
            OrderAccepted(client_order_id=client_order_id, venue_order_id=RECONCILE, ts_event=ts),
            OrderFilled(client_order_id=client_order_id, fill_id=f"{client_order_id}:adjustment",
                        symbol=difference.symbol, side=side, quantity=quantity, price=price, fee=ZERO,
                        liquidity=Liquidity.TAKER, ts_event=ts))


def adjustment_price(account: Account, snapshot: VenueSnapshot, symbol: str) -> Decimal | None:
    """The venue's last price, else the journal position's average entry price."""
    if symbol in snapshot.prices:
        return snapshot.prices[symbol]
    position = account.portfolio.positions.get(symbol)
    return position.avg_price if position is not None else None
