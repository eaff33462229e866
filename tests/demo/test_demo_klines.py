"""GET /api/v3/klines and friends over HTTP, with Binance's parameter semantics and errors."""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.demo.conftest import T0_NS
from tradloopd.demo.binance import FakeBinance

NOW_MS = T0_NS // 1_000_000
MINUTE = NOW_MS - NOW_MS % 60_000  # open of the forming 1m candle


@pytest.fixture
def http(fake: FakeBinance):
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        yield client


def _klines(http: httpx.Client, **params) -> list[list]:
    response = http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"} | params)
    assert response.status_code == 200, response.text
    return response.json()


def test_default_is_the_latest_500_ascending_with_the_forming_candle_last(http):
    rows = _klines(http)
    opens = [row[0] for row in rows]
    assert len(rows) == 500
    assert opens == sorted(opens) and opens[-1] <= NOW_MS < opens[-1] + 60_000
    assert all(b - a == 60_000 for a, b in itertools.pairwise(opens))


def test_limit_is_capped_at_1000(http):
    assert len(_klines(http, limit=5000)) == 1000
    assert len(_klines(http, limit=7)) == 7


def test_start_and_end_time_bound_the_open_times(http):
    rows = _klines(http, startTime=MINUTE - 3_600_000 + 1, limit=10)  # inside a candle: starts at the next
    assert rows[0][0] == MINUTE - 3_600_000 + 60_000 and len(rows) == 10
    rows = _klines(http, startTime=MINUTE - 600_000, endTime=MINUTE - 300_000 + 59_999, limit=1000)
    assert [row[0] for row in rows] == list(range(MINUTE - 600_000, MINUTE - 300_000 + 1, 60_000))
    assert [row[0] for row in _klines(http, endTime=MINUTE - 300_000, limit=2)] == [
        MINUTE - 360_000, MINUTE - 300_000]


def test_candles_follow_the_venue_clock(http, clock):
    before = _klines(http, limit=2)
    clock.advance(60_000_000_000)
    after = _klines(http, limit=2)
    assert after[0][0] == before[1][0]
    assert after[0][4] != before[1][4], "the forming candle was cut at the old now"
    assert http.get("/api/v3/time").json() == {"serverTime": NOW_MS + 60_000}


@pytest.mark.parametrize(("params", "code"), [
    ({"symbol": "NOPEUSDT", "interval": "1m"}, -1121),
    ({"symbol": "BTCUSDT", "interval": "7m"}, -1120),
    ({"interval": "1m"}, -1102),
    ({"symbol": "BTCUSDT", "interval": "1m", "startTime": 2, "endTime": 1}, -1023),
    ({"symbol": "BTCUSDT", "interval": "1m", "limit": "ten"}, -1100),
])
def test_bad_requests_get_binance_error_codes(http, params, code):
    response = http.get("/api/v3/klines", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_unknown_paths_are_404(http):
    assert http.get("/api/v3/nothing").status_code == 404
    assert http.post("/api/v3/time").status_code == 404


def test_tickers_quote_the_last_price(http, fake):
    price = str(fake.venue.paths["ETHUSDT"].price(NOW_MS))
    ticker = http.get("/api/v3/ticker/24hr", params={"symbol": "ETHUSDT"}).json()
    assert float(ticker["lastPrice"]) == float(price)
    assert float(ticker["lowPrice"]) <= float(price) <= float(ticker["highPrice"])
    quote = http.get("/api/v3/ticker/price", params={"symbol": "ETHUSDT"}).json()
    assert float(quote["price"]) == float(price)
    book = http.get("/api/v3/ticker/bookTicker", params={"symbol": "ETHUSDT"}).json()
    assert float(book["bidPrice"]) < float(book["askPrice"])
    assert len(http.get("/api/v3/ticker/price").json()) == len(fake.venue.markets)


def test_signed_endpoints_need_a_key_and_a_signature(http):
    response = http.get("/api/v3/account", params={"timestamp": NOW_MS, "signature": "x"})
    assert response.status_code == 401 and response.json()["code"] == -2014
    response = http.get("/api/v3/account", params={"timestamp": NOW_MS}, headers={"X-MBX-APIKEY": "k"})
    assert response.status_code == 400 and response.json()["code"] == -1102


def test_orders_off_the_lot_or_tick_grid_are_refused(http):
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "timestamp": NOW_MS, "signature": "x"}
    for extra, message in [({"quantity": "0.000015", "price": "50000"}, "LOT_SIZE"),
                           ({"quantity": "0.01", "price": "50000.001"}, "PRICE_FILTER")]:
        response = http.post("/api/v3/order", data=order | extra, headers={"X-MBX-APIKEY": "k"})
        assert response.status_code == 400 and response.json() == {"code": -1013,
                                                                    "msg": f"Filter failure: {message}"}
