"""Lost answers, rate limits, outages and refused keys: the CCXT broker never sends an order twice."""

from __future__ import annotations

from decimal import Decimal

import ccxt.async_support as ccxt_async
import pytest
import trio_asyncio

from tests.brokers.harness import CREDENTIALS, last_price, make_broker, order
from tradloopd.demo.binance import FakeBinance, point_ccxt_at
from tradloopd.errors import VenueAuthError, VenueUnavailable
from tradloopd.messages import OrderFilled
from tradloopd.model import OrderType


def posts(fake: FakeBinance, client_order_id: str) -> list:  # type: ignore[type-arg]
    return [r for r in fake.requests("/api/v3/order")
            if r.method == "POST" and r.params.get("newClientOrderId") == client_order_id]


def venue_orders(fake: FakeBinance, client_order_id: str) -> list:  # type: ignore[type-arg]
    return [o for o in fake.venue.account.orders(fake.venue.markets["BTCUSDT"])
            if o.client_order_id == client_order_id]


async def test_a_lost_reply_is_unresolved_then_resolved_by_client_order_id(broker, fake):
    fake.drop_reply("/api/v3/order")
    events = await broker.submit(order("t-1"))
    assert [type(e).__name__ for e in events] == ["OrderUnresolved"]
    story = await broker.resolve(order("t-1"))
    assert [type(e).__name__ for e in story] == ["OrderAccepted", "OrderFilled"]
    assert len(posts(fake, "t-1")) == 1 and len(venue_orders(fake, "t-1")) == 1
    lookup = fake.requests("/api/v3/order")[-1]
    assert lookup.method == "GET" and lookup.params["origClientOrderId"] == "t-1"


async def test_a_blind_retry_of_a_filled_market_order_would_fill_twice(fake):
    """Why `resolve` exists: the venue refuses a reused client order id only while the first order
    is open, so sending a filled market order again buys twice."""
    async with trio_asyncio.open_loop():
        exchange = ccxt_async.binance({"apiKey": "k", "secret": "s", "enableRateLimit": False,
                                       "options": {"fetchMarkets": {"types": ["spot"]},
                                                   "fetchCurrencies": False, "fetchMargins": False}})
        point_ccxt_at(exchange, fake.url)
        aio = trio_asyncio.aio_as_trio
        try:
            await aio(exchange.load_markets)()
            fake.drop_reply("/api/v3/order")
            with pytest.raises(ccxt_async.NetworkError):
                await aio(exchange.create_order)("BTC/USDT", "market", "buy", 0.01,
                                                 params={"clientOrderId": "blind-1"})
            again = await aio(exchange.create_order)("BTC/USDT", "market", "buy", 0.01,
                                                     params={"clientOrderId": "blind-1"})
        finally:
            await aio(exchange.close)()
    assert again["status"] == "closed"
    assert [o.status for o in venue_orders(fake, "blind-1")] == ["FILLED", "FILLED"]
    assert fake.venue.account.free["BTC"] == Decimal("0.01998")  # bought twice


async def test_a_slow_reply_times_out_as_unresolved_and_the_order_is_found(broker, fake):
    fake.delay("/api/v3/order", seconds=3)  # the request timeout is 1 s
    price = last_price(fake) - 300
    events = await broker.submit(order("t-2", kind=OrderType.LIMIT, price=price))
    assert [type(e).__name__ for e in events] == ["OrderUnresolved"]
    assert "no answer" in events[0].reason
    story = await broker.resolve(order("t-2", kind=OrderType.LIMIT, price=price))
    assert [type(e).__name__ for e in story] == ["OrderAccepted"]
    assert len(posts(fake, "t-2")) == 1
    assert [type(e).__name__ for e in await broker.poll()] == []  # watched from now on


async def test_a_rate_limited_submit_is_checked_then_sent_once_after_the_advised_wait(broker, fake):
    fake.fail("/api/v3/order", status=429, retry_after_s=0.05)
    events = await broker.submit(order("t-3"))
    assert [type(e).__name__ for e in events] == ["OrderAccepted", "OrderFilled"]
    refused, lookup, sent = fake.requests("/api/v3/order")[:3]
    assert (refused.status, refused.method) == (429, "POST")
    assert (lookup.method, lookup.params["origClientOrderId"]) == ("GET", "t-3")  # not there: send
    assert sent.method == "POST" and (sent.mono_ns - refused.mono_ns) >= 50_000_000
    assert len(venue_orders(fake, "t-3")) == 1


async def test_a_duplicate_client_order_id_is_not_a_rejection(broker, fake):
    resting = order("t-4", kind=OrderType.LIMIT, price=last_price(fake) - 300)
    await broker.submit(resting)
    again = await broker.submit(resting)
    assert [type(e).__name__ for e in again] == ["OrderUnresolved"]
    assert [type(e).__name__ for e in await broker.resolve(resting)] == ["OrderAccepted"]


async def test_queries_are_retried_through_an_outage_then_give_up(broker, fake):
    await broker.submit(order("t-5", kind=OrderType.LIMIT, price=last_price(fake) - 300))
    fake.fail("/api/v3/openOrders", status=503, times=2)
    assert await broker.poll() == []  # two failures, then the answer (retries = 2)
    fake.fail("/api/v3/openOrders", status=503, times=3)
    with pytest.raises(VenueUnavailable):
        await broker.poll()


async def test_wrong_keys_are_fatal_at_connect(clock):
    with FakeBinance(clock=clock, api_keys={CREDENTIALS["api_key"]: "another-secret"}) as fake:
        async with trio_asyncio.open_loop():
            broker = make_broker(fake, clock)
            with pytest.raises(VenueAuthError, match="Signature"):
                await broker.connect()
            await broker.close()


async def test_a_fill_is_reported_once_per_trade_id_across_calls(broker):
    first = await broker.submit(order("t-6"))
    second = await broker.resolve(order("t-6"))
    fills = [e.fill_id for e in [*first, *second] if isinstance(e, OrderFilled)]
    assert fills == ["binance:BTC/USDT:1", "binance:BTC/USDT:1"]  # stable: the actor keeps one
