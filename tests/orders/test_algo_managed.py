"""Position management in the paper venue: ATR trailing stop, profit target, break-even, timed exit."""

from __future__ import annotations

import math
from decimal import Decimal

from tests.orders.emulated import MINUTE, D, Desk, child_fills, children, names, order
from tradloopd.indicators.volatility import ATR
from tradloopd.messages import AtrTrail, BreakEven, OrderPlaced, OrderRejected, ProfitTarget, TimedExit
from tradloopd.model import OrderStatus, to_decimal


def long(desk: Desk, qty: int = 10, price: float = 100.0) -> None:
    desk.submit("e", "buy", qty)
    desk.bar(price, price, price, price)


def stops(events: list) -> list[Decimal | None]:
    return [e.order.trigger_price for e in events if isinstance(e, OrderPlaced)]


def test_atr_stop_follows_the_high_by_its_multiple_of_atr_and_never_moves_back():
    desk = Desk(lot=Decimal(1))
    long(desk)
    placed = desk.submit(order("a", "sell", 10, kind="stop", trigger_price=90, reduce_only=True,
                               algo=AtrTrail(multiple=D(2), period=2)))
    assert stops(placed) == [D(90)]
    bars = [(100.0, 102.0, 99.0, 101.0), (101.0, 104.0, 100.0, 103.0), (103.0, 108.0, 102.0, 107.0),
            (107.0, 107.5, 104.0, 105.0)]
    atr, expected, stop, events = ATR(2), [], D(90), []
    for bar in bars:
        events += desk.bar(*bar)
        value = atr.update(bar[1], bar[2], bar[3])
        if not math.isnan(value):
            level = (to_decimal(bar[1]) - D(2) * to_decimal(value)).quantize(D("0.01"), "ROUND_FLOOR")
            if level > stop:
                stop = level
                expected.append(stop)
    assert stops(events) == expected and len(expected) >= 2  # moved, only ever up
    assert all(e == "replaced" for e in [ev.reason for ev in events if type(ev).__name__ == "OrderCanceled"])
    fall = desk.bar(105.0, 105.0, 95.0, 96.0)
    assert child_fills(fall)[0][2] == stop and desk.status("a") is OrderStatus.FILLED


def test_profit_target_sits_beyond_the_average_entry_and_moves_with_it():
    desk = Desk(lot=Decimal(1))
    long(desk)
    events = desk.submit(order("p", "sell", 10, reduce_only=True, algo=ProfitTarget(offset=D(5))))
    assert children(events) == [("p.1", D(10), D(105))]
    desk.submit("e2", "buy", 10)  # the position doubles at 104: average 102
    events = desk.bar(104.0, 104.0, 104.0, 104.0)
    assert names(events) == [("Filled", "e2"), ("Canceled", "p.1"), ("Placed", "p.2"), ("Accepted", "p.2")]
    assert children(events) == [("p.2", D(10), D(107))]


def test_profit_target_by_percent_rounds_away_from_the_market():
    desk = Desk(lot=Decimal(1))
    long(desk, price=100.03)
    events = desk.submit(order("p", "sell", 10, reduce_only=True, algo=ProfitTarget(percent=D(1))))
    assert children(events) == [("p.1", D(10), D("101.04"))]  # 101.0303 up to the tick


def test_profit_target_without_a_position_is_refused():
    desk = Desk(lot=Decimal(1))
    [refused] = desk.submit(order("p", "sell", 10, algo=ProfitTarget(offset=D(5))))
    assert isinstance(refused, OrderRejected) and "no long position in X" in refused.reason


def test_break_even_moves_the_stop_to_entry_plus_fees_once_the_threshold_is_reached():
    desk = Desk(lot=Decimal(1), taker_fee="0.001")
    long(desk)  # 10 at 100, fee 1: break-even 100.1
    desk.submit(order("b", "sell", 10, kind="stop", trigger_price=95, reduce_only=True,
                      algo=BreakEven(threshold=D(104))))
    assert stops(desk.bar(100.0, 103.0, 99.0, 102.0)) == []  # not reached
    events = desk.bar(102.0, 104.0, 101.0, 103.0)
    assert stops(events) == [D("100.1")]
    assert stops(desk.bar(103.0, 110.0, 103.0, 109.0)) == []  # moves once only
    fall = desk.bar(109.0, 109.0, 99.0, 99.5)
    assert child_fills(fall) == [("b.2", D(10), D("100.1"))]


def test_break_even_offset_is_added_and_a_stop_already_better_stays():
    desk = Desk(lot=Decimal(1))
    long(desk)
    desk.submit(order("b", "sell", 10, kind="stop", trigger_price=95, reduce_only=True,
                      algo=BreakEven(threshold=D(104), offset=D("0.5"))))
    assert stops(desk.bar(100.0, 105.0, 100.0, 104.0)) == [D("100.5")]
    high = Desk(lot=Decimal(1))
    long(high)
    high.submit(order("b", "sell", 10, kind="stop", trigger_price=101, reduce_only=True,
                      algo=BreakEven(threshold=D(104))))
    assert stops(high.bar(101.5, 105.0, 101.5, 104.0)) == []


def test_timed_exit_after_n_bars_sells_at_the_open_after_the_nth_bar_closed():
    desk = Desk(lot=Decimal(1))
    long(desk)
    desk.submit(order("x", "sell", 10, reduce_only=True, algo=TimedExit(bars=2)))
    assert desk.bar(101.0, 101.0, 101.0, 101.0) == []
    assert desk.bar(102.0, 102.0, 102.0, 102.0) == []
    events = desk.bar(103.0, 103.0, 103.0, 103.0)
    assert child_fills(events) == [("x.1", D(10), D(103))] and desk.status("x") is OrderStatus.FILLED


def test_timed_exit_at_a_time_sells_at_the_first_bar_opening_at_or_after_it():
    desk = Desk(lot=Decimal(1))
    long(desk)
    desk.submit(order("x", "sell", 10, reduce_only=True, algo=TimedExit(at_ts=3 * MINUTE + 1)))
    for price in (101.0, 102.0, 103.0):
        assert desk.bar(price, price, price, price) == []
    assert child_fills(desk.bar(104.0, 104.0, 104.0, 104.0)) == [("x.1", D(10), D(104))]


def test_an_exit_whose_position_is_gone_ends_canceled():
    desk = Desk(lot=Decimal(1))
    long(desk)
    desk.submit(order("x", "sell", 10, reduce_only=True, algo=TimedExit(bars=1)))
    desk.submit("close", "sell", 10)
    desk.bar(101.0, 101.0, 101.0, 101.0)
    events = desk.bar(102.0, 102.0, 102.0, 102.0)
    assert names(events) == [("Placed", "x.1"), ("Accepted", "x.1"), ("Canceled", "x.1"), ("Canceled", "x")]
    assert desk.status("x") is OrderStatus.CANCELED
