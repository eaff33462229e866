"""The broker actor with the real CCXT broker and the fake Binance: the live venue of the daemon."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import trio

from tests.brokers.harness import SECOND_NS, T0_NS, last_price, lows, order
from tradloopd.account import Account
from tradloopd.actors.journal import JournalEntry
from tradloopd.actors.risk import ControlRequest
from tradloopd.brokers.actor import BrokerVenueActor, WatchSettings
from tradloopd.brokers.ccxt.broker import CcxtBroker
from tradloopd.brokers.reconcile import ReconcileSettings
from tradloopd.brokers.router import Family, Router
from tradloopd.channels import open_edge
from tradloopd.messages import (
    Bar,
    CancelOrder,
    Halt,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderUnresolved,
    SubmitOrder,
)
from tradloopd.model import OrderStatus, OrderType, Side, TimeInForce

WAIT_S = 10


@dataclass
class Running:
    actor: BrokerVenueActor
    inbox: trio.MemorySendChannel[Any]
    journal: trio.MemoryReceiveChannel[JournalEntry]
    risk: trio.MemoryReceiveChannel[Any]
    strategy: trio.MemoryReceiveChannel[Any]

    async def submit(self, new) -> None:  # type: ignore[no-untyped-def]
        await self.inbox.send(SubmitOrder(order=new, ts_event=T0_NS))

    async def next_event(self, kind: type, *, of: str | None = None) -> Any:
        """The next message of `kind` the strategy gets (others skipped), within WAIT_S."""
        with trio.fail_after(WAIT_S):
            async for message in self.strategy:
                if isinstance(message, kind) and (of is None or message.client_order_id == of):
                    return message
        raise AssertionError("strategy channel closed")


async def until(condition) -> None:  # type: ignore[no-untyped-def]
    """Wait (at most WAIT_S) for a condition on the fake venue, whose state lives in its server
    threads, or on the actor's counters: there is no trio event to wait on."""
    with trio.fail_after(WAIT_S):
        while not condition():  # noqa: ASYNC110 - see the docstring
            await trio.sleep(0.01)


def settings(**reconcile: object) -> WatchSettings:
    policy = ReconcileSettings(**({"interval_s": 0.05} | reconcile))  # type: ignore[arg-type]
    return WatchSettings(poll_s=0.02, resolve_grace_s=0.0, reconcile=policy, backoff_initial_s=0.02,
                         backoff_max_s=0.05)


@pytest.fixture
async def running(broker: CcxtBroker, request) -> AsyncIterator[Running]:  # type: ignore[no-untyped-def]
    watch = getattr(request, "param", settings())
    inbox_tx, inbox_rx = trio.open_memory_channel[Any](64)
    journal, journal_rx = open_edge("journal", 256, 5.0)
    risk, risk_rx = open_edge("risk", 256, 5.0)
    strategy, strategy_rx = open_edge("strategy", 256, 5.0)
    actor = BrokerVenueActor({"binance": broker}, Router({"binance": Family.CCXT}), Account(Decimal(10_000)),
                             broker._clock, inbox_rx, journal, risk, strategy, watch)
    async with trio.open_nursery() as nursery:
        await nursery.start(actor.run)
        yield Running(actor, inbox_tx, journal_rx, risk_rx, strategy_rx)
        nursery.cancel_scope.cancel()


async def test_bars_pass_through_to_risk_then_strategy(running):
    bar = Bar(symbol="BTC/USDT", ts_open=0, ts_event=1, open=1, high=1, low=1, close=1, volume=1)
    await running.inbox.send(bar)
    assert await running.next_event(Bar) == bar
    assert running.risk.receive_nowait() == bar


async def test_an_order_goes_out_and_its_events_reach_journal_risk_and_strategy(running, fake):
    await running.submit(order("t-1"))
    accepted = await running.next_event(OrderAccepted)
    filled = await running.next_event(OrderFilled)
    journaled = [running.journal.receive_nowait().message for _ in range(2)]
    assert journaled == [accepted, filled] == [running.risk.receive_nowait() for _ in range(2)]
    assert running.actor.account.orders.get("t-1").status is OrderStatus.FILLED
    assert len(fake.requests("/api/v3/order")) == 1


async def test_orders_the_venue_cannot_take_are_refused_with_the_reason(running, fake):
    await running.submit(order("t-2", kind=OrderType.LIMIT, price=Decimal(50_000), tif=TimeInForce.GTD,
                               expire_ts=T0_NS + 60 * SECOND_NS))
    rejected = await running.next_event(OrderRejected)
    assert "time in force GTD is not available at binance" in rejected.reason
    await running.submit(order("t-3", Side.SELL))
    short = await running.next_event(OrderRejected, of="t-3")
    assert "go short" in short.reason
    assert fake.requests("/api/v3/order") == []


async def test_reduce_only_is_checked_locally_on_spot(running, fake):
    await running.submit(order("t-4", quantity="0.02"))
    await running.next_event(OrderFilled)
    await running.submit(order("t-5", Side.SELL, quantity="0.03", reduce_only=True))
    assert "would not only reduce" in (await running.next_event(OrderRejected)).reason
    await running.submit(order("t-6", Side.SELL, quantity="0.01", reduce_only=True))
    assert (await running.next_event(OrderFilled)).client_order_id == "t-6"


async def test_a_resting_order_filled_by_the_market_is_polled(running, fake, clock):
    price = lows(clock, 60)[0]
    await running.submit(order("t-7", kind=OrderType.LIMIT, price=price))
    await running.next_event(OrderAccepted)
    clock.advance(61 * SECOND_NS)
    fill = await running.next_event(OrderFilled)
    assert (fill.client_order_id, fill.price) == ("t-7", price)


async def test_a_cancel_is_sent_and_recorded(running, fake):
    await running.submit(order("t-8", kind=OrderType.LIMIT, price=last_price(fake) - 500))
    await running.next_event(OrderAccepted)
    await running.inbox.send(CancelOrder(client_order_id="t-8", symbol="BTC/USDT", ts_event=T0_NS))
    assert (await running.next_event(OrderCanceled)).client_order_id == "t-8"
    assert fake.venue.account.open_orders() == []


async def test_an_unresolved_order_is_resolved_by_the_watcher_and_sent_once(running, fake):
    fake.drop_reply("/api/v3/order")
    await running.submit(order("t-9"))
    unresolved = await running.next_event(OrderUnresolved)
    assert unresolved.client_order_id == "t-9"
    await running.next_event(OrderAccepted, of="t-9")
    assert (await running.next_event(OrderFilled)).client_order_id == "t-9"
    assert len([r for r in fake.requests("/api/v3/order") if r.method == "POST"]) == 1
    assert running.actor.account.orders.get("t-9").status is OrderStatus.FILLED


async def test_a_position_changed_by_hand_while_running_halts_trading(running, fake):
    await running.submit(order("t-10"))
    await running.next_event(OrderFilled)
    fake.set_balances({"BTC": "1.00999"})
    with trio.fail_after(WAIT_S):
        request = await running.risk.receive()
        while not isinstance(request, ControlRequest):
            request = await running.risk.receive()
    assert isinstance(request.command, Halt)
    assert "BTC/USDT: the journal holds 0.01, the venue 1.01" in request.command.reason
    assert "restart" in request.command.reason


@pytest.mark.parametrize("running", [settings(unknown_orders="cancel")], indirect=True)
async def test_an_unknown_order_is_canceled_while_running_when_configured(running, fake):
    fake.place_order("BTC/USDT", "BUY", "LIMIT", "0.01", price=last_price(fake) - 500,
                     client_order_id="web-2")
    await until(lambda: not fake.venue.account.open_orders())
    assert running.actor.account.orders.get("web-2") is None


async def test_an_outage_marks_the_venue_disconnected_until_it_answers(running, fake):
    await running.submit(order("t-11", kind=OrderType.LIMIT, price=last_price(fake) - 500))
    await running.next_event(OrderAccepted)
    fake.fail("/api/v3/openOrders", status=503, times=None)
    await until(lambda: not running.actor.connected)
    fake.clear_faults()
    await until(lambda: running.actor.connected)


async def test_a_cancel_lost_in_an_outage_is_sent_again_by_the_watcher(running, fake):
    await running.submit(order("t-12", kind=OrderType.LIMIT, price=last_price(fake) - 500))
    await running.next_event(OrderAccepted)
    fake.fail("/api/v3/order", status=503, times=3)  # every attempt of the first cancel fails
    await running.inbox.send(CancelOrder(client_order_id="t-12", symbol="BTC/USDT", ts_event=T0_NS))
    assert (await running.next_event(OrderCanceled)).client_order_id == "t-12"
    deletes = [r.status for r in fake.requests("/api/v3/order") if r.method == "DELETE"]
    assert deletes == [503, 503, 503, 200]
