"""Stop-loss and take-profit attached to an entry: spawned on fill, one-cancels-other, same bar."""

from __future__ import annotations

from decimal import Decimal

import pytest
from venue_builders import D, Paper, fill_prices, fills, kinds, reason

from tradloopd.account import Account
from tradloopd.messages import OrderEvent

FLAT = (100.0, 100.0, 100.0, 100.0)


def bracket(paper: Paper, side: str = "buy", qty: object = 2, **fields: object) -> None:
    fields.setdefault("stop_loss", 95 if side == "buy" else 105)
    fields.setdefault("take_profit", 105 if side == "buy" else 95)
    paper.submit("e", side, qty, **fields)


def fill_ids(events: list[OrderEvent]) -> list[str]:
    return [f.client_order_id for f in fills(events)]


def test_entry_fill_spawns_reduce_only_legs_for_the_filled_quantity():
    paper = Paper()
    bracket(paper)
    events = paper.bar(*FLAT)
    assert kinds(events) == [("filled", "e"), ("accepted", "e.sl"), ("accepted", "e.tp")]
    sl, tp = paper.sim.working_orders()
    assert (sl.side, sl.kind, sl.trigger_price, sl.quantity) == ("sell", "stop", 95, 2)
    assert (tp.side, tp.kind, tp.price, tp.quantity) == ("sell", "limit", 105, 2)
    assert sl.reduce_only and tp.reduce_only
    assert sl.parent_id == tp.parent_id == "e"


def test_legs_do_not_exist_before_the_entry_fills():
    paper = Paper()
    bracket(paper, kind="limit", price=90)
    paper.bar(*FLAT)
    assert paper.working() == ["e"]


def test_take_profit_filled_cancels_the_stop_loss():
    paper = Paper()
    bracket(paper)
    paper.bar(*FLAT)
    events = paper.bar(100.0, 106.0, 99.0, 105.0)
    assert kinds(events) == [("filled", "e.tp"), ("canceled", "e.sl")]
    assert reason(events, "e.sl") == "oco"
    assert fill_prices(events) == [D(105)]
    assert paper.position() == 0 and paper.working() == []


def test_stop_loss_filled_cancels_the_take_profit():
    paper = Paper()
    bracket(paper)
    paper.bar(*FLAT)
    events = paper.bar(100.0, 101.0, 94.0, 95.0)
    assert kinds(events) == [("filled", "e.sl"), ("canceled", "e.tp")]
    assert fill_prices(events) == [D(95)]


def test_stop_loss_gapped_through_fills_at_the_open():
    paper = Paper()
    bracket(paper)
    paper.bar(*FLAT)
    assert fill_prices(paper.bar(90.0, 91.0, 89.0, 90.0)) == [D(90)]


@pytest.mark.parametrize(("bar", "winner"), [
    ((100.0, 106.0, 94.0, 100.0), "e.sl"),  # tie, closes at the open: low first
    ((100.0, 106.0, 94.0, 99.0), "e.tp"),   # tie, closes below the open: high first
    ((100.0, 106.0, 93.0, 100.0), "e.tp"),  # the high is nearer
    ((100.0, 107.0, 94.0, 100.0), "e.sl"),  # the low is nearer
])
def test_both_legs_inside_one_bar_in_nearest_mode_the_path_decides(bar, winner):
    paper = Paper()
    bracket(paper)
    paper.bar(*FLAT)
    events = paper.bar(*bar)
    assert fill_ids(events) == [winner]
    assert paper.position() == 0


@pytest.mark.parametrize("bar", [(100.0, 106.0, 93.0, 100.0), (100.0, 106.0, 94.0, 99.0)])
def test_both_legs_inside_one_bar_in_worst_mode_the_stop_loss_wins(bar):
    paper = Paper(intrabar="worst")
    bracket(paper)
    paper.bar(*FLAT)
    assert fill_ids(paper.bar(*bar)) == ["e.sl"]


def test_worst_mode_short_position_the_stop_loss_above_wins():
    paper = Paper(intrabar="worst")
    bracket(paper, "sell")
    paper.bar(*FLAT)
    assert fill_ids(paper.bar(100.0, 107.0, 94.0, 100.0)) == ["e.sl"]  # nearest would take tp


def test_worst_mode_applies_to_a_bracket_entered_at_the_same_bars_open():
    paper = Paper(intrabar="worst")
    bracket(paper)
    events = paper.bar(100.0, 106.0, 94.0, 99.0)  # nearest (tie, close < open) goes up first
    assert fill_ids(events) == ["e", "e.sl"]


def test_legs_spawned_mid_bar_join_the_walk_from_the_entry_price():
    paper = Paper()
    bracket(paper, kind="limit", price=98, take_profit=110)
    events = paper.bar(100.0, 101.0, 94.0, 96.0)  # 100 -> 101 -> 94: entry at 98, then stop at 95
    assert kinds(events) == [("filled", "e"), ("accepted", "e.sl"), ("accepted", "e.tp"),
                             ("filled", "e.sl"), ("canceled", "e.tp")]
    assert fill_prices(events) == [D(98), D(95)]


def test_legs_spawned_mid_bar_do_not_see_the_part_of_the_bar_before_the_entry():
    paper = Paper()
    bracket(paper, kind="limit", price=98)
    events = paper.bar(100.0, 106.0, 97.0, 99.0)  # 100 -> 97 (entry at 98) -> 106: tp at 105
    assert fill_ids(events) == ["e", "e.tp"]


def test_short_entry_gets_buy_legs():
    paper = Paper()
    bracket(paper, "sell")
    paper.bar(*FLAT)
    assert [(o.side, o.client_order_id) for o in paper.sim.working_orders()] == \
        [("buy", "e.sl"), ("buy", "e.tp")]
    assert fill_prices(paper.bar(100.0, 100.5, 94.0, 95.0)) == [D(95)]
    assert paper.position() == 0


def test_only_a_stop_loss_can_be_attached():
    paper = Paper()
    paper.submit("e", "buy", 1, stop_loss=95)
    paper.bar(*FLAT)
    assert paper.working() == ["e.sl"]


def test_entry_filled_over_several_bars_gets_legs_for_the_total_once_complete():
    paper = Paper(max_participation="0.5")
    bracket(paper, qty=4)
    paper.bar(*FLAT, v=4)
    assert paper.working() == ["e"]  # 2 filled, no legs yet: documented, see docs/simulator.md
    paper.bar(*FLAT, v=4)
    assert [o.quantity for o in paper.sim.working_orders()] == [4, 4]


def test_ioc_entry_partly_filled_then_canceled_protects_the_filled_part():
    paper = Paper(max_participation="0.5")
    bracket(paper, qty=4, tif="ioc")
    events = paper.bar(*FLAT, v=2)
    assert kinds(events) == [("filled", "e"), ("canceled", "e"), ("accepted", "e.sl"),
                             ("accepted", "e.tp")]
    assert [o.quantity for o in paper.sim.working_orders()] == [1, 1]


def test_canceling_a_partly_filled_entry_protects_the_filled_part():
    paper = Paper(max_participation="0.5")
    bracket(paper, qty=4)
    paper.bar(*FLAT, v=2)
    paper.cancel("e")
    assert paper.working() == ["e.sl", "e.tp"]


def test_expiry_of_a_partly_filled_entry_protects_the_filled_part():
    paper = Paper(max_participation="0.5")
    bracket(paper, qty=4, tif="gtd", expire_ts=60 * 10**9)
    paper.bar(*FLAT, v=2)
    paper.bar(*FLAT, v=2)  # opens at the expiry
    assert paper.working() == ["e.sl", "e.tp"]


def ledger_and_venue(paper: Paper, account: Account) -> tuple[list[str], list[str]]:
    for event in paper.events:
        account.apply(event)
    paper.events.clear()
    return sorted(t.client_order_id for t in account.orders.open_orders()), sorted(paper.working())


def test_the_ledger_and_the_venue_agree_on_the_live_legs():
    paper, account = Paper(), Account(Decimal(100_000))
    bracket(paper)
    entry = paper.sim.working_orders()[0]
    account.add_order(entry)
    account.mark_submitted("e", 0)
    paper.bar(*FLAT)
    mine, venue = ledger_and_venue(paper, account)
    assert mine == venue == ["e.sl", "e.tp"]
    paper.bar(100.0, 106.0, 99.0, 105.0)
    assert ledger_and_venue(paper, account) == ([], [])
    assert account.position("X") == paper.position() == 0


@pytest.mark.parametrize("end", ["cancel", "expiry"])
def test_the_ledger_and_the_venue_agree_on_the_legs_of_a_partly_filled_entry(end):
    paper, account = Paper(max_participation="0.5"), Account(Decimal(100_000))
    bracket(paper, qty=4, tif="gtd", expire_ts=120 * 10**9)
    account.add_order(paper.placed["e"])
    account.mark_submitted("e", 0)
    paper.bar(*FLAT, v=2)  # 1 of 4 fills
    if end == "cancel":
        paper.cancel("e")
    else:
        paper.bar(*FLAT, v=0)
        paper.bar(*FLAT, v=0)  # opens at the expiry
    mine, venue = ledger_and_venue(paper, account)
    assert mine == venue == ["e.sl", "e.tp"]
    assert [o.quantity for o in paper.sim.working_orders()] == [1, 1]
    assert account.orders.get("e.sl").order == paper.sim.by_id["e.sl"].order
