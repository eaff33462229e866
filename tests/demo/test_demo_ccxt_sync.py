"""The real, synchronous ccxt.binance client against the fake: markets, candles, tickers, orders."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import pytest

from tests.demo.conftest import T0_NS
from tradloopd.demo.binance import FakeBinance, point_ccxt_at
from tradloopd.demo.candles import PricePath, kline_rows
from tradloopd.demo.markets import markets_by_id

NOW_MS = T0_NS // 1_000_000
MINUTE = NOW_MS - NOW_MS % 60_000  # open of the forming 1m candle
SPOT_ONLY = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}


def _client(fake: FakeBinance, **config) -> ccxt.binance:
    exchange = ccxt.binance({"apiKey": "demo-key", "secret": "demo-secret", "enableRateLimit": False,
                             "options": SPOT_ONLY} | config)
    point_ccxt_at(exchange, fake.url)
    return exchange


@pytest.fixture
def exchange(fake: FakeBinance) -> ccxt.binance:
    exchange = _client(fake)
    exchange.load_markets()
    return exchange


def test_load_markets_is_one_exchange_info_request(fake):
    markets = _client(fake).load_markets()
    assert [(r.method, r.path) for r in fake.requests()] == [("GET", "/api/v3/exchangeInfo")]
    btc = markets["BTC/USDT"]
    assert btc["spot"] and btc["active"] and btc["id"] == "BTCUSDT"
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5
    assert set(markets) == {m.symbol for m in markets_by_id().values()}


def test_point_ccxt_at_rebases_every_api_url(fake):
    exchange = _client(fake)
    urls = exchange.urls["api"]
    assert urls["public"] == fake.url + "/api/v3" and urls["private"] == fake.url + "/api/v3"
    assert urls["sapi"] == fake.url + "/sapi/v1" and urls["v1"] == fake.url + "/api/v1"
    assert all(url.startswith(fake.url) for url in urls.values())
    with pytest.raises(ValueError, match="scheme and host"):
        point_ccxt_at(exchange, "127.0.0.1:8765")


def test_fetch_time_is_the_venue_clock(exchange):
    assert exchange.fetch_time() == NOW_MS


@pytest.mark.parametrize("timeframe", ["1s", "1m", "5m", "1h"])
def test_fetch_ohlcv_returns_the_synthetic_candles(exchange, timeframe):
    rows = exchange.fetch_ohlcv("BTC/USDT", timeframe, limit=5)
    length = exchange.parse_timeframe(timeframe) * 1000
    opens = [row[0] for row in rows]
    expected = kline_rows(PricePath(markets_by_id()["BTCUSDT"]).candles(opens, length, NOW_MS),
                          markets_by_id()["BTCUSDT"], length)
    assert rows == [[row[0], *(float(x) for x in row[1:6])] for row in expected]
    assert opens[-1] <= NOW_MS < opens[-1] + length


def test_paging_with_since_and_limit_yields_each_candle_once(exchange):
    since, pages, seen = NOW_MS - 2_500 * 60_000, 0, []
    while True:
        rows = exchange.fetch_ohlcv("ETH/USDT", "1m", since=since, limit=1000)
        pages += 1
        if not rows:
            break
        seen.extend(row[0] for row in rows)
        since = rows[-1][0] + 1
    assert pages == 4
    assert seen == list(range(MINUTE - 2_499 * 60_000, MINUTE + 1, 60_000))


def test_fetch_ticker_and_balance(exchange, fake):
    ticker = exchange.fetch_ticker("BTC/USDT")
    assert ticker["last"] == float(fake.venue.paths["BTCUSDT"].price(NOW_MS))
    assert ticker["bid"] < ticker["ask"] and ticker["low"] <= ticker["last"] <= ticker["high"]
    balance = exchange.fetch_balance()
    assert balance["free"]["USDT"] == 100_000 and balance["BTC"]["total"] == 1


def test_market_order_fills_at_the_last_price_and_moves_balances(exchange, fake):
    last = fake.venue.paths["BTCUSDT"].price(NOW_MS)
    order = exchange.create_order("BTC/USDT", "market", "buy", 0.01, params={"newClientOrderId": "n1-1"})
    assert (order["status"], order["clientOrderId"], order["filled"]) == ("closed", "n1-1", 0.01)
    assert order["average"] == float(last)
    assert order["fee"] == {"currency": "BTC", "cost": 0.00001}
    free = fake.venue.account.free
    assert free["USDT"] == Decimal(100_000) - last * Decimal("0.01")
    assert free["BTC"] == Decimal("1.00999")
    posted = fake.requests("/api/v3/order")[-1]
    assert posted.method == "POST" and posted.params["newClientOrderId"] == "n1-1"
    assert posted.params["type"] == "MARKET" and "signature" in posted.params


def test_limit_order_rests_until_cancelled(exchange, fake):
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.02, 50_000, params={"clientOrderId": "n1-2"})
    assert order["status"] == "open" and order["filled"] == 0
    assert exchange.fetch_balance()["used"]["USDT"] == 1000
    found = exchange.fetch_order(None, "BTC/USDT", params={"origClientOrderId": "n1-2"})
    assert (found["id"], found["status"], found["price"]) == (order["id"], "open", 50_000)
    assert exchange.cancel_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert exchange.fetch_balance()["free"]["USDT"] == 100_000
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order(order["id"], "BTC/USDT")


def test_marketable_limit_order_fills_at_once(exchange, fake):
    last = float(fake.venue.paths["BTCUSDT"].price(NOW_MS))
    order = exchange.create_order("BTC/USDT", "limit", "sell", 0.1, 1_000, params={"clientOrderId": "n1-3"})
    assert order["status"] == "closed" and order["average"] == last


@pytest.mark.parametrize(("args", "error"), [
    (("BTC/USDT", "market", "buy", 100), ccxt.InsufficientFunds),
    (("BTC/USDT", "market", "sell", 5), ccxt.InsufficientFunds),
    (("BTC/USDT", "limit", "buy", 0.00001, 50_000), ccxt.BadRequest),
    (("BTC/USDT", "market", "buy", 0.00001), ccxt.BadRequest),
])
def test_refused_orders_raise_the_matching_ccxt_error(exchange, args, error):
    exchange.options["createMarketBuyOrderRequiresPrice"] = False
    with pytest.raises(error):
        exchange.create_order(*args, params={"newClientOrderId": "refused"})


def test_unknown_order_is_order_not_found(exchange):
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order("12345", "BTC/USDT")


def test_signatures_are_checked_when_the_venue_has_keys(clock):
    with FakeBinance(clock=clock, api_keys={"demo-key": "demo-secret"}) as fake:
        assert _client(fake).fetch_balance()["USDT"]["free"] == 100_000
        with pytest.raises(ccxt.AuthenticationError):
            _client(fake, secret="wrong").fetch_balance()
        with pytest.raises(ccxt.AuthenticationError):
            _client(fake, apiKey="unknown").fetch_balance()
