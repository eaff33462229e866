"""Live pipeline latency: bar in through the daemon's real actors and channels to an order at the
paper venue, next to the same work done as direct calls (the replay driver), in the same run.

    .venv/bin/python bench/live_pipeline.py [--rate 1000] [--seconds 60]

A synthetic feed offers bars at `--rate` per second (wall clock); a strategy orders on every
`--order-every`-th bar (alternating buy and sell of one unit), and that bar crosses feed → venue
(matching) → strategy → risk (check, durable journal commit) → venue. Printed: p50/p99/max latency
from the feed handing over such a bar to the venue receiving its order, sustained bars/s and
messages/s, the peak RSS sampled every
few seconds (to show memory does not grow), and the direct-call cost per bar of the same work.
Use `--seconds 600` for the 10-minute memory check.
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import msgspec
import numpy as np
import trio

from tradloopd.clock import WallClock
from tradloopd.messages import Bar, Order, OrderEvent
from tradloopd.model import Instrument
from tradloopd.node import Node, NodeSettings, StrategySlot, build
from tradloopd.replay import Replay, ReplaySettings
from tradloopd.risk.guard import RiskLimits
from tradloopd.simulator import Simulator, SimulatorConfig
from tradloopd.strategy import NoParams, Strategy

SYMBOL = "BTC/USDT"
TIMEFRAME_NS = 1_000_000_000


class EveryNth(Strategy):
    """Orders one unit on every `every`-th bar, alternating sides; tags the order with the bar."""

    name = "every_nth"
    Params = NoParams
    every = 10

    def on_bar(self, bar: Bar, ctx) -> None:  # type: ignore[no-untyped-def]
        if ctx.i % self.every:
            return
        side = ctx.sell if ctx.position > 0 else ctx.buy
        side(1, tag=str(bar.ts_open))


class TimedSimulator(Simulator):
    """The paper venue, noting when each order arrives (by the bar that caused it)."""

    arrivals: dict[int, int]

    def submit(self, order: Order, ts: int) -> list[OrderEvent]:
        self.arrivals[int(order.tag)] = time.perf_counter_ns()
        return super().submit(order, ts)


class PacedFeed:
    """Synthetic one-second bars offered at a fixed wall-clock rate; notes each hand-over time."""

    def __init__(self, rate: float, seconds: float) -> None:
        self.rate, self.count = rate, int(rate * seconds)
        self.sent: dict[int, int] = {}
        self.rss: list[float] = []
        self.sample_s = max(5.0, seconds / 20)  # about twenty memory samples per run
        self.sample_every = max(1, int(rate * self.sample_s))

    async def run(self, send: trio.MemorySendChannel[Bar], *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        rng = np.random.default_rng(3)
        prices = np.round(30_000 * np.exp(np.cumsum(rng.normal(0, 1e-4, self.count))), 2)
        start = time.perf_counter()
        task_status.started()
        async with send:
            for i in range(self.count):
                price = float(prices[i])
                due = start + i / self.rate
                await trio.sleep(max(0.0, due - time.perf_counter()))
                ts = 1_700_000_000_000_000_000 + i * TIMEFRAME_NS
                bar = Bar(symbol=SYMBOL, ts_open=ts, ts_event=ts + TIMEFRAME_NS, open=price,
                          high=price + 1, low=price - 1, close=price, volume=10.0)
                if i % EveryNth.every == 0:  # an order bar (the others are not timed: no growth here)
                    self.sent[ts] = time.perf_counter_ns()
                await send.send(bar)
                if i % self.sample_every == 0:
                    self.rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


async def live(rate: float, seconds: float, state_dir: Path) -> tuple[PacedFeed, dict[int, int], float]:
    instruments = {SYMBOL: Instrument(symbol=SYMBOL, price_increment=Decimal("0.01"),
                                      size_increment=Decimal("0.0001"))}
    settings = NodeSettings(node_id="bench", state_dir=state_dir, cash=Decimal(10**9),
                            simulator=SimulatorConfig(), risk=RiskLimits(), instruments=instruments,
                            heartbeat_s=3600)
    wiring = build(settings, [StrategySlot(EveryNth, NoParams(), SYMBOL, TIMEFRAME_NS, "every_nth")],
                   WallClock(), publish=lambda messages, equity: None)
    venue = wiring.venue.simulator
    timed = TimedSimulator(venue.config, venue.instruments, venue.account.cash, venue.last)
    timed.arrivals = {}
    wiring.venue.simulator = timed
    feed = PacedFeed(rate, seconds)
    node = Node(settings, wiring, feed)
    gc.freeze()  # as `tradloopd run` does before it starts the node
    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await node.feed_done.wait()
        with trio.move_on_after(5):
            while len(timed.arrivals) < len(range(0, feed.count, EveryNth.every)):  # noqa: ASYNC110 - bench polling
                await trio.sleep(0.01)
        elapsed = time.perf_counter() - start
        nursery.cancel_scope.cancel()
    return feed, timed.arrivals, elapsed


def direct(bars: int) -> float:
    """Seconds per bar for the same work through the replay driver's direct calls."""
    from tradloopd.data import BarSeries

    rng = np.random.default_rng(3)
    close = np.round(30_000 * np.exp(np.cumsum(rng.normal(0, 1e-4, bars))), 2)
    ts = 1_700_000_000_000_000_000 + np.arange(bars, dtype=np.int64) * TIMEFRAME_NS
    series = BarSeries.from_arrays(symbol=SYMBOL, ts=ts, open=close, high=close + 1, low=close - 1,
                                   close=close, volume=np.full(bars, 10.0), source="synthetic")
    settings = msgspec.structs.replace(ReplaySettings(cash=Decimal(10**9)),
                                       size_increment=Decimal("0.0001"))
    start = time.perf_counter()
    Replay(EveryNth, NoParams(), [series], settings).run()
    return (time.perf_counter() - start) / bars


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="bars offered per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to offer bars")
    parser.add_argument("--order-every", type=int, default=10, help="order on every Nth bar")
    args = parser.parse_args()
    EveryNth.every = args.order_every
    from tradloopd.logs import configure_logging

    configure_logging(fmt="json", level="warning")
    with tempfile.TemporaryDirectory() as state:
        feed, arrivals, elapsed = trio.run(live, args.rate, args.seconds, Path(state))
    latencies = np.array([arrivals[ts] - sent for ts, sent in feed.sent.items() if ts in arrivals])
    us = latencies / 1000
    expected = len(range(0, feed.count, args.order_every))
    print(f"offered {feed.count:,} bars at {args.rate:,.0f}/s for {args.seconds:.0f} s; "
          f"{len(latencies):,} of {expected:,} orders reached the venue")
    print(f"bar -> order at the venue: p50 {np.percentile(us, 50):.0f} us, "
          f"p99 {np.percentile(us, 99):.0f} us, max {us.max():.0f} us")
    messages = feed.count * 3 + len(latencies) * 6  # bar hops; intent, journal, accept, fill hops
    print(f"sustained {feed.count / elapsed:,.0f} bars/s, ~{messages / elapsed:,.0f} messages/s")
    print(f"peak RSS samples (MB, every {feed.sample_s:.0f} s): {' '.join(f'{r:.0f}' for r in feed.rss)}")
    per_bar = direct(min(feed.count, 100_000))
    print(f"same work as direct calls (replay driver): {per_bar * 1e6:.1f} us per bar "
          f"({1 / per_bar:,.0f} bars/s)")


if __name__ == "__main__":
    main()
