"""The order loop (strategy → risk → venue → strategy) under a flood of orders: no deadlock.

Bounded blocking channels in a cycle can deadlock; the node prevents it with the risk guard's
in-flight cap, a per-call order cap and feedback inboxes sized to them (node.py). These tests
push bars as fast as the pipeline takes them with a strategy that floods orders and cancels.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
import trio
import trio.testing

from tradloopd.actors.feed import ReplayFeed
from tradloopd.clock import SimClock
from tradloopd.data import load_sample
from tradloopd.model import OrderStatus, TradingState
from tradloopd.node import Node, NodeSettings, StrategySlot, build
from tradloopd.replay import Replay, ReplaySettings
from tradloopd.risk.guard import RiskLimits
from tradloopd.simulator import SimulatorConfig
from tradloopd.store.journal import Journal
from tradloopd.strategy import Strategy


class Flood(Strategy):
    name = "flood"

    class Params(msgspec.Struct, frozen=True):
        orders: int = 60

    def on_bar(self, bar, ctx):  # type: ignore[no-untyped-def]
        for tracked in ctx.open_orders():
            ctx.cancel(tracked.client_order_id)
        for k in range(self.p.orders // 2):
            ctx.buy(1, limit=bar.close * (0.9 - k / 1000))  # rests far below the market
        ctx.buy(1)
        ctx.sell(1)


async def flood(tmp_path, orders_per_bar: int, max_in_flight: int = 16):
    series = [load_sample("MSFT").slice(0, 150)]
    clock = SimClock()
    settings = NodeSettings(node_id="f", state_dir=tmp_path, cash=Decimal(10**7),
                            simulator=SimulatorConfig(), risk=RiskLimits(max_in_flight=max_in_flight),
                            instruments=Replay(Flood, Flood.Params(), series, ReplaySettings()).instruments,
                            stall_s=30, max_orders_per_bar=64)
    wiring = build(settings, [StrategySlot(Flood, Flood.Params(orders=orders_per_bar), "MSFT",
                                           series[0].timeframe_ns, "flood")],
                   clock, publish=lambda messages, equity: None)
    node = Node(settings, wiring, ReplayFeed(series, clock, settle=trio.lowlevel.checkpoint))
    with trio.fail_after(120):  # a deadlock would hang here
        async with trio.open_nursery() as nursery:
            await nursery.start(node.run)
            await node.feed_done.wait()
            while not node.is_idle():  # noqa: ASYNC110 - draining a real pipeline
                await trio.sleep(0.01)
            nursery.cancel_scope.cancel()
    journal = Journal(tmp_path / "journal.sqlite", initial_cash=Decimal(10**7))
    account = journal.account
    journal.close()
    return wiring, account


async def test_a_flood_of_orders_and_cancels_never_deadlocks(tmp_path):
    wiring, account = await flood(tmp_path, orders_per_bar=60)
    assert len(account.orders) == 150 * 32  # every intent of every bar was logged and answered
    denied = [t for t in account.orders if t.status is OrderStatus.DENIED]
    assert denied and all("max-in-flight" in t.reason for t in denied)
    assert not [t for t in account.orders if t.status is OrderStatus.SUBMITTED]  # all answered
    assert wiring.risk.guard.state is TradingState.ACTIVE


async def test_a_strategy_over_the_per_bar_order_cap_is_disabled_and_trading_halts(tmp_path):
    wiring, account = await flood(tmp_path, orders_per_bar=200)
    runner = wiring.strategy.runners[0]
    assert not runner.enabled
    assert wiring.risk.guard.state is TradingState.HALTED
    assert "max-orders-per-bar" in wiring.risk.guard.state_reason
    assert len(account.orders) == 0  # the runaway call's orders never left the strategy
