"""Start-up reconciliation against the fake Binance and a real journal: what happened while down.

Each test trades through one broker (the daemon before it stopped), changes the venue while "the
daemon is down", then reconciles with a fresh broker, as a restarted daemon does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from tests.brokers.harness import SECOND_NS, last_price, lows, make_broker, order
from tradloopd.brokers.actor import WatchSettings
from tradloopd.brokers.aio import open_aio_loop
from tradloopd.brokers.ccxt.broker import CcxtBroker
from tradloopd.brokers.ccxt.commissions import CommissionBook
from tradloopd.brokers.reconcile import ReconcileError, ReconcileSettings, catch_up
from tradloopd.brokers.router import Family, Router
from tradloopd.brokers.startup import StartupReconciliation
from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.clock import VenueClock
from tradloopd.messages import Order, OrderFilled, SubmitOrder
from tradloopd.model import OrderStatus, OrderType, Side
from tradloopd.store.journal import Journal

ROUTER = Router({"binance": Family.CCXT})


@pytest.fixture
def journal(tmp_path: Path):  # type: ignore[no-untyped-def]
    journal = Journal(tmp_path / "journal.sqlite", initial_cash=Decimal(10_000))
    yield journal
    journal.close()


@asynccontextmanager
async def session(fake: FakeBinance, clock: VenueClock, tmp_path: Path) -> AsyncIterator[CcxtBroker]:
    """One daemon's life at the venue: a broker with the state directory's commission book."""
    async with open_aio_loop():
        broker = make_broker(fake, clock, commissions=CommissionBook(tmp_path / "binance-commissions.jsonl"))
        await broker.connect()
        try:
            yield broker
        finally:
            await broker.close()


async def trade(journal: Journal, broker: CcxtBroker, new: Order) -> None:
    """What the daemon does: journal the intent, send it, journal what the venue answers."""
    journal.append([SubmitOrder(order=new, ts_event=new.ts_init)])
    tracked = journal.account.orders.get(new.client_order_id)
    journal.append(catch_up(tracked, await broker.submit(new), set()))


async def restart(journal: Journal, fake: FakeBinance, clock: VenueClock, tmp_path: Path,
                  **policy: object) -> StartupReconciliation:
    settings = WatchSettings(resolve_grace_s=0, reconcile=ReconcileSettings(**policy))  # type: ignore[arg-type]
    async with session(fake, clock, tmp_path) as broker:
        startup = StartupReconciliation({"binance": broker}, ROUTER, journal, settings, node_id="t",
                                        clock=clock)
        await startup.run()
    return startup


def status(journal: Journal, client_order_id: str) -> OrderStatus:
    tracked = journal.account.orders.get(client_order_id)
    assert tracked is not None
    return tracked.status


async def test_a_fill_while_down_is_recorded(journal, fake, clock, tmp_path):
    price = lows(clock, 120)[3]
    async with session(fake, clock, tmp_path) as broker:
        await trade(journal, broker, order("t-1", kind=OrderType.LIMIT, price=price))
    clock.advance(121 * SECOND_NS)  # the market trades through the limit while the daemon is down
    await restart(journal, fake, clock, tmp_path)
    assert status(journal, "t-1") is OrderStatus.FILLED
    assert journal.account.position("BTC/USDT") == Decimal("0.01")
    fill = journal.account.fills[-1]
    assert (fill.price, fill.fill_id) == (price, "binance:BTC/USDT:1")
    again = await restart(journal, fake, clock, tmp_path)  # nothing new the second time
    assert again.problems == [] and len(journal.account.fills) == 1


async def test_an_order_canceled_on_the_venue_while_down_is_recorded_as_canceled(journal, fake, clock,
                                                                                tmp_path):
    async with session(fake, clock, tmp_path) as broker:
        await trade(journal, broker, order("t-2", kind=OrderType.LIMIT, price=last_price(fake) - 500))
    fake.cancel_order("t-2")
    await restart(journal, fake, clock, tmp_path)
    tracked = journal.account.orders.get("t-2")
    assert tracked.status is OrderStatus.CANCELED and "canceled at binance" in tracked.reason


async def test_commissions_taken_in_the_bought_asset_are_no_position_change(journal, fake, clock, tmp_path):
    async with session(fake, clock, tmp_path) as broker:
        await trade(journal, broker, order("t-3"))
    assert fake.venue.account.free["BTC"] == Decimal("0.00999")
    startup = await restart(journal, fake, clock, tmp_path)  # refuse: would raise on a difference
    assert startup.problems == [] and journal.account.position("BTC/USDT") == Decimal("0.01")


async def test_a_position_changed_by_hand_is_refused_with_the_difference(journal, fake, clock, tmp_path):
    async with session(fake, clock, tmp_path) as broker:
        await trade(journal, broker, order("t-4"))
    fake.set_balances({"BTC": "0.50999"})  # someone bought 0.5 BTC on the website
    with pytest.raises(ReconcileError) as refused:
        await restart(journal, fake, clock, tmp_path)
    message = str(refused.value)
    assert "BTC/USDT: the journal holds 0.01, the venue 0.51" in message
    assert 'position-changes = "accept"' in message and "will not trade" in message
    assert journal.account.position("BTC/USDT") == Decimal("0.01")


async def test_an_accepted_position_change_is_booked_as_an_adjustment(journal, fake, clock, tmp_path):
    async with session(fake, clock, tmp_path) as broker:
        await trade(journal, broker, order("t-5"))
    fake.set_balances({"BTC": "0.00499"})  # someone sold 0.005 BTC by hand
    await restart(journal, fake, clock, tmp_path, position_changes="accept")
    adjustment = journal.account.orders.get("t-r-1")
    assert adjustment is not None and adjustment.status is OrderStatus.FILLED
    assert (adjustment.order.side, adjustment.order.quantity, adjustment.order.strategy_id) == \
        (Side.SELL, Decimal("0.005"), "reconcile")
    assert journal.account.fills[-1].price == last_price(fake)
    assert journal.account.position("BTC/USDT") == Decimal("0.005")
    again = await restart(journal, fake, clock, tmp_path)  # now they agree, even under "refuse"
    assert again.problems == [] and journal.account.orders.get("t-r-2") is None


@pytest.mark.parametrize("policy", ["report", "adopt", "cancel"])
async def test_an_unknown_venue_order_is_reported_adopted_or_canceled(journal, fake, clock, tmp_path, policy):
    price = last_price(fake) - 500
    fake.place_order("BTC/USDT", "BUY", "LIMIT", "0.02", price=price, client_order_id="web-1")
    await restart(journal, fake, clock, tmp_path, unknown_orders=policy)
    venue_open = [o.client_order_id for o in fake.venue.account.open_orders()]
    adopted = journal.account.orders.get("web-1")
    if policy == "report":
        assert venue_open == ["web-1"] and adopted is None
    elif policy == "adopt":
        assert venue_open == ["web-1"] and adopted.status is OrderStatus.ACCEPTED
        assert (adopted.order.strategy_id, adopted.order.price, adopted.order.quantity) == \
            ("adopted", price, Decimal("0.02"))
    else:
        assert venue_open == [] and adopted is None


async def test_an_intent_sent_just_before_the_crash_is_found_and_its_fill_recorded(journal, fake, clock,
                                                                                   tmp_path):
    sent = order("t-6")
    journal.append([SubmitOrder(order=sent, ts_event=0)])
    async with session(fake, clock, tmp_path) as broker:
        await broker.submit(sent)  # ... and the daemon died before journaling the answer
    await restart(journal, fake, clock, tmp_path)
    assert status(journal, "t-6") is OrderStatus.FILLED
    assert isinstance(journal.account.fills[-1], OrderFilled)


async def test_an_intent_never_sent_is_left_for_the_node_to_deny(journal, fake, clock, tmp_path):
    journal.append([SubmitOrder(order=order("t-7"), ts_event=0)])
    await restart(journal, fake, clock, tmp_path)
    assert status(journal, "t-7") is OrderStatus.INITIALIZED
    assert fake.requests("/api/v3/order")[-1].method == "GET"  # looked up, never sent


async def test_an_unresolved_order_the_venue_never_got_is_rejected(journal, fake, clock, tmp_path):
    lost = order("t-8")
    fake.drop("/api/v3/order")  # the request never reaches the venue
    async with session(fake, clock, tmp_path) as broker:
        await trade(journal, broker, lost)
    assert status(journal, "t-8") is OrderStatus.UNRESOLVED
    await restart(journal, fake, clock, tmp_path)
    tracked = journal.account.orders.get("t-8")
    assert tracked.status is OrderStatus.REJECTED and "no order with this client order id" in tracked.reason
    assert fake.venue.account.open_orders() == [] and fake.venue.account.free["BTC"] == 0
