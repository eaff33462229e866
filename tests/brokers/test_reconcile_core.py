"""The pure reconciliation core: catching one order up, unknown orders, position differences."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.brokers.harness import order
from tradloopd.account import Account
from tradloopd.brokers.base import VenueOrder, VenueSnapshot
from tradloopd.brokers.reconcile import (
    PositionDifference,
    adjustment,
    adjustment_price,
    catch_up,
    plain,
    position_differences,
    unknown_orders,
)
from tradloopd.errors import InvariantError
from tradloopd.messages import (
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUnresolved,
)
from tradloopd.model import Liquidity, OrderStatus, OrderType, Side
from tradloopd.orders.state import TrackedOrder


def accepted(coid: str = "t-1") -> OrderAccepted:
    return OrderAccepted(client_order_id=coid, venue_order_id="9", ts_event=1)


def filled(qty: str, fill_id: str, coid: str = "t-1") -> OrderFilled:
    return OrderFilled(client_order_id=coid, fill_id=fill_id, symbol="BTC/USDT", side=Side.BUY,
                       quantity=Decimal(qty), price=Decimal(100), fee=Decimal(0), liquidity=Liquidity.TAKER,
                       ts_event=2)


def submitted(**fields: object) -> TrackedOrder:
    tracked = TrackedOrder(order("t-1", **fields))  # type: ignore[arg-type]
    tracked.mark_submitted(0)
    return tracked


def test_catch_up_keeps_only_what_the_journal_lacks():
    tracked = submitted()
    tracked.apply(accepted())
    tracked.apply(filled("0.004", "f1"))
    story = [accepted(), filled("0.004", "f1"), filled("0.006", "f2"), OrderCanceled(
        client_order_id="t-1", reason="late", ts_event=3)]
    assert catch_up(tracked, story, {"f1"}) == [filled("0.006", "f2")]  # filled: the cancel is moot
    assert tracked.status is OrderStatus.PARTIALLY_FILLED  # the journal's order is untouched


def test_catch_up_of_an_intent_the_venue_never_got_is_nothing():
    assert catch_up(TrackedOrder(order("t-1")), [OrderRejected(client_order_id="t-1", reason="no such order",
                                                               ts_event=1)], set()) == []


def test_catch_up_of_an_intent_that_did_arrive_records_its_story():
    story = [accepted(), filled("0.01", "f1")]
    assert catch_up(TrackedOrder(order("t-1")), story, set()) == story


def test_catch_up_records_an_unresolved_submit():
    lost = OrderUnresolved(client_order_id="t-1", reason="timeout", ts_event=1)
    assert catch_up(submitted(), [lost], set()) == [lost]


def test_a_venue_reporting_more_than_the_order_holds_is_an_invariant_error():
    with pytest.raises(InvariantError, match="does not fit the journal"):
        catch_up(submitted(), [accepted(), filled("0.02", "f1")], set())


def snapshot(positions: dict[str, str], open_orders: list[VenueOrder] = (), prices=None) -> VenueSnapshot:  # type: ignore[assignment]
    return VenueSnapshot(ts=0, open_orders=list(open_orders), fills=[], balances={},
                         positions={s: Decimal(q) for s, q in positions.items()},
                         prices={s: Decimal(p) for s, p in (prices or {}).items()})


def account_holding(qty: str) -> Account:
    account = Account(Decimal(1000))
    account.add_order(order("t-1", quantity=qty))
    account.apply(accepted())
    account.apply(filled(qty, "f1"))
    return account


def test_position_differences_compare_every_routed_and_held_symbol():
    account = account_holding("0.01")
    assert position_differences(account, snapshot({"BTC/USDT": "0.01", "ETH/USDT": "0"}),
                                ["BTC/USDT", "ETH/USDT"]) == []
    differences = position_differences(account, snapshot({"ETH/USDT": "0.5"}), ["BTC/USDT", "ETH/USDT"])
    assert differences == [PositionDifference("BTC/USDT", Decimal("0.01"), Decimal(0)),
                           PositionDifference("ETH/USDT", Decimal(0), Decimal("0.5"))]
    assert differences[0].describe() == "BTC/USDT: the journal holds 0.01, the venue 0"


def test_an_adjustment_books_the_change_as_a_trade_at_the_price():
    difference = PositionDifference("BTC/USDT", Decimal("0.01"), Decimal("0.25"))
    submit, ack, fill = adjustment(difference, "t-r-1", Decimal(100), ts=5)
    account = account_holding("0.01")
    for message in (ack, fill):
        if message is ack:
            account.add_order(submit.order)
        account.apply(message)
    assert account.position("BTC/USDT") == Decimal("0.25")
    assert (submit.order.side, submit.order.strategy_id, fill.fee) == (Side.BUY, "reconcile", 0)
    assert adjustment_price(account, snapshot({}, prices={"BTC/USDT": "123"}), "BTC/USDT") == 123
    assert adjustment_price(account, snapshot({}), "BTC/USDT") == Decimal(100)  # the average entry


def venue_order(coid: str, side: Side | None = Side.BUY) -> VenueOrder:
    return VenueOrder(client_order_id=coid, venue_order_id="5", symbol="BTC/USDT", status="open",
                      quantity=Decimal(1), filled_qty=Decimal(0), price=Decimal(90), side=side,
                      kind=OrderType.LIMIT)


@pytest.mark.parametrize(("policy", "starting", "adopted", "canceled", "reported"), [
    ("report", True, [], [], ["web-1", "web-2"]),
    ("adopt", True, ["web-1"], [], ["web-2"]),  # web-2's side is unknown: it cannot be adopted
    ("adopt", False, [], [], ["web-1", "web-2"]),  # while running, adopting waits for a restart
    ("cancel", False, [], ["web-1", "web-2"], []),
])
def test_unknown_orders_follow_the_policy(policy, starting, adopted, canceled, reported):
    account = account_holding("0.01")
    account.add_order(order("t-2", kind=OrderType.LIMIT, price=Decimal(90)))
    account.apply(accepted("t-2"))  # ours, and open: not unknown
    venue = snapshot({}, [venue_order("t-2"), venue_order("web-1"), venue_order("web-2", side=None)])
    found = unknown_orders(account, venue, policy, starting=starting)
    assert [o.client_order_id for o in found.adopt] == adopted
    assert [o.client_order_id for o in found.cancel] == canceled
    assert [o.client_order_id for o in found.report] == reported
    for new in found.adopt:
        assert (new.kind, new.price, new.strategy_id) == (OrderType.LIMIT, Decimal(90), "adopted")


def test_an_open_venue_order_the_journal_thinks_finished_is_reported_not_adopted():
    account = account_holding("0.01")  # t-1 is filled in the journal, yet open at the venue
    found = unknown_orders(account, snapshot({}, [venue_order("t-1")]), "adopt", starting=True)
    assert (found.adopt, [o.client_order_id for o in found.report]) == ([], ["t-1"])


def test_plain_numbers_read_as_people_write_them():
    assert [plain(Decimal(x)) for x in ("0.51000", "100", "1E+2", "0")] == ["0.51", "100", "100", "0"]
