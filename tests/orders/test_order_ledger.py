"""The order ledger and the account: open orders, attached exit legs, denials, working quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradloopd.account import Account
from tradloopd.errors import InvariantError
from tradloopd.messages import (
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
)
from tradloopd.model import Liquidity, OrderStatus, OrderType, Side
from tradloopd.orders.exits import exit_orders, has_exits
from tradloopd.orders.ledger import OrderLedger


def entry(cid: str = "e", qty: str = "4", side: Side = Side.BUY, **fields: object) -> Order:
    return Order(client_order_id=cid, symbol="X", side=side, quantity=Decimal(qty),
                 **fields)  # type: ignore[arg-type]


def fill(cid: str, qty: str, price: str = "100", side: Side = Side.BUY, ts: int = 10) -> OrderFilled:
    return OrderFilled(client_order_id=cid, fill_id=f"{cid}-{qty}-{ts}", symbol="X", side=side,
                       quantity=Decimal(qty), price=Decimal(price), fee=Decimal(0),
                       liquidity=Liquidity.TAKER, ts_event=ts)


def submitted(ledger: OrderLedger, order: Order) -> None:
    ledger.add(order)
    ledger.mark_submitted(order.client_order_id, 1)
    ledger.apply(OrderAccepted(client_order_id=order.client_order_id, venue_order_id="V", ts_event=1))


def open_ids(ledger: OrderLedger) -> list[str]:
    return [t.client_order_id for t in ledger.open_orders()]


def test_exit_orders_are_reduce_only_opposite_side_legs_named_after_the_parent():
    parent = entry(stop_loss=Decimal(95), take_profit=Decimal(110), strategy_id="s1")
    sl, tp = exit_orders(parent, Decimal(3), ts=42)
    assert (sl.client_order_id, sl.kind, sl.side, sl.trigger_price, sl.quantity) == \
        ("e.sl", OrderType.STOP, Side.SELL, 95, 3)
    assert (tp.client_order_id, tp.kind, tp.side, tp.price, tp.quantity) == \
        ("e.tp", OrderType.LIMIT, Side.SELL, 110, 3)
    for leg in (sl, tp):
        assert leg.reduce_only and leg.parent_id == "e" and leg.strategy_id == "s1"
        assert leg.ts_init == 42
    assert (sl.tag, tp.tag) == ("stop_loss", "take_profit")


def test_exit_orders_of_a_short_entry_buy_back():
    parent = entry(side=Side.SELL, take_profit=Decimal(90))
    (tp,) = exit_orders(parent, Decimal(4), ts=0)
    assert (tp.side, tp.price) == (Side.BUY, 90)
    assert has_exits(parent) and not has_exits(entry())


def test_legs_open_when_the_entry_is_completely_filled():
    ledger = OrderLedger()
    submitted(ledger, entry(stop_loss=Decimal(95), take_profit=Decimal(110)))
    ledger.apply(fill("e", "1"))
    assert open_ids(ledger) == ["e"]
    ledger.apply(fill("e", "3"))
    assert open_ids(ledger) == ["e.sl", "e.tp"]
    assert ledger.get("e.sl").status is OrderStatus.SUBMITTED
    assert ledger.get("e.sl").order.quantity == 4


@pytest.mark.parametrize("end", [
    OrderCanceled(client_order_id="e", reason="user", ts_event=20),
    OrderExpired(client_order_id="e", ts_event=20),
])
def test_legs_cover_the_filled_part_when_a_partly_filled_entry_ends(end):
    ledger = OrderLedger()
    submitted(ledger, entry(stop_loss=Decimal(95)))
    ledger.apply(fill("e", "1"))
    ledger.apply(end)
    assert open_ids(ledger) == ["e.sl"]
    assert ledger.get("e.sl").order.quantity == 1


def test_unfilled_entry_canceled_opens_no_legs():
    ledger = OrderLedger()
    submitted(ledger, entry(stop_loss=Decimal(95)))
    ledger.apply(OrderCanceled(client_order_id="e", reason="user", ts_event=5))
    assert open_ids(ledger) == [] and "e.sl" not in ledger


def test_finished_orders_leave_the_open_list_but_stay_in_the_ledger():
    ledger = OrderLedger()
    submitted(ledger, entry("a"))
    submitted(ledger, entry("b"))
    ledger.apply(fill("a", "4"))
    assert open_ids(ledger) == ["b"]
    assert ledger.get("a").status is OrderStatus.FILLED
    assert len(ledger) == 2 and "a" in ledger


def test_open_orders_filtered_by_symbol():
    ledger = OrderLedger()
    submitted(ledger, entry("a"))
    other = Order(client_order_id="b", symbol="Y", side=Side.BUY, quantity=Decimal(1))
    submitted(ledger, other)
    assert [t.client_order_id for t in ledger.open_orders("Y")] == ["b"]


def test_a_client_order_id_used_twice_is_an_invariant_error():
    ledger = OrderLedger()
    ledger.add(entry())
    with pytest.raises(InvariantError, match="client order id e used twice"):
        ledger.add(entry())


def test_an_event_for_an_unknown_order_is_an_invariant_error():
    with pytest.raises(InvariantError, match="event for unknown order ghost"):
        OrderLedger().apply(OrderExpired(client_order_id="ghost", ts_event=1))


def test_account_denial_records_the_order_as_denied_with_the_reason():
    account = Account(Decimal(1000))
    denied = account.deny(entry(), "too big", ts_event=7)
    assert (denied.client_order_id, denied.reason, denied.ts_event) == ("e", "too big", 7)
    tracked = account.orders.get("e")
    assert (tracked.status, tracked.reason) == (OrderStatus.DENIED, "too big")
    assert account.orders.open_orders() == []


def test_account_fills_move_position_and_cash_and_close_trades():
    account = Account(Decimal(1000))
    for order in (entry("a", "2"), entry("b", "2", side=Side.SELL)):
        account.add_order(order)
        account.mark_submitted(order.client_order_id, 1)
    assert account.apply(fill("a", "2", price="100")) == []
    (trade,) = account.apply(fill("b", "2", price="110", side=Side.SELL))
    assert trade.pnl == 20
    assert account.position("X") == 0 and account.portfolio.cash == 1020
    assert [f.client_order_id for f in account.fills] == ["a", "b"]


def test_working_quantity_counts_what_is_left_on_open_orders_of_one_side():
    account = Account(Decimal(1000))
    for order in (entry("a", "4"), entry("b", "1"), entry("s", "2", side=Side.SELL),
                  Order(client_order_id="n", symbol="X", side=Side.BUY, notional=Decimal(50))):
        account.add_order(order)
        account.mark_submitted(order.client_order_id, 1)
    account.apply(fill("a", "3"))
    assert account.working_qty("X", Side.BUY) == 2  # 1 left on a, 1 on b; notional unknown
    assert account.working_qty("X", Side.SELL) == 2
