"""Moving-average cross, long only: the reference strategy every engine is checked against.

A cross up at bar i means fast[i] > slow[i] and fast[i-1] <= slow[i-1] (cross down symmetric).
When flat and crossing up, buy `qty` (default: all available cash) at the next bar's open; when
long and crossing down, sell the position at the next bar's open.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import numpy as np
from msgspec import Meta

from tradloopd.context import Context
from tradloopd.indicators import Ind, ind
from tradloopd.messages import Bar
from tradloopd.strategy import Strategy, Targets, fraction, units


class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fast: Annotated[int, Meta(ge=1, le=1000, extra={"step": 1}, description="fast SMA period")] = 10
    slow: Annotated[int, Meta(ge=2, le=5000, extra={"step": 1}, description="slow SMA period")] = 30
    qty: Annotated[float, Meta(gt=0, description="units per entry; none = all cash")] | None = None

    def __post_init__(self) -> None:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be less than slow ({self.slow})")


class MaCross(Strategy):
    name = "ma_cross"
    Params = Params
    p: Params

    def indicators(self) -> dict[str, Ind]:
        return {"fast": ind("sma", period=self.p.fast), "slow": ind("sma", period=self.p.slow)}

    def on_bar(self, bar: Bar, ctx: Context) -> None:
        fast, slow = ctx.indicator("fast"), ctx.indicator("slow")
        if fast > slow:
            if ctx.indicator("fast", 1) <= ctx.indicator("slow", 1) and not ctx.position:
                ctx.buy(self.p.qty)
        elif fast < slow and ctx.indicator("fast", 1) >= ctx.indicator("slow", 1) and ctx.position > 0:
            ctx.close()

    def signals(self, frame: object) -> Targets:
        fast = frame["fast"].to_numpy()  # type: ignore[index]
        slow = frame["slow"].to_numpy()  # type: ignore[index]
        now, before = slice(1, None), slice(None, -1)  # bar i and bar i-1 (NaN compares False)
        state = np.full(len(fast), np.nan)
        state[now][(fast[now] > slow[now]) & (fast[before] <= slow[before])] = 1.0
        state[now][(fast[now] < slow[now]) & (fast[before] >= slow[before])] = 0.0
        if self.p.qty is not None:
            state *= self.p.qty
        return fraction(state) if self.p.qty is None else units(state)
