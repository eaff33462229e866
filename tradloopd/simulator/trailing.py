"""A trailing stop's trigger as the paper venue moves it along a bar's path.

The trigger follows the best price seen: a sell stop (protecting a long) stays `amount` or
`percent` below the highest price, a buy stop above the lowest; it only ever moves toward the
market. It moves at each point of the intra-bar path the price visits (open, each extreme, close),
and between two points the order is checked against the trigger as it stood at the first: rising
prices cannot reach a sell stop that rises behind them, so this is exact. With an activation
price the order neither follows nor triggers until the price has reached it (at or above it for a
sell, at or below for a buy). The new trigger is rounded to the tick away from the market (a sell
stop down, a buy stop up). A trailing stop-limit keeps its limit at the distance it was given from
the trigger.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradloopd.messages import Order, Trail
from tradloopd.model import Instrument, Side

if TYPE_CHECKING:
    from tradloopd.simulator.venue import Working

_HUNDRED = Decimal(100)


class Trailing:
    """The trail of one working order: where it stands, and whether it moved since last said."""

    __slots__ = ("sell", "trail", "instrument", "first", "active", "moved", "activated", "offset")

    def __init__(self, order: Order, trail: Trail, instrument: Instrument) -> None:
        self.sell = order.side is Side.SELL
        self.trail = trail
        self.instrument = instrument
        self.first = order.trigger_price  # the trigger it starts from (None: from the first price)
        self.active = trail.activation is None
        self.moved = False  # the trigger moved (or the trail activated) since the last OrderModified
        self.activated = False
        self.offset = (None if order.price is None or order.trigger_price is None
                       else order.price - order.trigger_price)

    def start(self, working: Working) -> None:
        """Set the working order's trigger: the given one, or none until a price is seen; an
        order waiting for its activation price has no trigger yet."""
        working.trigger = self.first if self.active else None

    def follow(self, working: Working, point: Decimal) -> None:
        """The price is at `point`: activate if it reached the activation price, then ratchet."""
        if not self.active:
            activation = self.trail.activation
            assert activation is not None
            if (point < activation) if self.sell else (point > activation):
                return
            self.active = self.activated = self.moved = True
            working.trigger = self.first
        level = self._level(point)
        trigger = working.trigger
        if trigger is None or (level > trigger if self.sell else level < trigger):
            working.trigger = level
            if self.offset is not None:
                working.price = level + self.offset
            self.moved = True

    def _level(self, point: Decimal) -> Decimal:
        trail = self.trail
        if trail.amount is not None:
            level = point - trail.amount if self.sell else point + trail.amount
        else:
            assert trail.percent is not None
            factor = trail.percent / _HUNDRED
            level = point * (1 - factor) if self.sell else point * (1 + factor)
        return self.instrument.round_price(level, up=not self.sell)
