"""The real ccxt.async_support.binance client against the fake, from trio through trio-asyncio."""

from __future__ import annotations

import ccxt.async_support as ccxt_async
import trio
import trio_asyncio

from tests.demo.conftest import T0_NS
from tradloopd.demo.binance import FakeBinance, point_ccxt_at

SPOT_ONLY = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}


async def test_async_client_loads_markets_fetches_candles_and_trades(fake: FakeBinance):
    aio = trio_asyncio.aio_as_trio
    with trio.fail_after(20):
        async with trio_asyncio.open_loop():
            exchange = ccxt_async.binance({"apiKey": "k", "secret": "s", "options": SPOT_ONLY})
            point_ccxt_at(exchange, fake.url)
            try:
                markets = await aio(exchange.load_markets)()
                rows = await aio(exchange.fetch_ohlcv)("ETH/USDT", "1s", limit=3)
                order = await aio(exchange.create_order)("ETH/USDT", "market", "sell", 0.5,
                                                          params={"newClientOrderId": "a-1"})
                found = await aio(exchange.fetch_order)(None, "ETH/USDT", params={"origClientOrderId": "a-1"})
            finally:
                await aio(exchange.close)()
    assert "ETH/USDT" in markets
    assert [row[0] for row in rows] == [T0_NS // 10**6 - 2_500, T0_NS // 10**6 - 1_500, T0_NS // 10**6 - 500]
    assert order["status"] == found["status"] == "closed" and found["filled"] == 0.5
    assert [r.path for r in fake.requests()] == ["/api/v3/exchangeInfo", "/api/v3/klines", "/api/v3/order",
                                                 "/api/v3/order"]
