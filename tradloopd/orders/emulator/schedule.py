"""TWAP and VWAP: the quantity worked in slices on a schedule.

Slice k of n is due at `start + k x duration / n` (start: the order's `ts_init`); when it is due,
the parent's target becomes the part of the quantity the profile has reached at the end of that
slice (rounded down to the lot; all of it at the last slice), and one child is placed for what
the target still lacks (the live child, if any, is replaced). So an unfilled slice (a limit the
price did not reach, a fill cut by the participation cap) is caught up by the next one. A VWAP
child is also capped at `max_participation` of the last bar's volume seen. The schedule ends at
the close of the first bar that closes after `start + duration` (the bar the end falls in is
matched in full): the live child is canceled and a parent short of its quantity expires.

Profiles (the cumulative share F(x) of the quantity after a fraction x of the duration): flat
F = x (TWAP); U F = x/2 + ((2x - 1)^3 + 1)/4 (heavier at both ends); front F = 1 - (1 - x)^2;
back F = x^2.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tradloopd.messages import Bar, Order, OrderExpired, Twap, Vwap
from tradloopd.model import VolumeProfile, to_decimal
from tradloopd.orders.emulator.program import NOTHING, Parent
from tradloopd.orders.emulator.steps import Step
from tradloopd.orders.state import TrackedOrder

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator

_ONE, _TWO, _FOUR = Decimal(1), Decimal(2), Decimal(4)


def profile_share(profile: VolumeProfile, x: Decimal) -> Decimal:
    """F(x): the share of the quantity a profile has reached after the fraction x of the time."""
    match profile:
        case VolumeProfile.FLAT:
            return x
        case VolumeProfile.U:
            return x / _TWO + ((_TWO * x - _ONE) ** 3 + _ONE) / _FOUR
        case VolumeProfile.FRONT:
            return _ONE - (_ONE - x) ** 2
        case VolumeProfile.BACK:
            return x * x


class Schedule(Parent):
    """A TWAP or VWAP parent (module docstring)."""

    def __init__(self, desk: Emulator, order: Order, algo: Twap | Vwap) -> None:
        super().__init__(desk, order)
        self.slices = algo.slices
        self.duration = algo.duration_ns
        self.profile = algo.profile if isinstance(algo, Vwap) else VolumeProfile.FLAT
        self.cap = algo.max_participation if isinstance(algo, Vwap) else None
        self.start_ts = order.ts_init
        self.next = 0  # the next slice
        self.target = self.filled
        self.volume: Decimal | None = None  # of the last bar seen

    def slice_ts(self, k: int) -> int:
        return self.start_ts + self.duration * k // self.slices

    def begin(self, ts: int) -> list[Step]:
        self.desk.schedule(self, "slice", self.slice_ts(self.next))
        return NOTHING

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        """Slices due by the last thing the parent did have been worked; the next is due again
        (its child is sized from the target, so working it twice never overfills)."""
        super().restore(tracked, children)
        last = max([tracked.ts_last, *(c.order.ts_init for c in children)])
        while self.next < self.slices - 1 and self.slice_ts(self.next + 1) <= last:
            self.next += 1
        self.target = self._target(self.next - 1) if self.next else self.filled
        self.begin(last)

    def on_time(self, key: str, now: int) -> list[Step]:
        if key != "slice":
            return super().on_time(key, now)
        while self.next < self.slices and self.slice_ts(self.next) <= now:
            self.next += 1
        self.target = self._target(self.next - 1)
        if self.next < self.slices:
            self.desk.schedule(self, "slice", self.slice_ts(self.next))
        order = self.order
        return self.replace(now, order.kind, price=order.price, post_only=order.post_only)

    def _target(self, k: int) -> Decimal:
        if k >= self.slices - 1:
            return self.quantity
        share = profile_share(self.profile, Decimal(k + 1) / Decimal(self.slices))
        return self.instrument.floor_size(self.quantity * share)

    def child_quantity(self) -> Decimal:
        wanted = self.target - self.filled
        if self.cap is not None and self.volume is not None:
            wanted = min(wanted, self.instrument.floor_size(self.volume * self.cap))
        return wanted

    def on_bar(self, bar: Bar) -> list[Step]:
        self.volume = to_decimal(bar.volume)
        if bar.ts_event > self.start_ts + self.duration:
            return self.end(OrderExpired(client_order_id=self.key, ts_event=bar.ts_event), "schedule ended")
        return NOTHING
