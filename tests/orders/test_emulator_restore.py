"""A restart at any bar continues every emulated order exactly as if nothing had happened.

Each scenario is run once straight through, and once stopped after each bar: the paper venue is
then rebuilt from the trading side's ledger and fills alone (as the daemon does from its journal,
`Simulator.restore`) and fed the remaining bars. The events after the restart must equal the
uninterrupted run's (venue order ids aside, which count again after a restart).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import msgspec
import pytest

from tests.orders.emulated import MINUTE, D, Desk, order
from tradloopd.messages import (
    BreakEven,
    Combo,
    Iceberg,
    OrderAccepted,
    OrderEvent,
    Pov,
    ProfitTarget,
    Scale,
    TimedExit,
    Twap,
    Vwap,
)
from tradloopd.orders.emulator import Natives
from tradloopd.simulator import Simulator

Bar = tuple[float, float, float, float, float, str]
WAVE: list[Bar] = [(100.0, 101.0, 99.0, 100.5, 40.0, "X"), (100.5, 103.0, 100.0, 102.5, 60.0, "X"),
                   (102.5, 104.0, 98.0, 98.5, 30.0, "X"), (98.5, 99.0, 96.0, 97.0, 80.0, "X"),
                   (97.0, 101.0, 96.5, 100.0, 50.0, "X"), (100.0, 106.0, 99.5, 105.0, 70.0, "X"),
                   (105.0, 105.5, 94.0, 95.0, 90.0, "X")]


def twap(desk: Desk) -> None:
    desk.submit(order("t", "buy", 12, kind="limit", price=100, algo=Twap(duration_ns=5 * MINUTE, slices=4)))


def vwap(desk: Desk) -> None:
    desk.submit(order("v", "buy", 30, algo=Vwap(duration_ns=4 * MINUTE, max_participation=D("0.2"))))


def iceberg(desk: Desk) -> None:
    desk.submit(order("i", "buy", 8, kind="limit", price="99.5", algo=Iceberg(display_qty=D(3))))


def pov(desk: Desk) -> None:
    desk.submit(order("p", "buy", 20, algo=Pov(participation=D("0.1"))))


def scale(desk: Desk) -> None:
    desk.submit(order("s", "buy", 9, kind="limit", price=99, algo=Scale(step=D(-2), levels=3)))


def exits(desk: Desk) -> None:
    desk.submit("e", "buy", 6)
    desk.submit(order("pt", "sell", 2, reduce_only=True, oto_parent="e", kind="limit", price=104))
    desk.submit(order("be", "sell", 2, kind="stop", trigger_price=95, reduce_only=True,
                      algo=BreakEven(threshold=D(102))))
    desk.submit(order("tx", "sell", 2, reduce_only=True, algo=TimedExit(bars=5)))


def targets(desk: Desk) -> None:
    desk.submit("e", "buy", 4)
    desk.bar(100.0, 100.0, 100.0, 100.0)
    desk.submit(order("pt", "sell", 4, reduce_only=True, algo=ProfitTarget(offset=D(5))))


def contingent(desk: Desk) -> None:
    desk.submit(order("a", "buy", 2, kind="limit", price=97, oca_group="g"))
    desk.submit(order("b", "buy", 2, kind="stop", trigger_price=103, oca_group="g"))
    desk.submit(order("c", "sell", 2, kind="limit", price=105, oto_parent="a"))
    combo = Combo(group="pair", legs=2)
    desk.submit(order("x", "buy", 1, symbol="Y", tif="ioc", combo=combo))
    desk.submit(order("y", "sell", 1, symbol="Z", tif="ioc", kind="limit", price=60, combo=combo))


def bracket(desk: Desk) -> None:
    desk.submit(order("e", "buy", 3, kind="limit", price="99.5", stop_loss=97, take_profit=104))


CROSS: list[Bar] = [WAVE[0], (50.0, 50.0, 50.0, 50.0, 10.0, "Y"), (55.0, 55.0, 55.0, 55.0, 10.0, "Z"),
                    *WAVE[1:4], (51.0, 51.0, 51.0, 51.0, 10.0, "Y"), *WAVE[4:]]
SCENARIOS: dict[str, tuple[Callable[[Desk], None], list[Bar], Natives | None]] = {
    "twap": (twap, WAVE, None), "vwap": (vwap, WAVE, None), "iceberg": (iceberg, WAVE, None),
    "pov": (pov, WAVE, None), "scale": (scale, WAVE, None), "exits": (exits, WAVE, None),
    "profit target": (targets, WAVE, None), "groups": (contingent, CROSS, None),
    "emulated bracket": (bracket, WAVE, Natives()),
}


def desk_for(natives: Natives | None) -> Desk:
    desk = Desk(lot=Decimal(1), symbols=("X", "Y", "Z"), taker_fee="0.001")
    if natives is not None:
        desk.sim = Simulator(desk.sim.config, desk.sim.instruments, D(100_000), desk.last, natives=natives)
    return desk


def play(desk: Desk, bars: list[Bar]) -> list[OrderEvent]:
    events: list[OrderEvent] = []
    for o, h, lo, c, v, symbol in bars:
        events += desk.bar(o, h, lo, c, v=v, symbol=symbol)
    return events


def same(events: list[OrderEvent]) -> list[OrderEvent]:
    return [msgspec.structs.replace(e, venue_order_id="") if isinstance(e, OrderAccepted) else e
            for e in events]


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_restart_after_any_bar_changes_nothing(name):
    setup, bars, natives = SCENARIOS[name]
    straight = desk_for(natives)
    setup(straight)
    start = len(straight.events)
    expected = play(straight, bars)
    assert len(straight.events) > start and expected, "the scenario does nothing"
    for stop in range(1, len(bars)):
        desk = desk_for(natives)
        setup(desk)
        play(desk, bars[:stop])
        again = desk_for(natives)
        again.account, again.minute = desk.replayed(), desk.minute
        again.last.update(desk.last)
        again.sim.restore(list(again.account.orders), list(again.account.fills), seen=desk.seen)
        assert same(play(again, bars[stop:])) == same(play(desk, bars[stop:])), f"restart after bar {stop}"
        assert again.sim.account.cash == desk.sim.account.cash
