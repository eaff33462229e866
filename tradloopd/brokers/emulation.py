"""Native or emulated: whether a venue can take an order as it is, from its `Capabilities`.

`decide` is the one place that answers it. An order the venue supports natively is sent as it is
(`Native`). An order it lacks but that the engine can run locally and send as simpler child orders
(attached stop-loss/take-profit exits, and later trailing stops, OCO, TWAP...) is `Emulated`; the
local emulation is not built yet, so the broker actor refuses those with the reason given here
(the `Emulated` case of `BrokerVenueActor._submit` is where an emulator will take the order over).
An order that cannot be done at this venue at all is `Unsupported`.

Reduce-only on a venue without the flag (spot) is checked here against the position the journal
holds: an order that only reduces it is sent without the flag (the venue cannot increase a spot
position by selling what is there); one that would open or grow a position is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import msgspec

from tradloopd.brokers.base import Capabilities
from tradloopd.messages import Order
from tradloopd.model import ZERO, OrderType, Side, TimeInForce


@dataclass(frozen=True)
class Native:
    """Send `order` to the venue (possibly with flags the venue lacks taken off, see `note`)."""

    order: Order
    note: str = ""


@dataclass(frozen=True)
class Emulated:
    """The engine must work this order locally and send the venue simple child orders."""

    reason: str


@dataclass(frozen=True)
class Unsupported:
    reason: str


Decision = Native | Emulated | Unsupported
EMULATION_PENDING = "local emulation for live venues is not available yet"


def decide(order: Order, capabilities: Capabilities, venue: str, position: Decimal = ZERO) -> Decision:
    """How `order` can be worked at `venue`, given its capabilities and our position there."""
    if order.stop_loss is not None or order.take_profit is not None:
        if capabilities.native_brackets:
            return Native(order)
        return Emulated(f"attached stop-loss/take-profit exits are not native at {venue}")
    if order.kind not in capabilities.order_types:
        return Emulated(f"{order.kind} orders are not native at {venue}")
    if order.kind is not OrderType.MARKET and order.tif not in capabilities.time_in_force:
        return Unsupported(f"time in force {order.tif.upper()} is not available at {venue} (use one "
                           f"of {', '.join(sorted(t.upper() for t in capabilities.time_in_force))})")
    if order.post_only and not capabilities.post_only:
        return Unsupported(f"post-only orders are not available at {venue}")
    if order.post_only and order.tif is not TimeInForce.GTC:
        return Unsupported(f"a post-only order rests until it fills or is cancelled: use GTC, not "
                           f"{order.tif.upper()}")
    if order.notional is not None and not capabilities.notional_market_buy:
        return Unsupported(f"{venue} cannot size a market buy in quote currency; give a quantity")
    if order.reduce_only and not capabilities.reduce_only:
        return _reduce_locally(order, venue, position)
    if order.side is Side.SELL and position - (order.quantity or ZERO) < 0 and not capabilities.short_selling:
        return Unsupported(f"selling {order.quantity} {order.symbol} with a position of {position} would "
                           f"go short, which {venue} does not allow")
    return Native(order)


def _reduce_locally(order: Order, venue: str, position: Decimal) -> Decision:
    """Reduce-only at a venue without the flag: allowed when it only reduces the position."""
    closes = (position > 0 and order.side is Side.SELL) or (position < 0 and order.side is Side.BUY)
    if order.quantity is None or not closes or order.quantity > abs(position):
        return Unsupported(f"reduce-only {order.side} of {order.quantity or order.notional} {order.symbol} "
                           f"would not only reduce the position of {position}, and {venue} has no "
                           "reduce-only flag")
    return Native(msgspec.structs.replace(order, reduce_only=False), note="reduce-only checked locally")
