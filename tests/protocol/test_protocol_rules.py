"""What the protocol accepts and refuses when decoding, its stable names, and the engine conversions."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from tradloopd.messages import Bar, Order, OrderAccepted, OrderFilled
from tradloopd.model import Liquidity, OrderStatus, OrderType, Side, TimeInForce
from tradloopd.orders.state import TrackedOrder
from tradloopd.protocol import (
    PROTOCOL_VERSION,
    REFUSAL_CODES,
    RESULT_TYPES,
    TOPIC_DATA,
    TOPICS,
    ControlDenied,
    Hello,
    Request,
    Submit,
    Subscribe,
    bar_row,
    decode_client_message,
    fill_row,
    log_record,
    order_row,
)

# Tags are the wire names: renaming one breaks every client, so it needs a new protocol version.
REQUEST_TAGS = ["status", "positions", "orders", "fills", "equity", "halt", "resume", "flatten", "cancel",
                "submit", "subscribe", "unsubscribe"]


def decode(text: str) -> object:
    return decode_client_message(text.encode())


def refusal(text: str) -> str:
    with pytest.raises(msgspec.ValidationError) as caught:
        decode(text)
    return str(caught.value)


def test_the_wire_names_and_version_are_stable() -> None:
    assert PROTOCOL_VERSION == 1
    assert [cls.__struct_config__.tag for cls in RESULT_TYPES] == REQUEST_TAGS
    assert set(TOPICS) == set(TOPIC_DATA) == {"bars", "orders", "fills", "positions", "equity", "logs",
                                              "status"}


def test_every_request_names_its_result_type() -> None:
    assert set(RESULT_TYPES) == set(Request.__args__)
    assert all(result.__name__.endswith("Result") for result in RESULT_TYPES.values())


@pytest.mark.parametrize(("line", "problem"), [
    ('{"type":"status","id":-1}', ">= 0"),
    ('{"type":"status","id":9007199254740992}', "<= 9007199254740991"),
    ('{"type":"status","id":1.5}', "Expected `int | null`"),
    ('{"type":"status","id":"1"}', "Expected `int | null`"),
    ('{"type":"status","id":1,"verbose":true}', "unknown field `verbose`"),
    ('{"type":"orders","id":1,"limit":0}', ">= 1"),
    ('{"type":"orders","id":1,"status":"closed"}', "Invalid enum value 'closed'"),
    ('{"type":"orders","id":1,"symbol":"BTC USDT"}', "matching regex"),
    ('{"type":"halt","id":1}', "missing required field `reason`"),
    ('{"type":"halt","id":1,"reason":""}', "length >= 1"),
    ('{"type":"subscribe","id":1,"topics":["trades"]}', "Invalid enum value 'trades'"),
    ('{"type":"subscribe","id":1,"topics":[]}', "length >= 1"),
    ('{"type":"cancel","id":1}', "exactly one of client_order_id and all"),
    ('{"type":"cancel","id":1,"client_order_id":"a","all":true}', "exactly one of client_order_id and all"),
    ('{"type":"cancel","id":1,"client_order_id":"a","symbol":"X"}', "symbol only narrows"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"NaN"}', "finite"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"-1"}', "between 1e-18 and 1e15"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"1e400"}', "between 1e-18 and 1e15"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"0.0000000000000000001"}', "1e-18"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"1.0000000000000000001"}', "18 decimals"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","kind":"limit","quantity":"1"}', "needs limit price"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"1","price":"5"}', "takes no limit price"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy","quantity":"1","tif":"gtd"}', "GTD orders need"),
    ('{"type":"submit","id":1,"symbol":"X","side":"buy"}', "exactly one of quantity and notional"),
    ('{"type":"submit","id":1,"symbol":"X","side":"hold","quantity":"1"}', "Invalid enum value 'hold'"),
])
def test_malformed_requests_are_refused_with_the_field_named(line: str, problem: str) -> None:
    assert problem in refusal(line)


def test_decimals_are_exact_from_strings_and_from_json_numbers() -> None:
    submit = decode('{"type":"submit","id":7,"symbol":"BTC/USDT","side":"sell","kind":"limit",'
                    '"quantity":0.1,"price":"60000.123456789"}')
    assert isinstance(submit, Submit)
    assert (submit.quantity, submit.price) == (Decimal("0.1"), Decimal("60000.123456789"))
    assert b'"price":"60000.123456789"' in msgspec.json.encode(submit)


def test_hello_from_a_newer_client_still_decodes() -> None:
    assert decode('{"type":"hello","protocol":2,"client":"x","features":["zstd"]}') == Hello(
        protocol=2, client="x")


def test_duplicate_topics_collapse() -> None:
    subscribe = decode('{"type":"subscribe","id":1,"topics":["bars","bars","logs"]}')
    assert isinstance(subscribe, Subscribe)
    assert subscribe.topics == {"bars", "logs"}


def test_submit_becomes_the_engines_order() -> None:
    submit = Submit(id=3, symbol="AAPL", side=Side.BUY, kind=OrderType.STOP_LIMIT, quantity=Decimal(5),
                    price=Decimal("190.5"), trigger_price=Decimal(190), tif=TimeInForce.DAY,
                    reduce_only=True, stop_loss=Decimal(180), tag="manual test")
    order = submit.to_order("n1-9", ts_init=42)
    assert order == Order(client_order_id="n1-9", symbol="AAPL", side=Side.BUY, kind=OrderType.STOP_LIMIT,
                          quantity=Decimal(5), price=Decimal("190.5"), trigger_price=Decimal(190),
                          tif=TimeInForce.DAY, reduce_only=True, stop_loss=Decimal(180), tag="manual test",
                          strategy_id="manual", ts_init=42)


def test_rows_from_the_engines_types() -> None:
    tracked = TrackedOrder(Order(client_order_id="n1-1", symbol="BTC/USDT", side=Side.BUY,
                                 quantity=Decimal(2), strategy_id="ma", ts_init=10))
    tracked.mark_submitted(11)
    tracked.apply(OrderAccepted(client_order_id="n1-1", venue_order_id="v1", ts_event=12))
    fill = OrderFilled(client_order_id="n1-1", fill_id="f1", symbol="BTC/USDT", side=Side.BUY,
                       quantity=Decimal(1), price=Decimal(100), fee=Decimal("0.1"),
                       liquidity=Liquidity.TAKER, ts_event=13)
    tracked.apply(fill)
    row = order_row(tracked)
    assert (row.status, row.filled_qty, row.avg_fill_price, row.ts_created, row.ts_last) == (
        OrderStatus.PARTIALLY_FILLED, Decimal(1), Decimal(100), 10, 13)
    assert fill_row(fill, strategy_id="ma").fee == Decimal("0.1")
    bar = Bar(symbol="BTC/USDT", ts_open=0, ts_event=60, open=1, high=2, low=0.5, close=1.5, volume=9)
    assert bar_row(bar, timeframe="1m").close == 1.5


def test_log_records_keep_scalars_and_stringify_the_rest() -> None:
    record = log_record(5, {"event": "order_submitted", "level": "info", "actor": "risk",
                            "qty": Decimal("0.5"), "n": 3, "ok": True, "ids": ["a"], "timestamp": "x"})
    assert (record.event, record.level, record.actor) == ("order_submitted", "info", "risk")
    assert record.fields == {"qty": "0.5", "n": 3, "ok": True, "ids": "['a']"}


def test_refusals_use_only_the_codes_a_backend_may_give() -> None:
    assert ControlDenied("not_found", "no order x").code == "not_found"
    assert {"bad_request", "not_found", "denied", "unavailable"} == REFUSAL_CODES
    with pytest.raises(ValueError, match="refusal code"):
        ControlDenied("internal", "no")
