"""Donchian channel breakout (the turtle rule).

Buy when the close breaks above the highest high of the previous `entry` bars; sell when it
breaks below the lowest low of the previous `exit` bars. With `allow_short`, the mirror image.
The channels are taken from the bar before, so a bar is compared with the past only.
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
    entry: Annotated[int, Meta(ge=2, le=1000, extra={"step": 1}, description="breakout lookback")] = 20
    exit: Annotated[int, Meta(ge=2, le=1000, extra={"step": 1}, description="exit lookback")] = 10
    allow_short: Annotated[bool, Meta(description="also trade downside breakouts")] = False
    qty: Annotated[float, Meta(gt=0, description="units per entry; none = all equity")] | None = None


class Donchian(Strategy):
    name = "donchian"
    Params = Params
    p: Params

    def indicators(self) -> dict[str, Ind]:
        return {"entry": ind("donchian", period=self.p.entry),
                "exit": ind("donchian", period=self.p.exit)}

    def on_bar(self, bar: Bar, ctx: Context) -> None:
        close, position = bar.close, ctx.position
        broke_long = position > 0 and close < ctx.indicator("exit.lower", 1)
        if broke_long or (position < 0 and close > ctx.indicator("exit.upper", 1)):
            ctx.close()
        elif not position:
            qty = self.p.qty if self.p.qty is not None else ctx.equity / close
            if close > ctx.indicator("entry.upper", 1):
                ctx.buy(self.p.qty)
            elif self.p.allow_short and close < ctx.indicator("entry.lower", 1):
                ctx.sell(qty)

    def signals(self, frame: object) -> Targets:
        close = frame["close"].to_numpy()  # type: ignore[index]
        before = {k: np.roll(frame[k].to_numpy(), 1) for k in  # type: ignore[index]
                  ("entry.upper", "entry.lower", "exit.upper", "exit.lower")}
        for values in before.values():
            values[0] = np.nan
        state = np.full(len(close), np.nan)
        long_in, long_out = close > before["entry.upper"], close < before["exit.lower"]
        short_in, short_out = close < before["entry.lower"], close > before["exit.upper"]
        target, current = 0.0, 0.0
        for i in np.flatnonzero(long_in | long_out | short_in | short_out):
            if (current > 0 and long_out[i]) or (current < 0 and short_out[i]):
                target = 0.0
            elif current == 0 and long_in[i]:
                target = 1.0
            elif current == 0 and self.p.allow_short and short_in[i]:
                target = -1.0
            if target != current:
                state[i] = current = target
        return fraction(state) if self.p.qty is None else units(state * self.p.qty)
