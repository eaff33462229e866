"""TWAP and VWAP in the paper venue: slices on the injected clock, catch-up, the end, the profile."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.emulated import MINUTE, D, Desk, child_fills, children, names, order, progress
from tradloopd.messages import Twap, Vwap
from tradloopd.model import OrderStatus, VolumeProfile
from tradloopd.orders.emulator.schedule import profile_share

FLAT = (100.0, 100.0, 100.0, 100.0)


def twap(desk: Desk, qty: object = 10, minutes: int = 5, slices: int = 5, **fields: object) -> None:
    desk.submit(order("t", "buy", qty, algo=Twap(duration_ns=minutes * MINUTE, slices=slices), **fields))


def test_twap_places_one_slice_per_interval_each_filled_at_that_bars_open():
    desk = Desk(lot=Decimal(1))
    twap(desk)
    assert desk.status("t") is OrderStatus.ACCEPTED and desk.held() == ["t"]
    events = []
    for minute in range(5):
        events += desk.bar(100.0 + minute, 101.0 + minute, 99.0 + minute, 100.0 + minute)
    assert children(events) == [(f"t.{k}", D(2), None) for k in range(1, 6)]
    assert child_fills(events) == [(f"t.{k}", D(2), D(99 + k)) for k in range(1, 6)]
    assert progress(events) == [("t", f"t.{k}", D(2)) for k in range(1, 6)]
    assert desk.status("t") is OrderStatus.FILLED and desk.filled("t") == 10
    assert desk.account.orders.get("t").avg_price == D(102)
    assert desk.position() == 10 and desk.held() == [] and desk.sim.books["X"] == []


def test_a_child_fill_is_followed_by_the_parents_progress_and_nothing_else_moves_the_position():
    desk = Desk(lot=Decimal(1))
    twap(desk, slices=1)
    events = desk.bar(*FLAT)
    assert names(events) == [("Placed", "t.1"), ("Accepted", "t.1"), ("Filled", "t.1"), ("AlgoFilled", "t")]
    assert desk.account.portfolio.qty("X") == 10  # the parent's AlgoFilled booked nothing more


def test_slices_due_within_one_bar_are_worked_together():
    desk = Desk(lot=Decimal(1))
    twap(desk, qty=12, minutes=3, slices=6)  # a slice every 30 s on one-minute bars
    first = desk.bar(*FLAT)  # at 0: slice 0 only
    second = desk.bar(*FLAT)  # at 60 s: slices 1 (30 s) and 2 (60 s)
    assert child_fills(first) == [("t.1", D(2), D(100))]
    assert child_fills(second) == [("t.2", D(4), D(100))]


def test_an_unfilled_limit_slice_is_replaced_by_one_that_catches_up():
    desk = Desk(lot=Decimal(1))
    twap(desk, qty=9, minutes=3, slices=3, kind="limit", price=100)
    assert child_fills(desk.bar(101.0, 102.0, 100.5, 101.5)) == []  # never down to 100
    events = desk.bar(100.5, 101.0, 99.0, 99.5)
    assert names(events)[:3] == [("Canceled", "t.1"), ("Placed", "t.2"), ("Accepted", "t.2")]
    assert children(events) == [("t.2", D(6), D(100))]
    assert child_fills(events) == [("t.2", D(6), D(100))]


def test_the_schedule_ends_at_the_close_of_the_bar_after_its_end_and_the_rest_expires():
    desk = Desk(lot=Decimal(1))
    twap(desk, qty=4, minutes=2, slices=2, kind="limit", price=90)
    desk.bar(*FLAT)
    desk.bar(*FLAT)  # closes at 2 min: the end, not after it
    assert desk.status("t") is OrderStatus.ACCEPTED
    events = desk.bar(100.0, 100.0, 89.0, 89.0)  # the bar the end falls in is matched in full
    assert child_fills(events) == [("t.2", D(4), D(90))] and desk.status("t") is OrderStatus.FILLED
    late = Desk(lot=Decimal(1))
    twap(late, qty=4, minutes=2, slices=2, kind="limit", price=90)
    for _ in range(2):
        late.bar(*FLAT)
    events = late.bar(*FLAT)
    assert names(events) == [("Canceled", "t.2"), ("Expired", "t")]
    assert late.status("t") is OrderStatus.EXPIRED and late.working() == []


def test_canceling_the_parent_cancels_its_child_and_nothing_fills_after():
    desk = Desk(lot=Decimal(1))
    twap(desk, qty=6, minutes=3, slices=3, kind="limit", price=95)
    desk.bar(*FLAT)
    events = desk.cancel("t")
    assert names(events) == [("Canceled", "t.1"), ("Canceled", "t")]
    assert desk.status("t") is OrderStatus.CANCELED
    assert desk.bar(90.0, 90.0, 80.0, 80.0) == []


def test_a_gtd_parent_expires_at_the_first_bar_opening_at_its_expiry():
    desk = Desk(lot=Decimal(1))
    twap(desk, qty=6, minutes=10, slices=2, kind="limit", price=95, tif="gtd", expire_ts=2 * MINUTE)
    desk.bar(*FLAT)
    desk.bar(*FLAT)
    events = desk.bar(90.0, 90.0, 80.0, 80.0)
    assert names(events) == [("Canceled", "t.1"), ("Expired", "t")]


def test_twap_slices_share_the_participation_cap_and_carry_the_rest():
    desk = Desk(lot=Decimal(1), max_participation="0.1")
    twap(desk, qty=10, minutes=2, slices=2)
    first = desk.bar(100.0, 100.0, 100.0, 100.0, v=30.0)  # the cap lets 3 of 5 fill
    assert child_fills(first) == [("t.1", D(3), D(100))]
    second = desk.bar(100.0, 100.0, 100.0, 100.0, v=100.0)  # the slice is replaced: 10 - 3 = 7
    assert children(second) == [("t.2", D(7), None)]
    assert child_fills(second) == [("t.2", D(7), D(100))]


# VWAP -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "shares"), [
    (VolumeProfile.FLAT, ["0.25", "0.5", "0.75", "1"]),
    (VolumeProfile.U, ["0.34375", "0.5", "0.65625", "1"]),
    (VolumeProfile.FRONT, ["0.4375", "0.75", "0.9375", "1"]),
    (VolumeProfile.BACK, ["0.0625", "0.25", "0.5625", "1"]),
])
def test_volume_profiles_reach_all_of_the_quantity_at_the_end(profile, shares):
    assert [profile_share(profile, Decimal(k) / 4) for k in range(1, 5)] == [D(s) for s in shares]


def test_vwap_places_each_bars_child_at_the_close_before_toward_the_u_profile():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("v", "buy", 100, algo=Vwap(duration_ns=5 * MINUTE)))
    events = []
    for _ in range(5):
        events += desk.bar(*FLAT)
    # at the closes 1..4 min, the shares the U profile reaches at 2..5 min of 5: 44.8, 55.2, 70.4, 100
    assert [q for _, q, _ in children(events)] == [D(44), D(11), D(15), D(30)]
    assert [q for _, q, _ in child_fills(events)] == [D(44), D(11), D(15), D(30)]
    assert desk.status("v") is OrderStatus.FILLED


def test_vwap_children_stay_within_the_participation_of_the_bar_before():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("v", "buy", 40, algo=Vwap(duration_ns=2 * MINUTE, profile=VolumeProfile.FLAT,
                                                max_participation=D("0.1"))))
    first = desk.bar(100.0, 100.0, 100.0, 100.0, v=50.0)  # at its close: all 40 due, 5 allowed
    assert children(first) == [("v.1", D(5), None)]
    second = desk.bar(100.0, 100.0, 100.0, 100.0, v=300.0)
    assert child_fills(second) == [("v.1", D(5), D(100))] and children(second) == [("v.2", D(30), None)]
    third = desk.bar(100.0, 100.0, 100.0, 100.0, v=300.0)  # closes after the end: the rest expires
    assert child_fills(third) == [("v.2", D(30), D(100))]
    assert names(third)[-1] == ("Expired", "v") and desk.filled("v") == 35
