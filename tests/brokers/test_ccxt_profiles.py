"""The per-exchange capability table and how our orders are spelled for each exchange through ccxt."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.brokers.harness import order
from tradloopd.brokers.ccxt.commissions import Commission, CommissionBook
from tradloopd.brokers.ccxt.profiles import PROFILES, ClientIds, markdown_table, profile_for
from tradloopd.brokers.ccxt.shapes import instrument, order_call, trade_fee, venue_order
from tradloopd.errors import InvalidOrder
from tradloopd.model import Instrument, OrderType, Side, TimeInForce

DOCS = Path(__file__).resolve().parents[2] / "docs" / "brokers.md"
BTC = Instrument(symbol="BTC/USDT", price_increment=Decimal("0.1"), size_increment=Decimal("0.001"),
                 min_size=Decimal("0.001"), min_notional=Decimal(5))


def test_the_table_covers_the_exchanges_we_promise():
    assert {("binance", "spot"), ("binanceusdm", "swap"), ("bybit", "spot"), ("bybit", "swap"),
            ("okx", "spot"), ("okx", "swap"), ("kraken", "spot")} <= set(PROFILES)
    assert not profile_for("kraken", "spot").capabilities.reduce_only
    assert TimeInForce.FOK not in profile_for("kraken", "spot").capabilities.time_in_force
    assert profile_for("binanceusdm", "swap").capabilities.short_selling
    generic = profile_for("someexchange", "spot").capabilities
    assert generic.order_types == {OrderType.MARKET, OrderType.LIMIT}


def test_docs_show_the_table_as_it_is():
    assert markdown_table() in DOCS.read_text()


def test_a_binance_spot_stop_limit_is_spelled_with_the_stop_loss_price():
    stop = order("n-1", Side.SELL, "0.1", kind=OrderType.STOP_LIMIT, trigger=Decimal("99.97"),
                 price=Decimal("99.44"))
    call = order_call(stop, "n-1", BTC, profile_for("binance", "spot"))
    assert (call.type, call.side, call.amount, call.price) == ("limit", "sell", 0.1, 99.5)
    assert call.params == {"clientOrderId": "n-1", "stopLossPrice": 99.9, "timeInForce": "GTC"}


def test_bybit_contract_stops_carry_their_direction_and_kraken_reads_stop_loss_price():
    buy_stop = order("n-2", quantity="0.1", kind=OrderType.STOP, trigger=Decimal(101))
    assert order_call(buy_stop, "n-2", BTC, profile_for("bybit", "swap")).params == {
        "clientOrderId": "n-2", "triggerPrice": 101.0, "triggerDirection": "ascending"}
    assert "stopLossPrice" in order_call(buy_stop, "n-2", BTC, profile_for("kraken", "spot")).params


def test_flags_and_good_till_date_are_passed_the_ccxt_way():
    gtd = order("n-3", quantity="0.1", kind=OrderType.LIMIT, price=Decimal(100), tif=TimeInForce.GTD,
                expire_ts=1_700_000_000_000_000_000, reduce_only=True)
    params = order_call(gtd, "n-3", BTC, profile_for("binanceusdm", "swap")).params
    assert params == {"clientOrderId": "n-3", "timeInForce": "GTD", "goodTillDate": 1_700_000_000_000,
                      "reduceOnly": True}
    maker = order("n-4", quantity="0.1", kind=OrderType.LIMIT, price=Decimal(100), post_only=True)
    assert order_call(maker, "n-4", BTC, profile_for("okx", "spot")).params == {
        "clientOrderId": "n-4", "postOnly": True}


@pytest.mark.parametrize(("fields", "words"), [
    ({"quantity": "0.0015"}, "not a multiple of the lot size 0.001"),
    ({"kind": OrderType.LIMIT, "price": Decimal(1), "quantity": "0.001"}, "order value 0.001 is below"),
])
def test_orders_off_the_grid_are_refused_before_sending(fields, words):
    with pytest.raises(InvalidOrder, match=words):
        order_call(order("n-5", **fields), "n-5", BTC, profile_for("binance", "spot"))


@given(st.from_regex(r"[A-Za-z0-9_]{1,12}(-m)?-[0-9]{1,6}(\.(sl|tp))?", fullmatch=True))
def test_okx_client_ids_are_letters_and_digits_and_decode_back(ours):
    rule = profile_for("okx", "spot").client_ids
    venue = rule.encode(ours)
    if venue is None:  # only when the escaped id is longer than OKX allows
        assert sum(3 if c == "Z" or not c.isalnum() else 1 for c in ours) > 32
    else:
        assert venue.isalnum() and len(venue) <= 32 and rule.decode(venue) == ours


def test_client_ids_too_long_for_the_venue_cannot_be_written():
    assert ClientIds(18, r"[ -~]").encode("a-very-long-node-id-123") is None
    assert profile_for("binance", "spot").client_ids.encode("node-12") == "node-12"


def test_markets_orders_and_fees_convert_from_ccxt():
    market = {"precision": {"price": 0.01, "amount": 1e-05}, "limits": {"amount": {"min": 1e-05},
                                                                       "cost": {"min": 5.0}}}
    assert instrument("BTC/USDT", market, 4) == Instrument(
        symbol="BTC/USDT", price_increment=Decimal("0.01"), size_increment=Decimal("0.00001"),
        min_size=Decimal("0.00001"), min_notional=Decimal(5))
    assert instrument("X/Y", {"precision": {"price": 2, "amount": 3}}, 2).size_increment == Decimal("0.001")
    raw = {"id": 7, "symbol": "BTC/USDT", "status": "open", "type": "limit", "side": "sell", "amount": 0.5,
           "filled": 0.1, "price": 70_000.1, "triggerPrice": 69_000.0, "timeInForce": "IOC",
           "timestamp": 1_700_000_000_000}
    converted = venue_order(raw, "n-6")
    assert (converted.kind, converted.price, converted.trigger_price, converted.tif, converted.ts) == (
        OrderType.STOP_LIMIT, Decimal("70000.1"), Decimal("69000.0"), TimeInForce.IOC,
        1_700_000_000_000_000_000)
    assert trade_fee({"fee": {"cost": 0.25, "currency": "USDT"}}) == (Decimal("0.25"), "USDT")
    assert trade_fee({"fees": [{"cost": 0.0, "currency": "BNB"}]}) == (Decimal(0), "")


def test_the_commission_book_survives_a_restart_and_a_torn_last_line(tmp_path):
    path = tmp_path / "binance-commissions.jsonl"
    book = CommissionBook(path)
    for n in (1, 2, 2):
        book.record(Commission(fill_id=f"f{n}", symbol="BTC/USDT", asset="BTC", amount=Decimal("0.00001")))
    with path.open("ab") as handle:
        handle.write(b'{"fill_id": "f3", "sym')  # the process died while writing
    again = CommissionBook(path)
    assert again.total("BTC/USDT") == Decimal("0.00002") and again.total("ETH/USDT") == 0
    again.record(Commission(fill_id="f3", symbol="BTC/USDT", asset="BTC", amount=Decimal("0.00001")))
    assert CommissionBook(path).total("BTC/USDT") == Decimal("0.00003")
