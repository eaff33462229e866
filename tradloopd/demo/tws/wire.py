"""The TWS API wire format: 4-byte big-endian length prefixes around NUL-terminated text fields.

A connection opens with `API\\0` and a length-prefixed version range (`v157..178`); the server answers
with one message of two fields, its server version and connection time. After that every message
is a list of fields, the first being the message id. This module only frames and formats; what the
fields mean lives in `inbound` (client to server) and `outbound` (server to client).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Sequence
from decimal import Decimal

HANDSHAKE_PREFIX = b"API\0"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1
_VERSIONS = re.compile(rb"^v(\d+)\.\.(\d+)")

Field = str | int | float | Decimal | bool | None


class WireError(Exception):
    """The peer sent bytes that are not the TWS API protocol."""


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def encode(fields: Sequence[Field]) -> bytes:
    """One framed message: every field formatted as TWS does and terminated by NUL."""
    return frame(b"".join(format_field(value).encode() + b"\0" for value in fields))


def format_field(value: Field) -> str:
    """TWS text for a value: bools as 1/0, None as empty, integral floats without noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, float):
        if math.isinf(value):
            return "Infinite"
        return repr(value)
    return str(value)


def client_versions(payload: bytes) -> tuple[int, int]:
    """The (min, max) client version range of a handshake payload like `v157..178 +PACEAPI`."""
    match = _VERSIONS.match(payload)
    if not match:
        raise WireError(f"handshake {payload[:40]!r} is not a version range like v157..178")
    return int(match.group(1)), int(match.group(2))


class Frames:
    """Splits a byte stream into framed payloads; feed it bytes, take complete payloads out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def take(self) -> bytes | None:
        if len(self._buffer) < 4:
            return None
        (size,) = struct.unpack(">I", self._buffer[:4])
        if size > MAX_MESSAGE_BYTES:
            raise WireError(f"message of {size} bytes is larger than {MAX_MESSAGE_BYTES}")
        if len(self._buffer) < 4 + size:
            return None
        payload = bytes(self._buffer[4:4 + size])
        del self._buffer[:4 + size]
        return payload

    def take_prefix(self, prefix: bytes) -> bool:
        """Consume `prefix` if the stream starts with it; False if not enough bytes yet."""
        if len(self._buffer) < len(prefix):
            return False
        if bytes(self._buffer[:len(prefix)]) != prefix:
            raise WireError(f"stream starts with {bytes(self._buffer[:8])!r}, not {prefix!r}")
        del self._buffer[:len(prefix)]
        return True


def split_fields(payload: bytes) -> list[str]:
    """The fields of one payload (every field ends with NUL; the last empty piece is dropped)."""
    text = payload.decode(errors="backslashreplace")
    fields = text.split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return fields


class FieldReader:
    """Reads the fields of one client message in order, with the conversions TWS applies."""

    def __init__(self, fields: Sequence[str], start: int = 1) -> None:
        self._fields = fields
        self._at = start

    def text(self) -> str:
        if self._at >= len(self._fields):
            raise WireError(f"message ended after {len(self._fields)} fields")
        value = self._fields[self._at]
        self._at += 1
        return value

    def skip(self, count: int = 1) -> None:
        for _ in range(count):
            self.text()

    def integer(self, default: int = 0) -> int:
        value = self.text()
        return int(value) if value else default

    def number(self) -> float | None:
        """A float field; empty (unset) is None."""
        value = self.text()
        if not value:
            return None
        number = float(value)
        return None if number >= UNSET_DOUBLE else number

    def decimal(self) -> Decimal | None:
        value = self.text()
        if not value or float(value) >= UNSET_DOUBLE:
            return None
        return Decimal(value)

    def flag(self) -> bool:
        value = self.text()
        return bool(int(value)) if value else False

    @property
    def left(self) -> int:
        return len(self._fields) - self._at
