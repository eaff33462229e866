"""Fuzzing the socket: every bad line gets an error reply (an oversized one, an error and the end of the
connection), the server stays up, and the node's state does not change."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from control_harness import ServerThread, SyncLineClient, hello_line
from fake_backend import FakeBackend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradloopd.protocol import ERROR_CODES, Error, Reply, Welcome

MAX_LINE = 2048
LAST_ID = 1000  # each fuzzed connection first uses this id, so lower ids are duplicates
VALID = [  # requests that would work (and some would change state) with a fresh id
    {"type": "halt", "reason": "fuzz"}, {"type": "resume"}, {"type": "flatten"},
    {"type": "cancel", "all": True}, {"type": "submit", "symbol": "BTC/USDT", "side": "buy", "quantity": "1"},
    {"type": "status"}, {"type": "orders", "status": "all", "limit": 5},
    {"type": "subscribe", "topics": ["logs"]},
]
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
WRONG = st.sampled_from([[[1]], {"x": 1}, [], {}])  # wrong for every field of every request


def one_line(data: bytes) -> bool:
    return b"\n" not in data and bool(data.strip())


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()


@st.composite
def wrong_types(draw: st.DrawFn) -> bytes:
    request = dict(draw(st.sampled_from(VALID)), id=draw(st.integers(LAST_ID + 1, 2**40)))
    field = draw(st.sampled_from(sorted(request)))
    request[field] = draw(WRONG) if field != "type" else draw(st.text(max_size=12).filter(
        lambda t: t not in {"status", "positions", "orders", "fills", "equity", "halt", "resume", "flatten",
                            "cancel", "submit", "subscribe", "unsubscribe", "hello"}))
    return dumps(request)


@st.composite
def unknown_fields(draw: st.DrawFn) -> bytes:
    request = dict(draw(st.sampled_from(VALID)), id=draw(st.integers(LAST_ID + 1, 2**40)))
    request[draw(st.sampled_from(["verbose", "force", "ID", "Type", "symbols"]))] = draw(JSON)
    return dumps(request)


@st.composite
def duplicate_ids(draw: st.DrawFn) -> bytes:
    return dumps(dict(draw(st.sampled_from(VALID)), id=draw(st.integers(0, LAST_ID))))


MALFORMED = st.one_of(
    st.binary(min_size=1, max_size=200).filter(one_line),
    st.text(max_size=100).map(str.encode).filter(one_line),
    JSON.filter(lambda v: not isinstance(v, dict)).map(dumps),
    st.dictionaries(st.text(max_size=6), JSON, max_size=4).map(dumps),
    wrong_types(), unknown_fields(), duplicate_ids(),
    st.just(b'{"type":"hello","protocol":"1"}'),
)
BAD_LINES = MALFORMED | st.just(hello_line().rstrip(b"\n"))  # a second hello is bad too


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path = tmp_path_factory.mktemp("fz") / "c.sock"
    with ServerThread(path, FakeBackend(), max_line_bytes=MAX_LINE) as server:
        yield server


def greeted(server: ServerThread) -> SyncLineClient:
    client = SyncLineClient(server.path)
    client.send(hello_line())
    assert isinstance(client.receive(), Welcome)
    client.send(b'{"type":"unsubscribe","id":%d}\n' % LAST_ID)  # handled by the server, not the node
    assert isinstance(client.receive(), Reply)
    return client


def assert_untouched_and_alive(server: ServerThread, before: tuple[bytes, int]) -> None:
    backend: FakeBackend = server.backend
    assert (server.call(backend.snapshot), server.call(len, backend.requests)) == before
    client = SyncLineClient(server.path)
    client.send(hello_line())
    assert isinstance(client.receive(), Welcome)
    client.close()


def state(server: ServerThread) -> tuple[bytes, int]:
    return server.call(server.backend.snapshot), server.call(len, server.backend.requests)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(BAD_LINES, min_size=1, max_size=8), before_hello=st.lists(MALFORMED, max_size=2),
       oversized=st.none() | st.integers(MAX_LINE + 1, 4 * MAX_LINE))
def test_every_bad_line_is_answered_with_an_error_and_changes_nothing(
        fuzzed: ServerThread, lines: list[bytes], before_hello: list[bytes], oversized: int | None) -> None:
    before = state(fuzzed)
    raw = SyncLineClient(fuzzed.path)
    for line in [*before_hello, b'{"type":"halt","id":1,"reason":"before hello"}']:
        raw.send(line + b"\n")
        assert isinstance(raw.receive(), Error)
    raw.close()
    client = greeted(fuzzed)
    for line in lines:
        client.send(line + b"\n")
        reply = client.receive()
        assert isinstance(reply, Error), line
        assert reply.code in ERROR_CODES
    if oversized is not None:
        client.send(b"[" + b"1," * (oversized // 2) + b"1]\n")
        assert client.receive() == Error(id=None, code="too_large",
                                         message=f"a line may have at most {MAX_LINE} bytes; closing")
        assert client.receive_line() is None
    client.close()
    assert_untouched_and_alive(fuzzed, before)


@settings(max_examples=40, deadline=None)
@given(blob=st.binary(max_size=3 * MAX_LINE), greet=st.booleans())
def test_a_stream_of_garbage_gets_one_error_per_line(fuzzed: ServerThread, blob: bytes, greet: bool) -> None:
    before = state(fuzzed)
    client = greeted(fuzzed) if greet else SyncLineClient(fuzzed.path)
    client.send(blob)
    client.sock.shutdown(socket.SHUT_WR)
    *complete, _partial = blob.split(b"\n")
    replies = []
    while (line := client.receive_line()) is not None:
        replies.append(line)
    client.close()
    if all(len(line) <= MAX_LINE for line in complete):
        assert len(replies) == sum(1 for line in complete if line.strip())
    assert all(line.startswith(b'{"type":"error"') for line in replies)
    assert_untouched_and_alive(fuzzed, before)
