"""EMA trend follower with an ADX filter and an ATR stop.

Enter long when the fast EMA is above the slow EMA, the trend is strong (ADX above `adx_min`)
and +DI leads -DI; with `allow_short`, the mirror image enters short. Every entry carries a
stop-loss `atr_mult` ATRs away from the signal bar's close. Exit when the EMAs cross back.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from tradloopd.context import Context
from tradloopd.indicators import Ind, ind
from tradloopd.messages import Bar
from tradloopd.strategy import Strategy


class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fast: Annotated[int, Meta(ge=2, le=500, extra={"step": 1}, description="fast EMA period")] = 20
    slow: Annotated[int, Meta(ge=3, le=1000, extra={"step": 1}, description="slow EMA period")] = 50
    adx_period: Annotated[int, Meta(ge=2, le=200, description="ADX period")] = 14
    adx_min: Annotated[float, Meta(ge=0, le=100, description="minimum ADX to enter")] = 20.0
    atr_period: Annotated[int, Meta(ge=1, le=200, description="ATR period")] = 14
    atr_mult: Annotated[float, Meta(gt=0, le=20, description="stop distance in ATRs")] = 2.0
    allow_short: Annotated[bool, Meta(description="also trade the down trend")] = False
    qty: Annotated[float, Meta(gt=0, description="units per entry; none = all cash")] | None = None

    def __post_init__(self) -> None:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be less than slow ({self.slow})")


class EmaAdx(Strategy):
    name = "ema_adx"
    Params = Params
    p: Params

    def indicators(self) -> dict[str, Ind]:
        p = self.p
        return {"fast": ind("ema", period=p.fast), "slow": ind("ema", period=p.slow),
                "adx": ind("adx", period=p.adx_period), "atr": ind("atr", period=p.atr_period)}

    def on_bar(self, bar: Bar, ctx: Context) -> None:
        fast, slow = ctx.indicator("fast"), ctx.indicator("slow")
        position = ctx.position
        if (position > 0 and fast < slow) or (position < 0 and fast > slow):
            ctx.close()
            return
        if position or not ctx.indicator("adx.adx") > self.p.adx_min:
            return
        stop = self.p.atr_mult * ctx.indicator("atr")
        plus, minus = ctx.indicator("adx.plus_di"), ctx.indicator("adx.minus_di")
        if fast > slow and plus > minus:
            ctx.buy(self.p.qty, stop_loss=bar.close - stop)
        elif self.p.allow_short and fast < slow and minus > plus:
            qty = self.p.qty if self.p.qty is not None else ctx.equity / bar.close
            ctx.sell(qty, stop_loss=bar.close + stop)
