"""Which venue trades a symbol, and whether an order is native there or needs emulation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.brokers.harness import order
from tradloopd.brokers.base import Capabilities
from tradloopd.brokers.ccxt.profiles import profile_for
from tradloopd.brokers.emulation import Emulated, Native, Unsupported, decide
from tradloopd.brokers.router import Family, Router, family_of
from tradloopd.errors import ConfigError
from tradloopd.model import OrderType, Side, TimeInForce

SPOT = profile_for("binance", "spot").capabilities
PERP = profile_for("binanceusdm", "swap").capabilities


@pytest.mark.parametrize(("symbol", "family"), [
    ("BTC/USDT", Family.CCXT), ("ETH/BTC", Family.CCXT), ("BTC/USDT:USDT", Family.CCXT),
    ("BTC/EUR", Family.CCXT), ("EUR/USD", Family.IB), ("USD/JPY", Family.IB), ("AAPL", Family.IB),
    ("ESZ6", Family.IB), ("ES 202612", Family.IB), ("SPX", Family.IB), ("AAPL 261218C00200000", Family.IB),
])
def test_symbols_go_to_their_family(symbol, family):
    assert family_of(symbol) is family


def test_one_venue_per_family_takes_its_symbols_and_routes_override():
    router = Router({"binance": Family.CCXT, "ib": Family.IB}, ["ib:BTC/USD", "binance:EUR/USDT"])
    assert router.table(["BTC/USDT", "AAPL", "EUR/USD", "BTC/USD"]) == {
        "BTC/USDT": "binance", "AAPL": "ib", "EUR/USD": "ib", "BTC/USD": "ib"}
    assert router.symbols_of("binance", ["BTC/USDT", "AAPL"]) == ["BTC/USDT"]


def test_routing_problems_say_how_to_fix_them():
    two = Router({"binance": Family.CCXT, "kraken": Family.CCXT}, source="live.toml")
    with pytest.raises(ConfigError, match=r'BTC/USDT could go to binance or kraken: route it in '
                                          r'live.toml: venue.routes \("binance:BTC/USDT"\)'):
        two.venue_for("BTC/USDT")
    with pytest.raises(ConfigError, match="AAPL is a ib symbol but no ib venue is configured"):
        two.venue_for("AAPL")
    with pytest.raises(ConfigError, match="names venue 'okx', which is not configured"):
        Router({"binance": Family.CCXT}, ["okx:BTC/USDT"])
    with pytest.raises(ConfigError, match='is not "venue:SYMBOL"'):
        Router({"binance": Family.CCXT}, ["BTC/USDT"])


def test_native_orders_go_out_as_they_are():
    limit = order("t-1", kind=OrderType.LIMIT, price=Decimal(100), tif=TimeInForce.IOC)
    assert decide(limit, SPOT, "binance") == Native(limit)


@pytest.mark.parametrize(("fields", "caps", "outcome", "words"), [
    ({"stop_loss": Decimal(90)}, SPOT, Emulated, "stop-loss/take-profit exits are not native"),
    ({"kind": OrderType.STOP, "trigger": Decimal(90)},
     Capabilities(order_types=frozenset({OrderType.MARKET}), time_in_force=frozenset({TimeInForce.GTC})),
     Emulated, "stop orders are not native"),
    ({"kind": OrderType.LIMIT, "price": Decimal(1), "tif": TimeInForce.DAY}, SPOT, Unsupported,
     "time in force DAY is not available at venue (use one of FOK, GTC, IOC)"),
    ({"kind": OrderType.LIMIT, "price": Decimal(1), "post_only": True, "tif": TimeInForce.IOC}, SPOT,
     Unsupported, "use GTC"),
    ({"quantity": None, "notional": Decimal(100)}, PERP, Unsupported, "cannot size a market buy"),
    ({"side": Side.SELL}, SPOT, Unsupported, "would go short"),
])
def test_orders_a_venue_lacks_are_emulated_or_refused(fields, caps, outcome, words):
    side = fields.pop("side", Side.BUY)
    decision = decide(order("t-2", side, **fields), caps, "venue")
    assert isinstance(decision, outcome) and words in decision.reason


def test_reduce_only_without_the_flag_is_checked_against_the_position():
    sell = order("t-3", Side.SELL, quantity="0.5", reduce_only=True)
    native = decide(sell, SPOT, "binance", position=Decimal(1))
    assert isinstance(native, Native) and not native.order.reduce_only and native.note
    refused = decide(sell, SPOT, "binance", position=Decimal("0.2"))
    assert isinstance(refused, Unsupported) and "would not only reduce the position of 0.2" in refused.reason
    assert decide(sell, PERP, "binanceusdm", position=Decimal(0)) == Native(sell)  # the venue checks
