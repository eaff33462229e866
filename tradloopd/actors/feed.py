"""The replay feed actor: historical bars through the live wiring, on a simulated clock.

Output: each bar, in the replay driver's merged order, to the venue's inbox (market data into the
trading loop: blocking, never dropped). Before each bar it sets the clock to the bar's close; after
each bar it awaits `settle()` — the whole pipeline's quiet point — so the live wiring sees exactly
the sequence the replay driver produces. Used to prove replay and live run the same engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import trio

from tradloopd.clock import SimClock
from tradloopd.data.bars import BarSeries
from tradloopd.messages import Bar


class ReplayFeed:
    name = "feed"

    def __init__(self, series: Sequence[BarSeries], clock: SimClock,
                 settle: Callable[[], Awaitable[None]]) -> None:
        self.series = list(series)
        self.clock = clock
        self.settle = settle
        self.sent = 0

    def bars(self) -> list[Bar]:
        from tradloopd.replay import _merge

        order, _ = _merge(self.series)
        offsets = [0]
        for s in self.series:
            offsets.append(offsets[-1] + len(s))
        out = []
        for position in order.tolist():
            lane = next(i for i in range(len(self.series)) if position < offsets[i + 1])
            s, row = self.series[lane], position - offsets[lane]
            out.append(Bar(symbol=s.symbol, ts_open=int(s.ts[row]),
                           ts_event=int(s.ts[row]) + s.timeframe_ns, open=float(s.open[row]),
                           high=float(s.high[row]), low=float(s.low[row]),
                           close=float(s.close[row]), volume=float(s.volume[row])))
        return out

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with send:
            task_status.started()
            for bar in self.bars():
                self.clock.set(bar.ts_event)
                await send.send(bar)
                self.sent += 1
                await self.settle()
