"""docs/protocol.md stays true: every JSON example decodes, and every message type has an example."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from tradloopd.protocol import (
    ERROR_CODES,
    MAX_LINE_BYTES,
    RESULT_TYPES,
    TOPIC_DATA,
    ClientMessage,
    Reply,
    ServerMessage,
    Update,
    decode_client_message,
    decode_server_message,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
CLIENT_TAGS = {"hello", *(cls.__struct_config__.tag for cls in RESULT_TYPES)}


def examples() -> list[ClientMessage | ServerMessage]:
    """Each ```json block holds one message per line, or one message spread over its lines."""
    messages: list[ClientMessage | ServerMessage] = []
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.DOTALL):
        lines = block.splitlines()
        for text in lines if all(map(_is_json, lines)) else [block]:
            encoded = text.encode()
            tag = msgspec.json.decode(encoded, type=dict[str, object])["type"]
            decode = decode_client_message if tag in CLIENT_TAGS else decode_server_message
            messages.append(decode(encoded))
    return messages


def _is_json(text: str) -> bool:
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False
    return True


def test_every_json_example_in_the_doc_is_a_valid_message() -> None:
    assert len(examples()) > 30


def test_every_request_result_and_topic_has_an_example() -> None:
    found = examples()
    tags = {type(m).__struct_config__.tag for m in found}
    assert tags >= CLIENT_TAGS
    assert {"welcome", "reply", "error", "update", "dropped"} <= tags
    results = {type(m.result) for m in found if isinstance(m, Reply)}
    assert set(RESULT_TYPES.values()) <= results
    assert {m.topic for m in found if isinstance(m, Update)} >= set(TOPIC_DATA) - {"status"}


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_error_code_is_documented(code: str) -> None:
    assert f"| `{code}` |" in DOC.read_text()


def test_the_documented_line_limit_is_the_real_one() -> None:
    assert f'"max_line_bytes":{MAX_LINE_BYTES}' in DOC.read_text()
    assert MAX_LINE_BYTES == 1 << 20
