"""The broker protocol: what the daemon needs from a venue, whatever its wire format.

A `Broker` is the venue edge of the daemon. It speaks the venue's own API inside its adapter
package and converts every shape to our messages in one place; nothing venue-specific (no ccxt
dict, no ib_async object) leaves it. It is async (it does I/O) but knows nothing about channels:
the broker actor (`tradloopd/brokers/actor.py`) drives it and routes messages.

Rules every implementation follows:
- Our deterministic `client_order_id` goes on every order, so a retry can never duplicate one.
- `submit` returns what is known: `OrderAccepted` or `OrderRejected`; when the outcome is unknown
  (timeout, dropped connection) it returns `OrderUnresolved`, and `resolve` later finds the order by
  its client order id — never by resubmitting blindly.
- Venue errors become `tradloopd.errors` types at the adapter (`raise ... from exc`): unavailable
  and rate limited are retried with back-off here; auth errors are fatal; insufficient funds and
  invalid orders become `OrderRejected` with the venue's reason.
- Prices and quantities are rounded to the venue's increments (or the order rejected with a reason)
  before sending, from the instrument info `instruments()` returns.

How the broker actor uses the answers (added with the CCXT broker; nothing here is required of an
implementation beyond the signatures below):
- Every event list a method returns may repeat what is already known. The actor drops events the
  order has already had (a second `OrderAccepted`, a fill whose `fill_id` it has seen, a cancel of
  a finished order), so a broker may always return the *whole story* of an order: that is what
  `resolve` should do (accepted, every fill so far with stable fill ids, then the terminal event).
- `resolve` of an order the venue does not know returns `[OrderRejected(reason=...)]`; the actor
  turns that into nothing for an intent that was never sent.
- Fill ids must be stable: the same venue fill gets the same `fill_id` on every call and after a
  restart (e.g. built from the venue's trade or execution id).
- `OrderFilled.fee` is in the symbol's quote (or settlement) currency; convert at the adapter.
- Order types, time in force and flags the capabilities lack are decided by
  `tradloopd.brokers.emulation.decide` before `submit` is called; `submit` may assume support.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

import msgspec

from tradloopd.messages import Order, OrderEvent, OrderFilled
from tradloopd.model import Instrument, OrderType, Side, TimeInForce


class Capabilities(msgspec.Struct, frozen=True, kw_only=True):
    """What a venue supports natively; everything else is emulated locally or refused."""

    order_types: frozenset[OrderType]
    time_in_force: frozenset[TimeInForce]
    post_only: bool = False
    reduce_only: bool = False
    native_brackets: bool = False  # entry + stop-loss + take-profit as one venue order group
    native_oco: bool = False
    native_trailing: bool = False
    short_selling: bool = False
    notional_market_buy: bool = False  # a market buy sized in quote currency (Order.notional)


class VenueOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order as the venue reports it (converted), for reconciliation.

    The fields after `price` (added for adopting orders placed outside the daemon) default to
    "unknown"; a broker that fills them in lets reconciliation adopt the order.
    """

    client_order_id: str
    venue_order_id: str
    symbol: str
    status: str  # "open", "filled", "canceled", "rejected", "expired"
    quantity: Decimal
    filled_qty: Decimal
    price: Decimal | None = None
    side: Side | None = None
    kind: OrderType | None = None
    trigger_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    ts: int = 0  # when the venue created it, ns


class VenueSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What the venue says at one moment: used at start and periodically to reconcile."""

    ts: int
    open_orders: list[VenueOrder]
    fills: list[OrderFilled]  # our fills since the asked time (with our client order ids)
    positions: dict[str, Decimal]  # signed, by symbol (spot: base-asset balances)
    balances: dict[str, Decimal]  # by asset or currency
    prices: dict[str, Decimal] = {}  # last price by symbol, to book a position adjustment at


class Broker(Protocol):
    name: str
    capabilities: Capabilities

    async def connect(self) -> None:
        """Open the session (load markets / contract details); raise VenueAuthError if refused."""

    def instruments(self) -> dict[str, Instrument]:
        """Tick, lot and minimums for every tradable symbol (after `connect`)."""

    async def submit(self, order: Order) -> list[OrderEvent]: ...

    async def cancel(self, client_order_id: str, symbol: str) -> list[OrderEvent]: ...

    async def resolve(self, order: Order) -> list[OrderEvent]:
        """Find out what happened to an unresolved order, by its client order id."""

    async def poll(self) -> list[OrderEvent]:
        """Fills, cancels and expiries that happened since the last call, in venue order."""

    async def snapshot(self, since_ts: int) -> VenueSnapshot: ...

    async def close(self) -> None: ...
