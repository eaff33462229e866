"""OCO/OCA, OTO/OTOCO and multi-leg orders in the paper venue, edge cases included."""

from __future__ import annotations

from decimal import Decimal

from tests.orders.emulated import D, Desk, child_fills, names, order
from tradloopd.messages import Combo, OrderModified, OrderRejected
from tradloopd.model import OrderStatus

# One-cancels-all --------------------------------------------------------------------------------


def oco(desk: Desk, **extra: object) -> None:
    desk.submit(order("tp", "sell", 2, kind="limit", price=105, oca_group="g", **extra))
    desk.submit(order("sl", "sell", 2, kind="stop", trigger_price=95, oca_group="g", **extra))


def test_the_first_leg_to_fill_cancels_the_other_at_once():
    desk = Desk(lot=Decimal(1))
    desk.submit("e", "buy", 2)
    oco(desk)
    desk.bar(100.0, 100.0, 100.0, 100.0)
    events = desk.bar(100.0, 106.0, 94.0, 95.0)  # up first (nearer): the target; the stop never acts
    assert names(events) == [("Filled", "tp"), ("Canceled", "sl")]
    assert desk.working() == [] and desk.position() == 0


def test_a_partial_fill_of_one_leg_cancels_the_others_and_the_leg_keeps_working():
    desk = Desk(lot=Decimal(1), max_participation="0.5")
    desk.submit(order("a", "buy", 4, kind="limit", price=99, oca_group="g"))
    desk.submit(order("b", "buy", 4, kind="limit", price=98, oca_group="g"))
    desk.submit(order("c", "buy", 4, kind="stop", trigger_price=103, oca_group="g"))
    events = desk.bar(100.0, 100.5, 98.5, 99.0, v=2.0)  # 1 of "a" fills (the cap)
    assert names(events) == [("Filled", "a"), ("Canceled", "b"), ("Canceled", "c")]
    assert desk.working() == ["a"]


def test_both_legs_in_one_bar_resolve_by_the_path_in_worst_mode_the_stop():
    desk = Desk(lot=Decimal(1), intrabar="worst")
    desk.submit("e", "buy", 2)
    oco(desk)
    desk.bar(100.0, 100.0, 100.0, 100.0)
    events = desk.bar(100.0, 106.0, 94.0, 95.0)  # long: low first
    assert names(events) == [("Filled", "sl"), ("Canceled", "tp")]


def test_a_group_ends_with_its_last_leg_and_a_canceled_leg_leaves_the_group():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("a", "buy", 1, oca_group="g"))
    desk.submit(order("b", "buy", 1, kind="limit", price=90, oca_group="g"))
    desk.bar(100.0, 100.0, 100.0, 100.0)
    assert desk.sim.emulator.programs == {}  # "a" filled, "b" canceled: the group is over
    desk.submit(order("x", "buy", 1, kind="limit", price=90, oca_group="h"))
    desk.submit(order("y", "buy", 1, kind="limit", price=80, oca_group="h"))
    desk.cancel("x")
    assert names(desk.bar(85.0, 85.0, 79.0, 80.0)) == [("Filled", "y")]


# One-triggers-other -----------------------------------------------------------------------------


def test_an_oto_child_is_held_until_its_parent_has_filled_then_joins_the_bar():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("p", "buy", 2, kind="limit", price=99))
    accepted = desk.submit(order("c", "sell", 2, kind="limit", price=101, oto_parent="p"))
    assert names(accepted) == [("Accepted", "c")] and desk.held() == ["c"]
    events = desk.bar(100.0, 102.0, 98.5, 101.5)  # down to 98.5 (fills p), then up: c fills
    assert child_fills(events) == [("p", D(2), D(99)), ("c", D(2), D(101))]


def test_otoco_exits_start_with_the_entry_and_cancel_each_other():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("e", "buy", 2, kind="limit", price=99))
    desk.submit(order("e.tp", "sell", 2, kind="limit", price=103, oto_parent="e", oca_group="e"))
    desk.submit(order("e.sl", "sell", 2, kind="stop", trigger_price=97, oto_parent="e", oca_group="e"))
    assert desk.held() == ["e.tp", "e.sl"]
    desk.bar(100.0, 100.5, 98.5, 99.5)
    assert desk.working() == ["e.tp", "e.sl"]
    events = desk.bar(99.5, 99.6, 96.0, 96.5)
    assert names(events) == [("Filled", "e.sl"), ("Canceled", "e.tp")]
    assert desk.position() == 0


def test_an_oto_child_of_a_parent_canceled_unfilled_is_canceled_and_one_partly_filled_is_cut():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("p", "buy", 2, kind="limit", price=99))
    desk.submit(order("c", "sell", 2, kind="limit", price=101, oto_parent="p"))
    events = desk.cancel("p")
    assert names(events) == [("Canceled", "p"), ("Canceled", "c")]
    assert "ended unfilled" in events[1].reason
    cut = Desk(lot=Decimal(1), max_participation="0.5")
    cut.submit(order("p", "buy", 4, kind="limit", price=99))
    cut.submit(order("c", "sell", 4, kind="limit", price=110, oto_parent="p"))
    cut.bar(100.0, 100.0, 98.0, 99.0, v=2.0)  # 1 filled
    events = cut.cancel("p")
    assert [type(e) for e in events][1] is OrderModified and events[1].quantity == 1
    assert cut.working() == ["c"] and cut.account.orders.get("c").order.quantity == 1


def test_an_oto_child_of_an_order_that_is_not_working_is_rejected():
    desk = Desk(lot=Decimal(1))
    [rejected] = desk.submit(order("c", "sell", 1, kind="limit", price=101, oto_parent="nobody"))
    assert isinstance(rejected, OrderRejected) and "not a working order" in rejected.reason


def test_canceling_a_held_oto_child_says_so_and_it_never_starts():
    desk = Desk(lot=Decimal(1))
    desk.submit(order("p", "buy", 1, kind="limit", price=99))
    desk.submit(order("c", "sell", 1, kind="limit", price=101, oto_parent="p"))
    assert names(desk.cancel("c")) == [("Canceled", "c")]
    assert child_fills(desk.bar(100.0, 102.0, 98.0, 101.0)) == [("p", D(1), D(99))]


# Multi-leg --------------------------------------------------------------------------------------


def legs(desk: Desk, second: dict[str, object] | None = None) -> None:
    combo = Combo(group="pair", legs=2)
    desk.submit(order("x", "buy", 2, symbol="X", tif="ioc", combo=combo))
    desk.submit(order("y", "sell", 3, symbol="Y", tif="ioc", combo=combo, **(second or {})))


def test_multi_leg_legs_are_held_until_all_arrived_then_all_fill():
    desk = Desk(lot=Decimal(1), symbols=("X", "Y"))
    combo = Combo(group="pair", legs=2)
    desk.submit(order("x", "buy", 2, symbol="X", tif="ioc", combo=combo))
    assert desk.held() == ["x"]
    desk.submit(order("y", "sell", 3, symbol="Y", tif="ioc", combo=combo))
    assert desk.held() == [] and desk.working() == ["x", "y"]
    events = desk.bar(100.0, 100.0, 100.0, 100.0, symbol="X") + desk.bar(50.0, 50.0, 50.0, 50.0, symbol="Y")
    assert child_fills(events) == [("x", D(2), D(100)), ("y", D(3), D(50))]
    assert (desk.position("X"), desk.position("Y")) == (2, -3)


def test_a_leg_that_does_not_fill_unwinds_the_others_so_none_is_left():
    desk = Desk(lot=Decimal(1), symbols=("X", "Y"))
    legs(desk, {"kind": "limit", "price": 60})  # a sell limit at 60 in a market at 50: not filled
    first = desk.bar(100.0, 100.0, 100.0, 100.0, symbol="X")
    assert child_fills(first) == [("x", D(2), D(100))]
    second = desk.bar(50.0, 51.0, 49.0, 50.0, symbol="Y")
    assert names(second) == [("Canceled", "y"), ("Placed", "x.unwind"), ("Accepted", "x.unwind")]
    third = desk.bar(101.0, 101.0, 101.0, 101.0, symbol="X")
    assert child_fills(third) == [("x.unwind", D(2), D(101))]
    assert (desk.position("X"), desk.position("Y")) == (0, 0)


def test_a_multi_leg_group_missing_a_leg_at_the_next_bar_is_canceled():
    desk = Desk(lot=Decimal(1), symbols=("X", "Y"))
    desk.submit(order("x", "buy", 2, symbol="X", tif="ioc", combo=Combo(group="pair", legs=2)))
    events = desk.bar(100.0, 100.0, 100.0, 100.0, symbol="X")  # held: nothing fills; at the close
    assert names(events) == [("Canceled", "x")] and "only 1 of 2 legs arrived" in events[0].reason
    assert desk.status("x") is OrderStatus.CANCELED


def test_multi_leg_orders_must_be_ioc_or_fok():
    desk = Desk(lot=Decimal(1))
    [rejected] = desk.submit(order("x", "buy", 1, combo=Combo(group="g", legs=2)))
    assert isinstance(rejected, OrderRejected) and "IOC or FOK" in rejected.reason
