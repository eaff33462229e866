"""The fake's order lifecycle through the real ccxt client: resting orders filled by later candles,
partial fills, stops, order and trade queries, changes by hand, injected rejections and lost replies."""

from __future__ import annotations

from decimal import Decimal

import ccxt
import httpx
import msgspec
import pytest

from tests.demo.conftest import T0_NS
from tradloopd.demo.binance import FakeBinance, point_ccxt_at
from tradloopd.demo.candles import PricePath
from tradloopd.demo.clock import VenueClock
from tradloopd.demo.markets import markets_by_id

SECOND_NS = 1_000_000_000
BTC = markets_by_id()["BTCUSDT"]
SPOT_ONLY = {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False}


@pytest.fixture
def exchange(fake: FakeBinance) -> ccxt.binance:
    client = ccxt.binance({"apiKey": "k", "secret": "s", "enableRateLimit": False, "options": SPOT_ONLY})
    point_ccxt_at(client, fake.url)
    client.load_markets()
    return client


def next_lows(clock: VenueClock, seconds: int) -> list[Decimal]:
    """Lows of the next one-second candles, in time order."""
    start = (clock.now_ns() // SECOND_NS + 1) * 1000
    opens = list(range(start, start + seconds * 1000, 1000))
    block = PricePath(BTC).candles(opens, 1000, opens[-1] + 1000)
    return [int(low) * BTC.tick for low in block.low]


def test_a_resting_limit_order_fills_at_its_price_when_a_later_candle_reaches_it(exchange, fake, clock):
    lows = next_lows(clock, 30)
    price = min(lows)
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.01, float(price), {"clientOrderId": "r-1"})
    assert order["status"] == "open"
    clock.advance(30 * SECOND_NS)
    done = exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "r-1"})
    assert (done["status"], done["filled"], done["average"]) == ("closed", 0.01, float(price))
    trade = exchange.fetch_my_trades("BTC/USDT")[0]
    assert trade["takerOrMaker"] == "maker" and trade["order"] == order["id"]
    assert trade["timestamp"] == (T0_NS // SECOND_NS + 1 + lows.index(price)) * 1000 + 1000  # candle close
    balance = exchange.fetch_balance()
    assert balance["used"]["USDT"] == 0 and balance["BTC"]["total"] == pytest.approx(1.00999)


def test_liquidity_caps_each_candle_so_big_orders_fill_in_parts(exchange, fake, clock):
    price = sorted(next_lows(clock, 60))[9]  # ten candles reach it
    fake.set_liquidity("BTC/USDT", "0.003")
    exchange.create_order("BTC/USDT", "limit", "buy", 0.01, float(price), {"clientOrderId": "r-2"})
    clock.advance(60 * SECOND_NS)
    trades = exchange.fetch_my_trades("BTC/USDT")
    assert [t["amount"] for t in trades] == [0.003, 0.003, 0.003, 0.001]
    assert exchange.fetch_open_orders("BTC/USDT") == []


def test_a_stop_loss_sell_triggers_when_the_price_falls_to_it(exchange, fake, clock):
    stop = min(next_lows(clock, 60)) + Decimal("0.01")
    exchange.create_order("BTC/USDT", "market", "sell", 0.5, None, {"stopLossPrice": float(stop),
                                                                   "clientOrderId": "r-3"})
    assert [o["clientOrderId"] for o in exchange.fetch_open_orders("BTC/USDT")] == ["r-3"]
    assert exchange.fetch_balance()["used"]["BTC"] == 0.5
    clock.advance(60 * SECOND_NS)
    done = exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "r-3"})
    assert (done["status"], done["average"], done["triggerPrice"]) == ("closed", float(stop), float(stop))
    with pytest.raises(ccxt.InvalidOrder, match="trigger immediately"):
        exchange.create_order("BTC/USDT", "market", "sell", 0.1, None,
                              {"stopLossPrice": float(stop) * 2, "clientOrderId": "r-4"})


def test_all_orders_and_my_trades_page_and_filter_as_on_binance(exchange, fake):
    for n in range(3):
        exchange.create_order("ETH/USDT", "market", "buy", 0.1, None, {"clientOrderId": f"r-{n}"})
    orders = exchange.fetch_orders("ETH/USDT")
    assert [o["clientOrderId"] for o in orders] == ["r-0", "r-1", "r-2"]
    assert len(exchange.fetch_my_trades("ETH/USDT", params={"fromId": 2})) == 2
    assert len(exchange.fetch_my_trades("ETH/USDT", limit=1)) == 1
    assert len(exchange.fetch_order_trades(orders[1]["id"], "ETH/USDT")) == 1


def test_orders_filled_canceled_and_placed_by_hand(exchange, fake):
    exchange.create_order("BTC/USDT", "limit", "buy", 0.02, 50_000, {"clientOrderId": "r-5"})
    exchange.create_order("BTC/USDT", "limit", "buy", 0.02, 50_000, {"clientOrderId": "r-6"})
    fake.fill_order("r-5", "0.005")
    fake.cancel_order("r-6")
    fake.place_order("ETH/USDT", "SELL", "LIMIT", "1", price="9000", client_order_id="web-1")
    partly = exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "r-5"})
    assert (partly["status"], partly["filled"], partly["average"]) == ("open", 0.005, 50_000)
    assert exchange.fetch_order(None, "BTC/USDT", {"clientOrderId": "r-6"})["status"] == "canceled"
    exchange.options["fetchOpenOrders"] = {"warnWithoutSymbol": False}
    assert [o["clientOrderId"] for o in exchange.fetch_open_orders()] == ["r-5", "web-1"]
    fake.set_balances({"USDT": "5"})
    assert exchange.fetch_balance()["free"]["USDT"] == 5


def test_the_admin_endpoints_act_on_the_account_by_hand(exchange, fake):
    exchange.create_order("BTC/USDT", "limit", "buy", 0.02, 50_000, {"clientOrderId": "r-7"})
    with httpx.Client(base_url=fake.url) as admin:
        filled = admin.post("/_fake/orders/fill", json={"client_order_id": "r-7", "quantity": "0.01"})
        assert filled.json() | {} == {"order_id": 1, "client_order_id": "r-7", "status": "PARTIALLY_FILLED",
                                      "executed_qty": "0.01"}
        canceled = admin.post("/_fake/orders/cancel", json={"client_order_id": "r-7"})
        assert canceled.json()["status"] == "CANCELED"
        placed = admin.post("/_fake/orders", json={"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
                                                   "quantity": "0.01", "price": "40000", "timeInForce": "GTC",
                                                   "newClientOrderId": "web-2"})
        assert placed.json()["status"] == "NEW"
        missing = admin.post("/_fake/orders/cancel", json={"client_order_id": "nope"})
        assert (missing.status_code, missing.json()["code"]) == (400, -2013)
        capped = admin.post("/_fake/liquidity", json={"symbol": "BTC/USDT", "quantity": "0.001"})
        assert capped.status_code == 200
    assert fake.venue.matcher.liquidity == {"BTCUSDT": Decimal("0.001")}


def test_an_injected_rejection_is_the_binance_error_and_nothing_is_placed(exchange, fake):
    fake.reject()
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "r-8"})
    fake.reject(code=-1013, msg="Filter failure: LOT_SIZE")
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        exchange.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "r-8"})
    assert fake.venue.account.orders(BTC) == []
    assert [r.fault for r in fake.requests("/api/v3/order")] == ["reject", "reject"]


def test_a_dropped_reply_still_places_the_order(exchange, fake):
    fake.drop_reply()
    with pytest.raises(ccxt.NetworkError):
        exchange.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "r-9"})
    assert [o.status for o in fake.venue.account.orders(BTC)] == ["FILLED"]
    logged = fake.requests("/api/v3/order")[0]
    assert (logged.status, logged.fault) == (200, "drop_reply")


def test_fees_can_be_paid_in_bnb(clock):
    with FakeBinance(clock=clock, fee_asset="BNB") as fake:
        client = ccxt.binance({"apiKey": "k", "secret": "s", "enableRateLimit": False, "options": SPOT_ONLY})
        point_ccxt_at(client, fake.url)
        client.create_order("BTC/USDT", "market", "buy", 0.01, None, {"clientOrderId": "r-10"})
        trade = client.fetch_my_trades("BTC/USDT")[0]
        assert trade["fee"]["currency"] == "BNB"
        account = fake.venue.account
        assert account.free["BTC"] == Decimal("1.01")  # the whole 0.01 arrived
        bnb = fake.venue.paths["BNBUSDT"].price(clock.now_ns() // 1_000_000)
        spent = trade["fee"]["cost"]
        assert Decimal(repr(spent)) == (Decimal("0.01") * Decimal(repr(trade["price"])) * Decimal("0.001")
                                        / bnb).quantize(Decimal("0.00000001"))
        assert msgspec.json.decode(httpx.get(f"{fake.url}/_fake/faults").content) == {"faults": []}
