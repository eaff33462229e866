"""The CCXT broker's order flows against the fake Binance, with the real ccxt client."""

from __future__ import annotations

from decimal import Decimal

import pytest
import trio_asyncio

from tests.brokers.harness import SECOND_NS, last_price, low_high, lows, make_broker, order
from tradloopd.demo.binance import FakeBinance
from tradloopd.messages import OrderFilled
from tradloopd.model import Liquidity, OrderType, Side, TimeInForce


def kinds(events) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(e).__name__ for e in events]


async def test_market_order_is_accepted_and_filled_with_the_fee_in_quote(broker, fake):
    price = last_price(fake)
    events = await broker.submit(order("t-1"))
    assert kinds(events) == ["OrderAccepted", "OrderFilled"]
    fill = events[1]
    assert (fill.quantity, fill.price, fill.side, fill.liquidity) == (Decimal("0.01"), price, Side.BUY,
                                                                      Liquidity.TAKER)
    assert fill.fee == Decimal("0.00001") * price  # 0.1 % taken in BTC, recorded at the fill price
    assert fill.fill_id == "binance:BTC/USDT:1"
    posted = fake.requests("/api/v3/order")[0]
    assert posted.params["newClientOrderId"] == "t-1" and posted.params["type"] == "MARKET"
    assert broker.commissions.total("BTC/USDT") == Decimal("0.00001")


async def test_resting_limit_order_fills_in_parts_as_later_candles_trade_through_it(broker, fake, clock):
    price = lows(clock, 60)[5]  # at least six of the next 60 candles trade at or below it
    assert price < last_price(fake)
    fake.set_liquidity("BTC/USDT", "0.004")
    events = await broker.submit(order("t-2", kind=OrderType.LIMIT, price=price))
    assert kinds(events) == ["OrderAccepted"]
    assert await broker.poll() == []
    seen: dict[str, OrderFilled] = {}  # the broker tells the whole story each time: keep what is new
    for _ in range(60):
        clock.advance(SECOND_NS)
        seen |= {e.fill_id: e for e in await broker.poll() if isinstance(e, OrderFilled)}
        if sum(f.quantity for f in seen.values()) == Decimal("0.01"):
            break
    fills = list(seen.values())
    assert [f.quantity for f in fills] == [Decimal("0.004"), Decimal("0.004"), Decimal("0.002")]
    assert {f.price for f in fills} == {price} and {f.liquidity for f in fills} == {Liquidity.MAKER}
    assert fills[0].ts_event < fills[1].ts_event < fills[2].ts_event
    assert await broker.poll() == []  # done: no longer watched


async def test_cancel_reports_the_fills_before_the_cancel(broker, fake, clock):
    fake.set_liquidity("BTC/USDT", "0.004")
    await broker.submit(order("t-3", kind=OrderType.LIMIT, price=lows(clock, 30)[0]))
    clock.advance(30 * SECOND_NS)
    events = await broker.cancel("t-3", "BTC/USDT")
    assert kinds(events)[0] == "OrderAccepted" and kinds(events)[-1] == "OrderCanceled"
    filled = sum(e.quantity for e in events if isinstance(e, OrderFilled))
    assert Decimal(0) < filled < Decimal("0.01")
    assert fake.venue.account.open_orders() == []


async def test_cancel_of_a_filled_order_tells_that_it_filled(broker, fake):
    await broker.submit(order("t-4"))
    events = await broker.cancel("t-4", "BTC/USDT")
    assert kinds(events) == ["OrderAccepted", "OrderFilled"]


@pytest.mark.parametrize(("setup", "reason"), [
    ("poor", "insufficient balance"),
    ("injected", "insufficient balance"),
])
async def test_insufficient_funds_is_a_rejection_with_the_venue_reason(broker, fake, setup, reason):
    if setup == "poor":
        fake.set_balances({"USDT": "1"})
    else:
        fake.reject()
    events = await broker.submit(order("t-5"))
    assert kinds(events) == ["OrderRejected"]
    assert reason in events[0].reason.lower() and "binance" in events[0].reason
    assert fake.venue.account.open_orders() == []


async def test_bad_precision_is_refused_before_sending(broker, fake):
    events = await broker.submit(order("t-6", quantity="0.000015"))
    assert kinds(events) == ["OrderRejected"]
    assert "not a multiple of the lot size 0.00001" in events[0].reason
    small = await broker.submit(order("t-7", kind=OrderType.LIMIT, quantity="0.00001", price=Decimal(100)))
    assert "below the minimum 5" in small[0].reason
    assert fake.requests("/api/v3/order") == []


async def test_limit_prices_are_rounded_away_from_the_market(broker, fake):
    price = last_price(fake)
    fake.set_balances({"BTC": "1"})
    await broker.submit(order("t-8", kind=OrderType.LIMIT, price=price - Decimal("100.019")))
    await broker.submit(order("t-9", Side.SELL, kind=OrderType.LIMIT, price=price + Decimal("100.011")))
    posted = {r.params["newClientOrderId"]: r.params for r in fake.requests("/api/v3/order")}
    assert Decimal(posted["t-8"]["price"]) == price - Decimal("100.02")  # a buy: down
    assert Decimal(posted["t-9"]["price"]) == price + Decimal("100.02")  # a sell: up


async def test_post_only_that_would_take_is_rejected_and_ioc_expires(broker, fake):
    price = last_price(fake)
    crossing = await broker.submit(order("t-10", kind=OrderType.LIMIT, price=price + 1, post_only=True))
    assert kinds(crossing) == ["OrderRejected"] and "immediately match" in crossing[0].reason
    assert fake.requests("/api/v3/order")[0].params["type"] == "LIMIT_MAKER"
    ioc = await broker.submit(order("t-11", kind=OrderType.LIMIT, price=price - 100, tif=TimeInForce.IOC))
    assert kinds(ioc) == ["OrderAccepted", "OrderExpired"]


async def test_stop_and_stop_limit_orders_trigger_at_the_venue(broker, fake, clock):
    low, high = low_high(clock, 120)
    fake.set_balances({"BTC": "0.02"})
    stop = await broker.submit(order("t-12", Side.SELL, kind=OrderType.STOP, trigger=low + Decimal("0.5")))
    stop_limit = await broker.submit(order("t-13", Side.BUY, kind=OrderType.STOP_LIMIT,
                                           trigger=high - Decimal("0.5"), price=high + 10))
    assert kinds(stop) == kinds(stop_limit) == ["OrderAccepted"]
    posted = {r.params["newClientOrderId"]: r.params for r in fake.requests("/api/v3/order")}
    assert posted["t-12"]["type"] == "STOP_LOSS" and posted["t-13"]["type"] == "STOP_LOSS_LIMIT"
    clock.advance(121 * SECOND_NS)
    fills = {e.client_order_id: e for e in await broker.poll() if isinstance(e, OrderFilled)}
    assert fills["t-12"].price == low + Decimal("0.5")  # the stop, as taker
    assert fills["t-13"].price == high - Decimal("0.5")  # marketable at its trigger


async def test_notional_market_buy_is_sized_by_the_venue(broker, fake):
    notional = order("t-14", quantity=None, notional=Decimal(100))
    events = await broker.submit(notional)
    assert kinds(events) == ["OrderAccepted", "OrderFilled"]
    assert events[1].leaves_qty is None and events[1].quantity * events[1].price <= 100
    assert fake.requests("/api/v3/order")[0].params["quoteOrderQty"] == "100"


async def test_snapshot_reads_open_orders_positions_and_prices(broker, fake, clock):
    await broker.submit(order("t-15"))
    await broker.submit(order("t-16", kind=OrderType.LIMIT, price=last_price(fake) - 500))
    fake.place_order("ETH/USDT", "BUY", "LIMIT", "0.01", price="1000", client_order_id="web-1")
    snapshot = await broker.snapshot(0)
    assert {o.client_order_id for o in snapshot.open_orders} == {"t-16", "web-1"}
    web = next(o for o in snapshot.open_orders if o.client_order_id == "web-1")
    assert (web.side, web.kind, web.price, web.quantity) == (Side.BUY, OrderType.LIMIT, Decimal(1000),
                                                             Decimal("0.01"))
    # the venue holds 0.00999 BTC; with the commission taken in BTC, the position is 0.01
    assert snapshot.balances["BTC"] == Decimal("0.00999")
    assert snapshot.positions == {"BTC/USDT": Decimal("0.01"), "ETH/USDT": Decimal(0)}
    assert snapshot.prices["BTC/USDT"] == last_price(fake)


async def test_resolve_tells_the_whole_story_or_that_the_venue_has_no_such_order(broker):
    await broker.submit(order("t-17"))
    story = await broker.resolve(order("t-17"))
    assert kinds(story) == ["OrderAccepted", "OrderFilled"]
    missing = await broker.resolve(order("t-18"))
    assert kinds(missing) == ["OrderRejected"] and "no order with this client order id" in missing[0].reason


async def test_an_order_canceled_on_the_website_is_polled_as_canceled(broker, fake):
    await broker.submit(order("t-19", kind=OrderType.LIMIT, price=last_price(fake) - 500))
    fake.cancel_order("t-19")
    assert kinds(await broker.poll()) == ["OrderAccepted", "OrderCanceled"]



async def test_a_commission_in_a_fee_token_is_recorded_at_the_token_price(clock):
    with FakeBinance(clock=clock, fee_asset="BNB", balances={"USDT": 10_000, "BNB": 1}) as fake:
        async with trio_asyncio.open_loop():
            broker = make_broker(fake, clock)
            await broker.connect()
            try:
                events = await broker.submit(order("t-21"))
            finally:
                await broker.close()
        paid = fake.venue.account.trades(fake.venue.markets["BTCUSDT"])[0][1]
        assert paid.commission_asset == "BNB"
        bnb = last_price(fake, "BNBUSDT")
        assert events[1].fee == paid.commission * bnb
        assert broker.commissions.total("BTC/USDT") == 0  # nothing taken from the BTC bought
