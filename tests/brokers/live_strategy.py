"""A test strategy for the live daemon: market and resting limit buys, cancels and sells on
1-second candles, nothing a spot venue lacks (no attached exits, no shorts), so orders keep
going to the venue and a kill always lands mid-flight."""

from __future__ import annotations

import msgspec

from tradloopd.strategy import Strategy


class LiveChurn(Strategy):
    name = "live_churn"

    class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        pass

    def on_bar(self, bar, ctx):  # type: ignore[no-untyped-def]
        step = ctx.i % 4
        size = 0.001 if "BTC" in ctx.symbol else 0.01
        resting = ctx.open_orders()
        position = ctx.position
        if step == 0 and not resting:
            ctx.buy(size, limit=bar.close * 0.99997)  # rests; fills when the price dips
        elif step == 1 and position <= 3 * size:
            ctx.buy(size)
        elif step == 2:
            for tracked in resting:
                ctx.cancel(tracked.client_order_id)
        elif step == 3 and position >= 2 * size:
            ctx.sell(size)
