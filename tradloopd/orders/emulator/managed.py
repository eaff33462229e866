"""Position management: exits that follow the position and the market.

Each is an exit order for (a part of) an open position, worked through one child at the venue:
- **ATR trailing stop**: a stop child, first at the order's trigger price; at each bar close, once
  ATR(`period`) of the bars seen since the order has a value, the stop moves to the bar's high
  minus `multiple` x ATR (a buy stop: low plus), rounded to the tick away from the market, when
  that is closer to the market than where it is (it never moves back).
- **Profit target**: a limit child `offset` (or `percent`) beyond the position's average entry
  price (rounded away from the market); at each bar close it is moved if the average moved. Refused
  when there is no position the exit would reduce.
- **Break-even stop**: a stop child at the order's trigger price; at the close of the first bar
  whose high (a buy stop: low) reached `threshold`, it moves to the break-even price: the average
  entry price plus the entry fees per unit still carried by the open lots, plus `offset` (a short:
  minus), rounded to the tick away from the market, if that is closer to the market.
- **Timed exit**: a market child sent at `at_ts`, or `bars` bars after the order (the bar length
  read from the first bar seen) - at the first bar opening at or after that time in the paper
  venue.
A child the venue ends (a reduce-only exit when the position is gone) ends the parent (canceled).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from tradloopd.messages import AtrTrail, Bar, BreakEven, Order, ProfitTarget, TimedExit
from tradloopd.model import OrderType, Side, to_decimal
from tradloopd.orders.emulator.program import NOTHING, Child, Ended, Parent, why
from tradloopd.orders.emulator.steps import Step
from tradloopd.orders.state import TrackedOrder

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator
    from tradloopd.positions import Position

_HUNDRED = Decimal(100)


class Exit(Parent):
    """An exit worked through one child: the venue ending that child ends the parent."""

    @property
    def sell(self) -> bool:
        return self.order.side is Side.SELL

    def better(self, new: Decimal, old: Decimal | None) -> bool:
        """`new` is closer to the market than `old` for this exit's stop (higher for a sell)."""
        return old is None or (new > old if self.sell else new < old)

    def child_ended(self, child: Child, event: Ended) -> list[Step]:
        return self.give_up(event.ts_event, f"the exit ended at the venue: {why(event)}")


class AtrTrailingStop(Exit):
    def __init__(self, desk: Emulator, order: Order, algo: AtrTrail) -> None:
        from tradloopd.indicators.volatility import ATR  # the streaming indicator, as strategies use

        super().__init__(desk, order)
        self.multiple = algo.multiple
        self.atr = ATR(algo.period)
        self.stop = order.trigger_price

    def begin(self, ts: int) -> list[Step]:
        return self._stop_at(ts)

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        super().restore(tracked, children)
        live = [c.order.trigger_price for c in children if not c.status.is_terminal]
        self.stop = live[-1] if live else self.stop

    def _stop_at(self, ts: int) -> list[Step]:
        return self.replace(ts, self.order.kind, trigger_price=self.stop)

    def on_bar(self, bar: Bar) -> list[Step]:
        atr = self.atr.update(bar.high, bar.low, bar.close)
        if math.isnan(atr):
            return NOTHING
        distance = self.multiple * to_decimal(atr)
        best = to_decimal(bar.high) if self.sell else to_decimal(bar.low)
        level = self.instrument.round_price(best - distance if self.sell else best + distance,
                                            up=not self.sell)
        if not self.better(level, self.stop):
            return NOTHING
        self.stop = level
        return self._stop_at(bar.ts_event)


class ProfitTargetExit(Exit):
    def __init__(self, desk: Emulator, order: Order, algo: ProfitTarget) -> None:
        super().__init__(desk, order)
        self.algo = algo
        self.price: Decimal | None = None

    def refusal(self) -> str | None:
        if self._target() is None:
            return f"a profit target {self.order.side}s out of a position: there is no " \
                   f"{'long' if self.sell else 'short'} position in {self.order.symbol}"
        return None

    def _position(self) -> Position | None:
        position = self.desk.position(self.order.symbol)
        if position is None or not position.qty or (position.qty > 0) != self.sell:
            return None
        return position

    def _target(self) -> Decimal | None:
        position = self._position()
        avg = None if position is None else position.avg_price
        if avg is None:
            return None
        algo = self.algo
        if algo.offset is not None:
            target = avg + algo.offset if self.sell else avg - algo.offset
        else:
            assert algo.percent is not None
            target = avg * (1 + algo.percent / _HUNDRED) if self.sell else avg * (1 - algo.percent / _HUNDRED)
        return self.instrument.round_price(target, up=self.sell)

    def begin(self, ts: int) -> list[Step]:
        return self.on_target(ts)

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        super().restore(tracked, children)
        live = [c.order.price for c in children if not c.status.is_terminal]
        self.price = live[-1] if live else None

    def on_target(self, ts: int) -> list[Step]:
        target = self._target()
        if target is None or target == self.price:
            return NOTHING
        self.price = target
        return self.replace(ts, OrderType.LIMIT, price=target)

    def on_bar(self, bar: Bar) -> list[Step]:
        return self.on_target(bar.ts_event)


class BreakEvenStop(Exit):
    def __init__(self, desk: Emulator, order: Order, algo: BreakEven) -> None:
        super().__init__(desk, order)
        self.algo = algo
        self.stop = order.trigger_price
        self.armed = False

    def begin(self, ts: int) -> list[Step]:
        return self.replace(ts, self.order.kind, trigger_price=self.stop)

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        super().restore(tracked, children)
        live = [c.order.trigger_price for c in children if not c.status.is_terminal]
        if live and live[-1] != self.stop:
            self.stop, self.armed = live[-1], True

    def on_bar(self, bar: Bar) -> list[Step]:
        if self.armed:
            return NOTHING
        threshold = self.algo.threshold
        reached = to_decimal(bar.high) >= threshold if self.sell else to_decimal(bar.low) <= threshold
        if not reached:
            return NOTHING
        self.armed = True
        level = self._break_even()
        if level is None or not self.better(level, self.stop):
            return NOTHING
        self.stop = level
        return self.replace(bar.ts_event, self.order.kind, trigger_price=level)

    def _break_even(self) -> Decimal | None:
        position = self.desk.position(self.order.symbol)
        if position is None or not position.qty or (position.qty > 0) != self.sell:
            return None
        size = abs(position.qty)
        fees = sum((lot.fee for lot in position.lots), Decimal(0))
        avg = position.cost / position.qty
        offset = self.algo.offset
        level = avg + (fees / size) + offset if self.sell else avg - (fees / size) - offset
        return self.instrument.round_price(level, up=self.sell)


class TimedExitOrder(Exit):
    def __init__(self, desk: Emulator, order: Order, algo: TimedExit) -> None:
        super().__init__(desk, order)
        self.algo = algo
        self.scheduled = False

    def begin(self, ts: int) -> list[Step]:
        if self.algo.at_ts is not None:
            self.desk.schedule(self, "exit", self.algo.at_ts)
            self.scheduled = True
        return NOTHING

    def restore(self, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
        super().restore(tracked, children)
        if not children:
            self.begin(tracked.ts_last)

    def on_open(self, bar: Bar) -> None:
        """The bar length is known: the exit is due `bars` of them after the order."""
        if self.scheduled or self.count:
            return
        assert self.algo.bars is not None
        self.scheduled = True
        self.desk.schedule(self, "exit", self.order.ts_init + self.algo.bars * (bar.ts_event - bar.ts_open))

    def on_bar(self, bar: Bar) -> list[Step]:
        self.on_open(bar)  # live venues have no bar opens: the first close tells the length
        return NOTHING

    def on_time(self, key: str, now: int) -> list[Step]:
        if key != "exit":
            return super().on_time(key, now)
        return self.replace(now, self.order.kind)
