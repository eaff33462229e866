"""A test strategy that trades all the time on 1-second candles (range ~2e-4 of the price):
resting limit orders that fill a bar or two later, market entries with tight attached exits,
partial exits and cancels, so a kill always lands mid-flight."""

from __future__ import annotations

import msgspec

from tradloopd.strategy import Strategy


class Churn(Strategy):
    name = "churn"

    class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
        pass

    def on_bar(self, bar, ctx):  # type: ignore[no-untyped-def]
        step = ctx.i % 5
        size = 0.01 if "BTC" in ctx.symbol else 0.1
        entries = [t for t in ctx.open_orders() if t.order.parent_id is None]
        position = ctx.position
        if step == 0 and not entries:
            ctx.buy(size, limit=bar.close * 0.99995)  # rests; fills when the price dips
        elif step == 1 and position <= 2 * size:
            ctx.buy(size, stop_loss=bar.close * 0.9997, take_profit=bar.close * 1.0003)
        elif step == 2:
            for tracked in entries:
                ctx.cancel(tracked.client_order_id)
        elif step == 3 and position >= 2 * size:
            ctx.sell(size)
        elif step == 4 and position > 4 * size:
            ctx.close()
