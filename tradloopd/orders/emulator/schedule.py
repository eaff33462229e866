"""TWAP and VWAP: the quantity worked over a duration, toward a target that grows with time.

Both keep a target (the part of the quantity that should have filled by now, rounded down to the
lot) and place one child for what the target still lacks, replacing the live child if any; so an
unfilled part (a limit the price did not reach, a fill cut by the participation cap) is caught up
by the next child. Children are market orders, or limits at the parent's price.

- **TWAP** works on the clock: slice k of n is due at `start + k x duration / n` (start: the
  order's `ts_init`), and when it is due the target becomes (k + 1)/n of the quantity (all of it at
  the last slice). In the paper venue a slice due fires at the first bar opening at or after it.
- **VWAP** works on the bars: at each bar's close its child for the next bar is placed, toward the
  share F(x) the profile reaches at the next bar's close (x: time since start over the duration,
  at most 1), and no larger than `max_participation` x the volume of the bar that just closed.

Profiles, F(x): flat x; U x/2 + ((2x - 1)^3 + 1)/4 (heavier at both ends); front 1 - (1 - x)^2;
back x^2. Both end at the close of the first bar that closes after `start + duration` (the bar the
end falls in is matched in full): the live child is canceled and a parent short of its quantity
expires.
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
    """What TWAP and VWAP share: the target, its child, the end."""

    def __init__(self, desk: Emulator, order: Order, duration_ns: int) -> None:
        super().__init__(desk, order)
        self.duration = duration_ns
        self.start_ts = order.ts_init
        self.target = self.filled

    def child_quantity(self) -> Decimal:
        return self.target - self.filled

    def work(self, ts: int) -> list[Step]:
        order = self.order
        return self.replace(ts, order.kind, price=order.price, post_only=order.post_only)

    def ended(self, bar: Bar) -> bool:
        return bar.ts_event > self.start_ts + self.duration

    def on_bar(self, bar: Bar) -> list[Step]:
        if self.ended(bar):
            return self.end(OrderExpired(client_order_id=self.key, ts_event=bar.ts_event), "schedule ended")
        return NOTHING


class TwapOrder(Schedule):
    def __init__(self, desk: Emulator, order: Order, algo: Twap) -> None:
        super().__init__(desk, order, algo.duration_ns)
        self.slices = algo.slices
        self.next = 0  # the next slice

    def slice_ts(self, k: int) -> int:
        return self.start_ts + self.duration * k // self.slices

    def begin(self, ts: int) -> list[Step]:
        self.desk.schedule(self, "slice", self.slice_ts(self.next))
        return NOTHING

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        """Slices due by the last thing the parent did have been worked; the last of them is due
        again (its child is sized from the target, so working it twice never overfills)."""
        super().restore(tracked, children)
        last = max([tracked.ts_last, *(c.order.ts_init for c in children)])
        while self.next < self.slices - 1 and self.slice_ts(self.next + 1) <= last:
            self.next += 1
        self.begin(last)

    def on_time(self, key: str, now: int) -> list[Step]:
        if key != "slice":
            return super().on_time(key, now)
        while self.next < self.slices and self.slice_ts(self.next) <= now:
            self.next += 1
        k = self.next - 1
        self.target = self.quantity if k >= self.slices - 1 else \
            self.instrument.floor_size(self.quantity * (k + 1) / self.slices)
        if self.next < self.slices:
            self.desk.schedule(self, "slice", self.slice_ts(self.next))
        return self.work(now)


class VwapOrder(Schedule):
    def __init__(self, desk: Emulator, order: Order, algo: Vwap) -> None:
        super().__init__(desk, order, algo.duration_ns)
        self.profile = algo.profile
        self.cap = algo.max_participation
        self.volume = Decimal(0)  # of the bar that just closed

    def on_bar(self, bar: Bar) -> list[Step]:
        if self.ended(bar):
            return super().on_bar(bar)
        self.volume = to_decimal(bar.volume)
        elapsed = Decimal(bar.ts_event + (bar.ts_event - bar.ts_open) - self.start_ts)
        x = min(_ONE, elapsed / self.duration)
        share = profile_share(self.profile, x)
        self.target = self.quantity if x == _ONE else self.instrument.floor_size(self.quantity * share)
        return self.work(bar.ts_event) if self.target > self.filled else NOTHING

    def child_quantity(self) -> Decimal:
        wanted = self.target - self.filled
        if self.cap is not None:
            wanted = min(wanted, self.instrument.floor_size(self.volume * self.cap))
        return wanted
