"""A paper venue rebuilt after a restart from the journal (ledger + fills) carries on as before."""

from __future__ import annotations

from decimal import Decimal

import pytest
from venue_builders import D, Paper, fills

from tradloopd.account import Account

FLAT = (100.0, 100.0, 100.0, 100.0)


def journal(paper: Paper) -> Account:
    """The trading side's account, fed every order the paper venue saw and every event."""
    account = Account(Decimal(100_000))
    for event in paper.events:
        if event.client_order_id not in account.orders and "." not in event.client_order_id:
            account.add_order(paper.placed[event.client_order_id])
            account.mark_submitted(event.client_order_id, 0)
        account.apply(event)
    return account


def restarted(paper: Paper, **config: object) -> Paper:
    account = journal(paper)
    fresh = Paper(**config)
    fresh.minute = paper.minute
    fresh.last.update(paper.last)
    fresh.sim.restore(list(account.orders), account.fills)
    return fresh


def test_a_resting_limit_and_the_position_survive_a_restart():
    paper = Paper()
    paper.submit("entry", "buy", 2)
    paper.bar(*FLAT)
    paper.submit("exit", "sell", 2, kind="limit", price=105)
    paper.bar(*FLAT)
    again = restarted(paper)
    assert again.position() == 2 and again.sim.account.cash == paper.sim.account.cash
    assert again.working() == ["exit"]
    assert again.submit("exit", "sell", 2) == []  # still a known id: never traded twice
    assert [f.price for f in fills(again.bar(100.0, 106.0, 99.0, 105.0))] == [D(105)]
    assert again.position() == 0


def test_a_partly_filled_order_resumes_with_what_is_left_and_new_fill_ids():
    paper = Paper(max_participation="0.5")
    paper.submit("a", "buy", 4, kind="limit", price=101)
    paper.bar(*FLAT, v=2)
    again = restarted(paper, max_participation="0.5")
    again.bar(*FLAT, v=100)
    assert again.position() == 4
    assert [f.fill_id for f in fills(paper.events + again.events)] == ["a-1", "a-2"]


@pytest.mark.parametrize("fields", [
    {"kind": "stop_limit", "trigger_price": 102, "price": 103},  # now a buy limit at 103
    {"kind": "stop", "trigger_price": 102},  # now a market order
])
def test_a_triggered_partly_filled_stop_stays_triggered_after_a_restart(fields):
    paper = Paper(max_participation="0.5")
    paper.submit("s", "buy", 4, **fields)
    paper.bar(100.0, 102.5, 99.0, 102.0, v=2)  # triggers at 102 and fills 1
    again = restarted(paper, max_participation="0.5")
    (fill,) = fills(again.bar(101.0, 101.5, 100.5, 101.0, v=100))  # below the trigger again
    assert (fill.quantity, fill.price) == (3, D(101))
    assert again.position() == 4
