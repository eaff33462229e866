"""Orders Binance spot lacks, emulated by the broker actor: only plain orders reach the venue.

The fake Binance logs every request; these tests read it to check that the emulator sent market,
limit and stop orders only (no trailing, if-touched, bracket or algorithm ever reaches the venue)
and that the trading side's ledger sees the parent's progress.
"""

from __future__ import annotations

from decimal import Decimal

from tests.brokers import test_broker_actor as actor_tests
from tests.brokers.harness import SECOND_NS, T0_NS, last_price, low_high, order
from tradloopd.messages import (
    AlgoFilled,
    Bar,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderPlaced,
    OrderTriggered,
    Trail,
    Twap,
)
from tradloopd.model import OrderStatus, OrderType, Side

PLAIN = {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"}
running = actor_tests.running  # the broker actor with the CCXT broker on the fake Binance
Running, until = actor_tests.Running, actor_tests.until


def posted(fake) -> list[tuple[str, str, dict[str, str]]]:  # type: ignore[no-untyped-def]
    """(client order id, order type, params) of every order sent to the venue."""
    return [(r.params["newClientOrderId"], r.params["type"], r.params)
            for r in fake.requests("/api/v3/order") if r.method == "POST"]


async def hold_btc(running: Running, qty: str = "0.05") -> None:
    await running.submit(order("inv", quantity=qty))
    await running.next_event(OrderFilled, of="inv")


def bar(low: Decimal, high: Decimal, close: Decimal) -> Bar:
    return Bar(symbol="BTC/USDT", ts_open=T0_NS, ts_event=T0_NS + SECOND_NS, open=float(close),
               high=float(high), low=float(low), close=float(close), volume=10.0)


async def test_a_twap_sends_one_market_order_per_slice_on_the_clock(running, fake, clock):
    twap = order("tw", quantity="0.03", algo=Twap(duration_ns=3 * SECOND_NS, slices=3),
                 ts_init=clock.now_ns())
    await running.submit(twap)
    for k in (1, 2, 3):
        await running.next_event(AlgoFilled, of="tw")
        if k < 3:
            clock.advance(SECOND_NS)
    assert [(cid, kind) for cid, kind, _ in posted(fake)] == [("tw.1", "MARKET"), ("tw.2", "MARKET"),
                                                             ("tw.3", "MARKET")]
    assert all(params["quantity"] == "0.01" for _, _, params in posted(fake))
    await until(lambda: running.actor.account.orders.get("tw").status is OrderStatus.FILLED)


async def test_an_emulated_bracket_sends_the_entry_then_a_plain_stop_and_limit(running, fake, clock):
    await hold_btc(running)  # spot locks the asset for each resting sell: room for both legs
    low, high = low_high(clock, 60)
    entry = order("br", quantity="0.01", stop_loss=low - 1000, take_profit=high - Decimal("0.5"))
    await running.submit(entry)
    await running.next_event(OrderAccepted, of="br.tp")
    sent = {cid: (kind, params) for cid, kind, params in posted(fake)}
    assert (sent["br"][0], sent["br.sl"][0], sent["br.tp"][0]) == ("MARKET", "STOP_LOSS", "LIMIT")
    assert {kind for kind, _ in sent.values()} <= PLAIN
    assert Decimal(sent["br.tp"][1]["price"]) == high - Decimal("0.5")
    clock.advance(61 * SECOND_NS)  # the take-profit is reached: the stop-loss is canceled
    assert (await running.next_event(OrderFilled, of="br.tp")).price == high - Decimal("0.5")
    await running.next_event(OrderCanceled, of="br.sl")  # one-cancels-other, by the emulator
    await until(lambda: fake.venue.account.open_orders() == [])


async def test_an_emulated_trailing_stop_is_a_stop_loss_moved_when_a_bar_makes_a_new_high(running, fake):
    await hold_btc(running)
    last = last_price(fake)
    trailing = order("ts", Side.SELL, "0.01", kind=OrderType.STOP, trigger=last - 200,
                     trail=Trail(amount=Decimal(200)))
    await running.submit(trailing)
    first = await running.next_event(OrderPlaced, of="ts.1")
    assert first.order.trigger_price == last - 200
    await running.inbox.send(bar(last - 50, last + 150, last + 20))
    await running.next_event(OrderCanceled, of="ts.1")
    moved = await running.next_event(OrderPlaced, of="ts.2")
    assert moved.order.trigger_price == last - 50 and moved.order.kind is OrderType.STOP
    await running.next_event(OrderAccepted, of="ts.2")
    assert [(cid, kind) for cid, kind, _ in posted(fake)][1:] == [("ts.1", "STOP_LOSS"),
                                                                 ("ts.2", "STOP_LOSS")]
    stops = {cid: Decimal(params["stopPrice"]) for cid, _, params in posted(fake) if cid.startswith("ts")}
    assert stops == {"ts.1": last - 200, "ts.2": last - 50}


async def test_an_emulated_market_if_touched_order_waits_for_a_touching_bar(running, fake):
    last = last_price(fake)
    mit = order("mit", quantity="0.01", kind=OrderType.STOP, trigger=last - 300, if_touched=True)
    await running.submit(mit)
    await running.next_event(OrderAccepted, of="mit")
    await running.inbox.send(bar(last - 100, last + 10, last))  # not down to the trigger
    await running.inbox.send(bar(last - 400, last, last - 350))
    await running.next_event(OrderTriggered, of="mit")
    await running.next_event(OrderFilled, of="mit")
    assert [(cid, kind) for cid, kind, _ in posted(fake)] == [("mit", "MARKET")]
    tracked = running.actor.account.orders.get("mit")
    assert tracked.status is OrderStatus.FILLED and tracked.order == mit
