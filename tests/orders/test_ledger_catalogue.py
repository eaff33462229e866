"""The ledger and the order state machine with the catalogue's events: a child placed, terms
modified, a parent's progress counted from its children's fills."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.test_order_ledger import entry, submitted
from tradloopd.account import Account
from tradloopd.errors import IllegalTransition
from tradloopd.messages import AlgoFilled, OrderAccepted, OrderModified, OrderPlaced, Trail, Twap
from tradloopd.model import OrderStatus, OrderType, Side
from tradloopd.orders.ledger import OrderLedger

D = Decimal


def progress(parent: str, qty: str, price: str = "100", fee: str = "0.1") -> AlgoFilled:
    return AlgoFilled(client_order_id=parent, child_id=f"{parent}.1", quantity=D(qty), price=D(price),
                      fee=D(fee), ts_event=5)


def test_a_placed_child_joins_the_ledger_as_submitted_and_open():
    ledger = OrderLedger()
    submitted(ledger, entry("p", algo=Twap(duration_ns=60, slices=2)))
    child = entry("p.1", qty="2", parent_id="p")
    tracked = ledger.apply(OrderPlaced(order=child, ts_event=3))
    assert tracked.status is OrderStatus.SUBMITTED and tracked.order == child
    assert [t.client_order_id for t in ledger.open_orders()] == ["p", "p.1"]
    with pytest.raises(Exception, match="used twice"):
        ledger.apply(OrderPlaced(order=child, ts_event=4))


def test_a_parent_counts_its_childrens_fills_and_is_filled_with_its_quantity():
    ledger = OrderLedger()
    submitted(ledger, entry("p", qty="4", algo=Twap(duration_ns=60, slices=2)))
    ledger.apply(progress("p", "1", "100"))
    assert ledger.get("p").status is OrderStatus.PARTIALLY_FILLED
    ledger.apply(progress("p", "3", "104"))
    parent = ledger.get("p")
    assert (parent.status, parent.filled_qty, parent.avg_price, parent.fees) == (
        OrderStatus.FILLED, D(4), D(103), D("0.2"))
    assert ledger.open_orders() == []


def test_a_parent_is_never_counted_beyond_its_quantity_nor_after_it_ended():
    ledger = OrderLedger()
    submitted(ledger, entry("p", qty="2", algo=Twap(duration_ns=60, slices=2)))
    with pytest.raises(IllegalTransition, match="fill of 3 with 2 left"):
        ledger.apply(progress("p", "3"))
    ledger.apply(progress("p", "2"))
    with pytest.raises(IllegalTransition, match="AlgoFilled not allowed in filled"):
        ledger.apply(progress("p", "1"))


def test_account_books_no_position_for_a_parents_progress():
    account = Account(D(1000))
    account.add_order(entry("p", qty="2", algo=Twap(duration_ns=60, slices=2)))
    account.apply(OrderAccepted(client_order_id="p", venue_order_id="EMU-p", ts_event=1))
    account.apply(progress("p", "2"))
    assert account.position("X") == 0 and account.portfolio.cash == 1000


def test_a_modified_trailing_stop_carries_its_new_trigger_limit_and_activation():
    ledger = OrderLedger()
    submitted(ledger, entry("t", side=Side.SELL, kind=OrderType.STOP_LIMIT, trigger_price=D(95), price=D(94),
                            trail=Trail(amount=D(2), activation=D(101))))
    ledger.apply(OrderModified(client_order_id="t", ts_event=2, trigger_price=D(99), price=D(98),
                               activated=True))
    order = ledger.get("t").order
    assert (order.trigger_price, order.price, order.trail) == (D(99), D(98), Trail(amount=D(2)))


def test_a_quantity_cut_below_what_filled_is_refused():
    ledger = OrderLedger()
    submitted(ledger, entry("c", qty="4"))
    ledger.apply(OrderModified(client_order_id="c", ts_event=2, quantity=D(2)))
    assert ledger.get("c").leaves_qty == 2
    with pytest.raises(IllegalTransition, match="below"):
        ledger.apply(OrderModified(client_order_id="c", ts_event=3, quantity=D(-1)))
