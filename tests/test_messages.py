"""Every message round-trips through msgspec JSON and msgpack, and decodes by its tag alone.

The messages are found by looking at `tradloopd.messages`, and values for their fields are drawn
from the field types, so a message added later is covered without touching this file.
"""

from __future__ import annotations

import enum
import functools
from decimal import Decimal
from typing import Union

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd import messages as m
from tradloopd.model import Liquidity, Side

MESSAGES = sorted((v for v in vars(m).values()
                   if isinstance(v, type) and issubclass(v, msgspec.Struct) and v.__module__ == m.__name__),
                  key=lambda cls: cls.__name__)
Any = Union[tuple(MESSAGES)]  # noqa: UP007 - a union built at run time

money = st.decimals(allow_nan=False, allow_infinity=False, places=8, min_value=Decimal("-1e12"),
                    max_value=Decimal("1e12"))


def values_of(info: msgspec.inspect.Type) -> st.SearchStrategy[object]:
    """Values of one field type, as msgspec describes it."""
    match info:
        case msgspec.inspect.StrType():
            return st.text(max_size=12)
        case msgspec.inspect.BoolType():
            return st.booleans()
        case msgspec.inspect.IntType():
            return st.integers(-(2**62), 2**62)
        case msgspec.inspect.FloatType():
            return st.floats(allow_nan=False, allow_infinity=False)
        case msgspec.inspect.DecimalType():
            return money
        case msgspec.inspect.NoneType():
            return st.none()
        case msgspec.inspect.EnumType():
            return st.sampled_from(list(info.cls))
        case msgspec.inspect.UnionType():
            return st.one_of(*(values_of(t) for t in info.types))
        case msgspec.inspect.StructType():
            return message(info.cls)
    raise AssertionError(f"no value strategy for {info}: extend values_of()")


@functools.cache
def message(cls: type) -> st.SearchStrategy[object]:
    info = msgspec.inspect.type_info(cls)
    return st.builds(cls, **{f.name: values_of(f.type) for f in info.fields})


every_message = st.one_of(*(message(cls) for cls in MESSAGES))


def test_the_core_messages_are_all_there():
    names = {cls.__name__ for cls in MESSAGES}
    assert names >= {"Bar", "Order", "SubmitOrder", "CancelOrder", "Halt", "Resume", "OrderDenied",
                     "OrderAccepted", "OrderRejected", "OrderTriggered", "OrderFilled",
                     "OrderCanceled", "OrderExpired", "OrderUnresolved"}


@settings(max_examples=200, deadline=None)
@given(message=every_message)
def test_every_message_round_trips_through_json_and_msgpack(message):
    for encode, decode in ((msgspec.json.encode, msgspec.json.decode),
                           (msgspec.msgpack.encode, msgspec.msgpack.decode)):
        data = encode(message)
        assert decode(data, type=type(message)) == message
        back = decode(data, type=Any)  # found by its tag among every message
        assert type(back) is type(message) and back == message


@pytest.mark.parametrize("cls", MESSAGES, ids=lambda cls: cls.__name__)
def test_every_message_is_frozen_keyword_only_and_tagged_with_its_class_name(cls):
    config = cls.__struct_config__
    assert (config.tag_field, config.tag) == ("type", cls.__name__)
    assert config.frozen
    with pytest.raises(TypeError, match="positional"):
        cls(*range(len(cls.__struct_fields__)))


def test_money_is_exact_decimal_text_on_the_wire():
    fill = m.OrderFilled(client_order_id="a", fill_id="a-1", symbol="X", side=Side.BUY,
                         quantity=Decimal("0.1"), price=Decimal("92782.39"), fee=Decimal("0.00927824"),
                         liquidity=Liquidity.MAKER, ts_event=1)
    wire = msgspec.json.decode(msgspec.json.encode(fill))
    assert wire == {"type": "OrderFilled", "client_order_id": "a", "fill_id": "a-1", "symbol": "X",
                    "side": "buy", "quantity": "0.1", "price": "92782.39", "fee": "0.00927824",
                    "liquidity": "maker", "ts_event": 1}


def test_a_frozen_message_cannot_be_changed():
    halt = m.Halt(reason="x", ts_event=1)
    with pytest.raises(AttributeError):
        halt.reason = "y"  # type: ignore[misc]


def test_unknown_tag_is_refused():
    with pytest.raises(msgspec.ValidationError, match="Invalid value 'Nope'"):
        msgspec.json.decode(b'{"type": "Nope", "ts_event": 1}', type=Any)


def test_enums_travel_as_their_lowercase_values():
    assert {e.value for e in Side} == {"buy", "sell"}
    assert all(isinstance(e, enum.StrEnum) for e in (Side.BUY, Liquidity.TAKER))
