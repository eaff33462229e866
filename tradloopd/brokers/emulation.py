"""Native or emulated: whether a venue can take an order as it is, from its `Capabilities`.

`decide` is the one place that answers it. An order the venue supports natively is sent as it is
(`Native`; a trailing stop at a venue with native trailing carries its `trail` for the adapter).
An order it lacks but that the engine can work locally and send as simpler child orders is
`Emulated`: the broker actor hands it to the order emulator (`tradloopd.orders.emulator`), which
sends the venue only orders `decide` finds native. That covers algorithms, OCA/OTO/multi-leg
groups, if-touched orders (no adapter sends them natively) and stops at a venue without them
(watched on the bars, then sent as market or limit orders), trailing stops at a venue without
them (or with an activation price, which IB's native trail lacks), and attached stop-loss /
take-profit exits at a venue without native brackets. An order that cannot be done at this venue
at all is `Unsupported`.

Reduce-only on a venue without the flag (spot) is checked here against the position the journal
holds: an order that only reduces it is sent without the flag (the venue cannot increase a spot
position by selling what is there); one that would open or grow a position is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import msgspec

from tradloopd.brokers.base import Capabilities
from tradloopd.messages import Order, Trail
from tradloopd.model import ZERO, OrderType, Side, TimeInForce
from tradloopd.orders.emulator import Kind
from tradloopd.orders.exits import has_exits


@dataclass(frozen=True)
class Native:
    """Send `order` to the venue (possibly with flags the venue lacks taken off, see `note`);
    `trail` makes it the venue's own trailing stop."""

    order: Order
    note: str = ""
    trail: Trail | None = None


@dataclass(frozen=True)
class Emulated:
    """The engine must work this order locally and send the venue simple child orders."""

    reason: str


@dataclass(frozen=True)
class Unsupported:
    reason: str


Decision = Native | Emulated | Unsupported
_GROUPS = ("an OCA group", "an OTO child", "a multi-leg group")
_STOPS = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})


def decide(order: Order, capabilities: Capabilities, venue: str, position: Decimal = ZERO) -> Decision:
    """How `order` can be worked at `venue`, given its capabilities and our position there."""
    local = _emulated_here(order, capabilities, venue)
    if local is not None:
        return local
    if order.trail is not None:
        inner = decide(msgspec.structs.replace(order, trail=None), capabilities, venue, position)
        return Native(inner.order, inner.note, order.trail) if isinstance(inner, Native) else inner
    if has_exits(order):
        return Native(order)
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


def _emulated_here(order: Order, capabilities: Capabilities, venue: str) -> Decision | None:
    """The parts of the catalogue the emulator works for this venue, or None."""
    if order.algo is not None:
        return Emulated(f"{type(order.algo).__name__} orders are worked by the engine's emulator")
    for name, member in zip(_GROUPS, (order.oca_group, order.oto_parent, order.combo), strict=True):
        if member is not None:
            return Emulated(f"{name} is worked by the engine's emulator")
    match lacked(order, capabilities):
        case "touch":
            what = "if-touched" if order.if_touched else str(order.kind)
            return Emulated(f"{what} orders are not native at {venue}")
        case "trail":
            if order.kind not in capabilities.order_types:
                return Unsupported(f"a trailing {order.kind} is emulated with {order.kind} orders, which "
                                   f"{venue} lacks")
            return Emulated(f"this trailing stop is not native at {venue}")
        case "bracket":
            if not {OrderType.STOP, OrderType.LIMIT} <= capabilities.order_types:
                return Unsupported(f"attached exits are emulated with stop and limit orders, which {venue} "
                                   "lacks")
            return Emulated(f"attached stop-loss/take-profit exits are not native at {venue}")
    return None


def lacked(order: Order, capabilities: Capabilities) -> Kind | None:
    """The kind of `order` the venue cannot take natively, if any: if-touched orders (no adapter
    sends them) and stops the venue lacks are watched here ("touch"); then trailing and brackets."""
    trail = order.trail
    missing_stop = order.kind in _STOPS and order.kind not in capabilities.order_types
    if order.if_touched or (trail is None and missing_stop):
        return "touch"
    if trail is not None and not (capabilities.native_trailing and trail.activation is None
                                  and order.trigger_price is not None):
        return "trail"
    if has_exits(order) and not capabilities.native_brackets:
        return "bracket"
    return None


@dataclass(frozen=True)
class VenueKinds:
    """What a live venue works itself, for the emulator (`Kinds`): read from its capabilities."""

    capabilities: Capabilities

    def lacks(self, order: Order) -> Kind | None:
        return lacked(order, self.capabilities)


def _reduce_locally(order: Order, venue: str, position: Decimal) -> Decision:
    """Reduce-only at a venue without the flag: allowed when it only reduces the position."""
    closes = (position > 0 and order.side is Side.SELL) or (position < 0 and order.side is Side.BUY)
    if order.quantity is None or not closes or order.quantity > abs(position):
        return Unsupported(f"reduce-only {order.side} of {order.quantity or order.notional} {order.symbol} "
                           f"would not only reduce the position of {position}, and {venue} has no "
                           "reduce-only flag")
    return Native(msgspec.structs.replace(order, reduce_only=False), note="reduce-only checked locally")
