"""What the demo venue does wrong on purpose, and what it was asked: fault plans and the request log.

Both are shared between the server's threads and the test (or the `/_fake/` admin endpoints), so
every method takes a lock.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

import msgspec

FaultKind = Literal["status", "delay", "drop", "malformed", "reject", "drop_reply"]


class Fault(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One misbehaviour for requests whose path starts with `path` ("" matches every venue path).

    - `status`: answer with HTTP `status` (429/418 with a Retry-After of `retry_after_s`, 5xx with
      Binance's internal-error body) instead of the real reply.
    - `delay`: wait `delay_s` seconds, then answer normally.
    - `drop`: close the connection without answering (the request is not handled).
    - `malformed`: answer 200 with the real body cut in half (invalid JSON).
    - `reject`: refuse the request with HTTP 400 and Binance's `{"code": code, "msg": msg}` (for
      example -2010 "Account has insufficient balance for requested action."), without handling it.
    - `drop_reply`: handle the request (an order is placed), then close the connection without
      answering: the client cannot know what happened.

    `times` is how many requests it hits; None hits every request until the plan is cleared.
    """

    kind: FaultKind
    path: str = ""
    times: int | None = 1
    status: int = 503
    retry_after_s: float | None = None
    delay_s: float = 0.0
    code: int = -2010
    msg: str = "Account has insufficient balance for requested action."


@dataclass
class _Armed:
    fault: Fault
    left: int | None


class FaultPlan:
    """Faults waiting for their requests, first injected first served."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []
        self._lock = threading.Lock()

    def inject(self, fault: Fault) -> None:
        if fault.times is not None and fault.times < 1:
            raise ValueError(f"a fault must hit at least one request, not {fault.times}")
        with self._lock:
            self._armed.append(_Armed(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def pending(self) -> list[Fault]:
        """Faults not used up yet, with `times` counting the requests they will still hit."""
        with self._lock:
            return [msgspec.structs.replace(armed.fault, times=armed.left) for armed in self._armed]

    def take(self, path: str) -> Fault | None:
        """The fault that hits this request, if any, counting it as used."""
        with self._lock:
            for armed in self._armed:
                if not path.startswith(armed.fault.path):
                    continue
                if armed.left is not None:
                    armed.left -= 1
                    if armed.left == 0:
                        self._armed.remove(armed)
                return armed.fault
            return None


class LoggedRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One request the venue received: `ts_ns` on the venue clock, `mono_ns` on the host's monotonic
    clock (for measuring the spacing of retries), `status` 0 when the connection was dropped."""

    seq: int
    method: str
    path: str
    params: dict[str, str]
    ts_ns: int
    mono_ns: int
    status: int
    fault: str = ""


class RequestLog:
    """The most recent requests, numbered from 1 in arrival order."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=capacity)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, *, method: str, path: str, params: dict[str, str], ts_ns: int, mono_ns: int,
               status: int, fault: str) -> LoggedRequest:
        with self._lock:
            self._seq += 1
            entry = LoggedRequest(seq=self._seq, method=method, path=path, params=params, ts_ns=ts_ns,
                                  mono_ns=mono_ns, status=status, fault=fault)
            self._entries.append(entry)
            return entry

    def entries(self, path: str | None = None, *, after_seq: int = 0) -> list[LoggedRequest]:
        """Logged requests with seq > `after_seq`, only those to exactly `path` if it is given."""
        with self._lock:
            return [entry for entry in self._entries
                    if entry.seq > after_seq and (path is None or entry.path == path)]

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
