"""Every protocol message survives JSON and msgpack unchanged, and decodes through its union."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protocol_strategies import messages, struct_classes

from tradloopd import protocol, protocol_terms
from tradloopd.protocol import ClientMessage, ServerMessage, decode_client_message, decode_server_message

EVERY_STRUCT = struct_classes(ClientMessage | ServerMessage)


def test_every_struct_of_the_protocol_is_a_message_or_part_of_one() -> None:
    defined = {obj for module in (protocol, protocol_terms) for obj in vars(module).values()
               if isinstance(obj, type) and issubclass(obj, msgspec.Struct)
               and obj.__module__ == module.__name__ and not obj.__name__.startswith("_")
               and obj is not protocol.BaseRequest}
    assert defined == set(EVERY_STRUCT)


@pytest.mark.parametrize("cls", EVERY_STRUCT, ids=lambda cls: cls.__name__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_message_round_trips_through_json_and_msgpack(cls: type, data: st.DataObject) -> None:
    message = data.draw(messages(cls))
    assert msgspec.json.decode(msgspec.json.encode(message), type=cls) == message
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(message), type=cls) == message


@settings(max_examples=100)
@given(message=messages(ClientMessage))
def test_client_messages_decode_through_the_client_union(message: Any) -> None:
    assert decode_client_message(msgspec.json.encode(message)) == message


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(message=messages(ServerMessage))
def test_server_messages_decode_through_the_server_union(message: Any) -> None:
    assert decode_server_message(msgspec.json.encode(message)) == message
