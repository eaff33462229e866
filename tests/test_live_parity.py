"""Replay and live run the same engine: the live wiring journals exactly what the replay does.

The bars go through the daemon's real actors and channels (feed → venue → risk → strategy →
risk → venue, journal in sqlite), on a simulated clock, one bar at a time; the journal's event
sequence must equal the replay driver's, message for message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
import trio
import trio.testing

from tradloopd.actors.feed import ReplayFeed
from tradloopd.clock import SimClock
from tradloopd.data import load_sample
from tradloopd.indicators import ind
from tradloopd.messages import SubmitOrder
from tradloopd.model import Side
from tradloopd.node import Node, NodeSettings, StrategySlot, build
from tradloopd.replay import Replay, ReplaySettings
from tradloopd.risk.guard import RiskLimits
from tradloopd.simulator import SimulatorConfig
from tradloopd.store.journal import Journal
from tradloopd.strategy import Strategy, load_strategy, make_params


class BreakoutWithExits(Strategy):
    """Exercises limit entries, attached stop-loss / take-profit legs and their OCO cancels."""

    name = "breakout_exits"

    class Params(msgspec.Struct, frozen=True):
        period: Annotated[int, msgspec.Meta(ge=2)] = 20

    def indicators(self):
        return {"dc": ind("donchian", period=self.p.period)}

    def on_bar(self, bar, ctx):
        if ctx.position or ctx.open_orders():
            return
        upper, lower = ctx.indicator("dc.upper", 1), ctx.indicator("dc.lower", 1)
        if bar.close > upper:
            width = upper - lower
            ctx.buy(10, limit=bar.close, stop_loss=bar.close - width / 2,
                    take_profit=bar.close + width)


DAY_S = 86_400


class CatalogueTour(Strategy):
    """Exercises the order catalogue: TWAP, VWAP, POV and iceberg entries, brackets, if-touched and
    scale-in entries; trailing, ATR, OCO, break-even, profit-target and timed exits; multi-leg."""

    name = "catalogue_tour"

    class Params(msgspec.Struct, frozen=True):
        qty: Annotated[int, msgspec.Meta(ge=3)] = 9

    def on_bar(self, bar, ctx):
        if ctx.open_orders():
            return
        phase, close, qty = (ctx.i // 7) % 8, bar.close, self.p.qty
        if not ctx.position:
            entries = [
                lambda: ctx.twap(Side.BUY, qty, duration_s=3 * DAY_S, slices=3),
                lambda: ctx.bracket(qty, limit=close * 0.995, stop_loss=close * 0.96,
                                    take_profit=close * 1.03),
                lambda: ctx.iceberg(Side.BUY, qty, limit=close * 0.998, display=qty // 3),
                lambda: ctx.if_touched(Side.BUY, qty, close * 0.99),
                lambda: ctx.vwap(Side.BUY, qty, duration_s=4 * DAY_S, max_participation="0.5"),
                lambda: ctx.scale(Side.BUY, qty, start=close * 0.995, step=-close * 0.005, levels=3),
                lambda: ctx.pov(Side.BUY, qty, participation="0.000001", limit=close * 1.01),
                lambda: ctx.multi_leg(ctx.order(Side.BUY, qty - 2), ctx.order(Side.BUY, 2, limit=close)),
            ]
            entries[phase]()
            return
        exits = [
            lambda: ctx.trailing_stop(percent=2, limit_offset=close * 0.002),
            lambda: ctx.oco(ctx.order(Side.SELL, ctx.position, limit=close * 1.02, reduce_only=True),
                            ctx.order(Side.SELL, ctx.position, stop=close * 0.97, reduce_only=True)),
            lambda: ctx.atr_trailing_stop(multiple=2, stop=close * 0.95, period=5),
            lambda: ctx.break_even(threshold=close * 1.01, stop=close * 0.96),
            lambda: ctx.profit_target(percent=1),
            lambda: ctx.timed_exit(bars=3),
            lambda: ctx.trailing_stop(amount=close * 0.02, activation=close * 1.01),
            lambda: ctx.timed_exit(bars=1),
        ]
        exits[phase]()


async def run_live(tmp_path, cls, params, series, settings: ReplaySettings, instruments):
    clock = SimClock()
    node_settings = NodeSettings(node_id=settings.node_id, state_dir=tmp_path, cash=settings.cash,
                                 simulator=settings.simulator, risk=settings.risk,
                                 instruments=instruments, stall_s=60)
    slots = [StrategySlot(cls, params, s.symbol, s.timeframe_ns, cls.name) for s in series]
    wiring = build(node_settings, slots, clock, publish=lambda messages, equity: None)
    node: Node

    async def settle() -> None:
        while True:
            await trio.testing.wait_all_tasks_blocked()
            if node.is_idle():
                return
            await trio.sleep(0.0005)

    node = Node(node_settings, wiring, ReplayFeed(series, clock, settle))
    async with trio.open_nursery() as nursery:
        await nursery.start(node.run)
        await node.feed_done.wait()
        await settle()
        nursery.cancel_scope.cancel()
    journal = Journal(tmp_path / "journal.sqlite", initial_cash=settings.cash)
    logged = [message for _, message in journal.read()]
    journal.close()
    return logged


async def assert_same_journal(tmp_path, cls, params, series, settings):
    replay = Replay(cls, params, series, settings).run()
    assert replay.engine == "event"
    live = await run_live(tmp_path, cls, params, series, settings, replay.instruments)
    assert len(replay.journal) > 50
    assert live == replay.journal


async def test_ma_cross_on_two_symbols_journals_identically(tmp_path):
    cls = load_strategy("ma_cross")
    series = [load_sample("AAPL"), load_sample("MSFT")]
    settings = ReplaySettings(cash=Decimal(10**6), simulator=SimulatorConfig(
        taker_fee=Decimal("0.001"), maker_fee=Decimal("0.0005"), slippage_bps=Decimal(3)))
    await assert_same_journal(tmp_path, cls, make_params(cls, {"qty": 100}), series, settings)


async def test_exit_legs_and_denials_journal_identically(tmp_path):
    series = [load_sample("IBM")]
    settings = ReplaySettings(
        cash=Decimal(10**5), simulator=SimulatorConfig(taker_fee=Decimal("0.001")),
        risk=RiskLimits(max_order_notional=Decimal(1200)))  # some entries are denied
    replay = Replay(BreakoutWithExits, BreakoutWithExits.Params(), series, settings).run()
    kinds = {type(m).__name__ for m in replay.journal}
    assert {"OrderDenied", "OrderCanceled", "OrderFilled", "OrderAccepted"} <= kinds
    live = await run_live(tmp_path, BreakoutWithExits, BreakoutWithExits.Params(), series,
                          settings, replay.instruments)
    assert live == replay.journal


async def test_the_order_catalogue_journals_identically(tmp_path):
    series = [load_sample("IBM")]
    settings = ReplaySettings(cash=Decimal(10**6), simulator=SimulatorConfig(
        taker_fee=Decimal("0.001"), maker_fee=Decimal("0.0005"), slippage_bps=Decimal(2),
        max_participation=Decimal("0.000002")))
    replay = Replay(CatalogueTour, CatalogueTour.Params(), series, settings).run()
    kinds = {type(m).__name__ for m in replay.journal}
    assert {"OrderPlaced", "AlgoFilled", "OrderModified", "OrderTriggered", "OrderExpired"} <= kinds
    algos = {type(m.order.algo).__name__ for m in replay.journal if isinstance(m, SubmitOrder)}
    assert algos >= {"Twap", "Vwap", "Iceberg", "Pov", "Scale", "AtrTrail", "BreakEven", "ProfitTarget",
                     "TimedExit", "NoneType"}
    live = await run_live(tmp_path, CatalogueTour, CatalogueTour.Params(), series, settings,
                          replay.instruments)
    assert live == replay.journal
