"""RSI and Bollinger mean reversion, long and short.

Go long when the close is below the lower band and RSI is oversold; go short when the close is
above the upper band and RSI is overbought. Exit a long when the close reaches the middle band or
RSI recovers past 50 (a short symmetrically). Each entry risks `allocation` of equity.
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
    rsi_period: Annotated[int, Meta(ge=2, le=200, description="RSI period")] = 14
    oversold: Annotated[float, Meta(ge=0, le=50, description="RSI level to buy below")] = 30.0
    overbought: Annotated[float, Meta(ge=50, le=100, description="RSI level to sell above")] = 70.0
    bb_period: Annotated[int, Meta(ge=2, le=500, description="Bollinger period")] = 20
    bb_k: Annotated[float, Meta(gt=0, le=5, description="band width in deviations")] = 2.0
    allocation: Annotated[float, Meta(gt=0, le=1, description="equity fraction per entry")] = 1.0
    allow_short: Annotated[bool, Meta(description="also fade the upper band")] = True


class RsiBollinger(Strategy):
    name = "rsi_bollinger"
    Params = Params
    p: Params

    def indicators(self) -> dict[str, Ind]:
        p = self.p
        return {"rsi": ind("rsi", period=p.rsi_period),
                "bb": ind("bbands", period=p.bb_period, k=p.bb_k)}

    def on_bar(self, bar: Bar, ctx: Context) -> None:
        rsi = ctx.indicator("rsi")
        middle = ctx.indicator("bb.middle")
        position = ctx.position
        long_done = position > 0 and (bar.close >= middle or rsi > 50)
        if long_done or (position < 0 and (bar.close <= middle or rsi < 50)):
            ctx.close()
        elif not position:
            self._enter(bar, ctx, rsi)

    def _enter(self, bar: Bar, ctx: Context, rsi: float) -> None:
        size = self.p.allocation * ctx.equity / bar.close
        if bar.close < ctx.indicator("bb.lower") and rsi < self.p.oversold:
            ctx.buy(size)
        elif self.p.allow_short and bar.close > ctx.indicator("bb.upper") and rsi > self.p.overbought:
            ctx.sell(size)
