"""The daemon's broker actor trading through the IB broker against the fake TWS: the live venue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import trio

from tests.brokers.ib.ib_helpers import T0_NS, WAIT_S, limit, market
from tradloopd.account import Account
from tradloopd.actors.journal import JournalEntry
from tradloopd.actors.risk import ControlRequest
from tradloopd.brokers.actor import BrokerVenueActor, WatchSettings
from tradloopd.brokers.ib.broker import IbBroker
from tradloopd.brokers.reconcile import ReconcileSettings
from tradloopd.brokers.router import Family, Router
from tradloopd.channels import open_edge
from tradloopd.demo.tws.faults import Drop
from tradloopd.messages import (
    CancelOrder,
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderUnresolved,
    SubmitOrder,
)
from tradloopd.model import OrderStatus


@dataclass
class Running:
    actor: BrokerVenueActor
    inbox: trio.MemorySendChannel[Any]
    journal: trio.MemoryReceiveChannel[JournalEntry]
    risk: trio.MemoryReceiveChannel[Any]
    strategy: trio.MemoryReceiveChannel[Any]

    async def submit(self, order: Order) -> None:
        await self.inbox.send(SubmitOrder(order=order, ts_event=T0_NS))

    async def events(self, count: int) -> list[Any]:
        """The next `count` order events the strategy gets, within WAIT_S."""
        events: list[Any] = []
        with trio.fail_after(WAIT_S):
            async for message in self.strategy:
                events.append(message)
                if len(events) == count:
                    return events
        raise AssertionError("strategy channel closed")


@pytest.fixture
async def running(broker: IbBroker) -> AsyncIterator[Running]:
    watch = WatchSettings(poll_s=0.02, resolve_grace_s=0.0, backoff_initial_s=0.02, backoff_max_s=0.05,
                          reconcile=ReconcileSettings(interval_s=0.05))
    inbox_tx, inbox_rx = trio.open_memory_channel[Any](64)
    journal, journal_rx = open_edge("journal", 256, 5.0)
    risk, risk_rx = open_edge("risk", 256, 5.0)
    strategy, strategy_rx = open_edge("strategy", 256, 5.0)
    actor = BrokerVenueActor({"ib": broker}, Router({"ib": Family.IB}), Account(Decimal(100_000)),
                             broker._clock, inbox_rx, journal, risk, strategy, watch)
    async with trio.open_nursery() as nursery:
        await nursery.start(actor.run)
        yield Running(actor, inbox_tx, journal_rx, risk_rx, strategy_rx)
        nursery.cancel_scope.cancel()


def _names(events: list[Any]) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.client_order_id) for e in events]


async def test_an_ib_fill_reaches_journal_risk_and_strategy_with_its_commission(running, tws):
    await running.submit(market("a-1", qty="50"))
    accepted, filled = await running.events(2)
    assert isinstance(accepted, OrderAccepted) and isinstance(filled, OrderFilled)
    assert filled.fee == Decimal("1.00")
    assert [running.journal.receive_nowait().message for _ in range(2)] == [accepted, filled]
    assert running.actor.account.orders.get("a-1").status is OrderStatus.FILLED
    assert tws.requests.count("placeOrder") == 1


async def test_a_native_bracket_runs_at_ib_and_the_ledger_follows_it(running, tws):
    await running.submit(market("a-2", qty="10", stop_loss=Decimal("190.00"), take_profit=Decimal("210.00")))
    opened = await running.events(4)
    assert _names(opened)[:2] == [("OrderAccepted", "a-2"), ("OrderFilled", "a-2")]
    assert set(_names(opened)[2:]) == {("OrderAccepted", "a-2.sl"), ("OrderAccepted", "a-2.tp")}
    tws.set_price("AAPL", "189.00")
    assert _names(await running.events(2)) == [("OrderFilled", "a-2.sl"), ("OrderCanceled", "a-2.tp")]
    orders = running.actor.account.orders
    assert (orders.get("a-2.sl").status, orders.get("a-2.tp").status) == (OrderStatus.FILLED,
                                                                           OrderStatus.CANCELED)
    assert tws.requests.count("placeOrder") == 3


async def test_an_order_lost_in_a_dropped_connection_is_resolved_by_the_watcher_and_sent_once(running, tws):
    tws.faults.inject(Drop(on="placeOrder"))
    await running.submit(market("a-3", qty="5"))
    unresolved, accepted, filled = await running.events(3)
    assert isinstance(unresolved, OrderUnresolved)
    assert (type(accepted), type(filled)) == (OrderAccepted, OrderFilled)
    assert running.actor.account.orders.get("a-3").status is OrderStatus.FILLED
    assert tws.requests.count("placeOrder") == 1


async def test_a_cancel_is_sent_to_ib_and_recorded(running, tws):
    await running.submit(limit("a-4", "150.00", qty="10"))
    await running.events(1)
    await running.inbox.send(CancelOrder(client_order_id="a-4", symbol="AAPL", ts_event=T0_NS))
    [cancel] = await running.events(1)
    assert isinstance(cancel, OrderCanceled) and cancel.client_order_id == "a-4"
    assert tws.requests.count("cancelOrder") == 1


async def test_a_fill_during_a_tws_restart_reaches_the_strategy_and_reconciliation_agrees(running, tws):
    await running.submit(limit("a-5", "195.00", qty="10"))
    await running.events(1)
    await tws.stop()
    tws.set_price("AAPL", "194.00")
    await tws.start()
    [fill] = await running.events(1)
    assert (fill.client_order_id, fill.price) == ("a-5", Decimal(195))
    snapshots = tws.requests.count("reqPositions")
    await _until(lambda: tws.requests.count("reqPositions") >= snapshots + 3)  # reconciled thrice
    assert not [m for m in _drain(running.risk) if isinstance(m, ControlRequest)]  # no halt
    assert running.actor.connected


async def _until(condition: Callable[[], bool]) -> None:
    """Wait (at most WAIT_S) for the actor's periodic reconciliation, which runs on its own timer
    and signals nothing a test could wait on: look at the fake's request log now and then."""
    with trio.fail_after(WAIT_S):
        while not condition():  # noqa: ASYNC110 - see the docstring
            await trio.sleep(0.01)


def _drain(channel: trio.MemoryReceiveChannel[Any]) -> list[Any]:
    messages = []
    while True:
        try:
            messages.append(channel.receive_nowait())
        except trio.WouldBlock:
            return messages
