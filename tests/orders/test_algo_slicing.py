"""Iceberg, POV and scale in/out in the paper venue."""

from __future__ import annotations

from decimal import Decimal

from tests.orders.emulated import MINUTE, D, Desk, child_fills, children, names, order
from tradloopd.messages import Iceberg, OrderRejected, Pov, Scale
from tradloopd.model import OrderStatus

DIP = (101.0, 101.5, 99.5, 100.5)  # down to 99.5 and back: a buy limit at 100 fills as maker


def test_iceberg_shows_its_display_quantity_and_refills_at_the_bars_close():
    desk = Desk(lot=Decimal(1))
    events = desk.submit(order("i", "buy", 7, kind="limit", price=100, algo=Iceberg(display_qty=D(3))))
    assert children(events) == [("i.1", D(3), D(100))]  # shown at once
    first = desk.bar(*DIP)
    assert child_fills(first) == [("i.1", D(3), D(100))]
    assert children(first) == [("i.2", D(3), D(100))]  # refilled at the close: works from the next bar
    second, third = desk.bar(*DIP), desk.bar(*DIP)
    assert child_fills(second) == [("i.2", D(3), D(100))]
    assert child_fills(third) == [("i.3", D(1), D(100))]  # what is left
    assert desk.status("i") is OrderStatus.FILLED and desk.filled("i") == 7


def test_at_most_one_displayed_part_of_an_iceberg_fills_per_bar():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("i", "buy", 9, kind="limit", price=100, algo=Iceberg(display_qty=D(3))))
    events = desk.bar(99.0, 99.0, 90.0, 95.0)  # far through the limit, huge volume
    assert child_fills(events) == [("i.1", D(3), D(99))]  # gapped through: the better open


def test_iceberg_refuses_a_display_larger_than_the_order():
    desk = Desk(lot=Decimal(1))
    [rejected] = desk.submit(order("i", "buy", 2, kind="limit", price=100, algo=Iceberg(display_qty=D(3))))
    assert isinstance(rejected, OrderRejected) and "display_qty 3 exceeds the quantity 2" in rejected.reason


def test_pov_trades_its_share_of_the_last_bars_volume_on_the_next_bar():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("p", "buy", 30, algo=Pov(participation=D("0.1"))))
    first = desk.bar(100.0, 100.0, 100.0, 100.0, v=50.0)  # nothing before the first close
    assert child_fills(first) == [] and children(first) == [("p.1", D(5), None)]
    second = desk.bar(101.0, 101.0, 101.0, 101.0, v=200.0)
    assert child_fills(second) == [("p.1", D(5), D(101))]
    assert children(second) == [("p.2", D(20), None)]
    third = desk.bar(102.0, 102.0, 102.0, 102.0, v=900.0)
    assert child_fills(third) == [("p.2", D(20), D(102))]
    assert children(third) == [("p.3", D(5), None)]  # 90 wanted, 5 left
    desk.bar(103.0, 103.0, 103.0, 103.0)
    assert desk.status("p") is OrderStatus.FILLED


def test_a_pov_limit_child_not_filled_is_resized_at_the_next_close():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("p", "buy", 30, kind="limit", price=99, algo=Pov(participation=D("0.1"))))
    desk.bar(100.0, 100.0, 100.0, 100.0, v=50.0)
    events = desk.bar(100.0, 100.5, 99.5, 100.0, v=80.0)  # the limit is not reached
    assert names(events) == [("Canceled", "p.1"), ("Placed", "p.2"), ("Accepted", "p.2")]
    assert children(events) == [("p.2", D(8), D(99))]


def test_pov_ends_at_its_end_time():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("p", "buy", 30, kind="limit", price=90,
                      algo=Pov(participation=D("0.1"), end_ts=2 * MINUTE)))
    desk.bar(100.0, 100.0, 100.0, 100.0, v=50.0)
    desk.bar(100.0, 100.0, 100.0, 100.0, v=50.0)
    events = desk.bar(100.0, 100.0, 100.0, 100.0, v=50.0)
    assert names(events)[:2] == [("Canceled", "p.2"), ("Expired", "p")]


def test_scale_in_places_every_level_at_once_and_fills_those_the_price_reaches():
    desk = Desk(lot=Decimal(1))
    events = desk.submit(order("s", "buy", 10, kind="limit", price=100,
                               algo=Scale(step=D(-2), levels=3)))
    assert children(events) == [("s.1", D(3), D(100)), ("s.2", D(3), D(98)), ("s.3", D(4), D(96))]
    fills = desk.bar(101.0, 101.5, 97.0, 99.0)
    assert child_fills(fills) == [("s.1", D(3), D(100)), ("s.2", D(3), D(98))]
    assert desk.status("s") is OrderStatus.PARTIALLY_FILLED and desk.filled("s") == 6
    assert names(desk.cancel("s")) == [("Canceled", "s.3"), ("Canceled", "s")]


def test_scale_out_of_a_long_with_reduce_only_levels():
    desk = Desk(lot=Decimal(1))
    desk.submit("e", "buy", 6)
    desk.bar(100.0, 100.0, 100.0, 100.0)
    desk.submit(order("s", "sell", 6, kind="limit", price=102, reduce_only=True,
                      algo=Scale(step=D(2), levels=3)))
    events = desk.bar(100.0, 105.0, 100.0, 104.0)
    assert child_fills(events) == [("s.1", D(2), D(102)), ("s.2", D(2), D(104))]
    assert desk.position() == 2


def test_when_every_level_has_ended_a_partly_filled_scale_is_canceled():
    desk = Desk(lot=Decimal(1))
    desk.submit("e", "buy", 2)
    desk.bar(100.0, 100.0, 100.0, 100.0)
    desk.submit(order("s", "sell", 4, kind="limit", price=102, reduce_only=True,
                      algo=Scale(step=D(2), levels=2)))
    events = desk.bar(100.0, 105.0, 100.0, 104.0)  # 2 sold at 102: the position is closed
    assert child_fills(events) == [("s.1", D(2), D(102))]
    assert ("Canceled", "s") in names(events) and desk.status("s") is OrderStatus.CANCELED
