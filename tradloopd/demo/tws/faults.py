"""What the fake TWS does wrong on purpose, and what it was asked: fault plans and the request log.

Faults are armed by a test (or the demo) and used up by the requests or orders they match, first
armed first used. Everything runs in the fake's trio task, so nothing here needs a lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import msgspec


class Reject(msgspec.Struct, frozen=True, kw_only=True):
    """The next order (of `symbol`, if set) is refused with an IB error code instead of accepted."""

    code: int = 201
    message: str = "Order rejected - reason: the fake TWS was told to reject this order"
    symbol: str = ""  # IB symbol or local symbol; "" matches every order
    times: int = 1


class PartialFill(msgspec.Struct, frozen=True, kw_only=True):
    """The next order (of `symbol`, if set) fills in these parts when it fills; what they leave keeps
    working and fills whole at the next price update."""

    parts: list[Decimal]
    symbol: str = ""
    times: int = 1


class Drop(msgspec.Struct, frozen=True, kw_only=True):
    """Close the client's connection when a request named `on` arrives (`placeOrder`, ...).

    With `after_handling` the request takes effect first (an order is placed at the venue) but
    none of its answers is sent: the client cannot know what happened.
    """

    on: str
    after_handling: bool = True
    skip: int = 0  # let this many such requests through first
    times: int = 1


class Delay(msgspec.Struct, frozen=True, kw_only=True):
    """Answer requests named `on` only after `delay_s` seconds (a slow TWS)."""

    on: str
    delay_s: float
    times: int = 1


Fault = Reject | PartialFill | Drop | Delay
F = TypeVar("F", Reject, PartialFill, Drop, Delay)


@dataclass
class _Armed:
    fault: Fault
    left: int
    skip: int = 0


class FaultPlan:
    """Armed faults, each with how many more times it fires."""

    def __init__(self) -> None:
        self._armed: list[_Armed] = []

    def inject(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError(f"a fault must fire at least once, not {fault.times} times")
        self._armed.append(_Armed(fault, fault.times, fault.skip if isinstance(fault, Drop) else 0))

    def clear(self) -> None:
        self._armed.clear()

    def pending(self) -> list[Fault]:
        return [msgspec.structs.replace(armed.fault, times=armed.left) for armed in self._armed]

    def take_reject(self, symbols: tuple[str, ...]) -> Reject | None:
        return self._take(Reject, lambda f: not f.symbol or f.symbol in symbols)

    def take_partial(self, symbols: tuple[str, ...]) -> PartialFill | None:
        return self._take(PartialFill, lambda f: not f.symbol or f.symbol in symbols)

    def take_drop(self, request: str) -> Drop | None:
        return self._take(Drop, lambda f: f.on == request)

    def take_delay(self, request: str) -> Delay | None:
        return self._take(Delay, lambda f: f.on == request)

    def _take(self, kind: type[F], accepts: Callable[[F], bool]) -> F | None:
        for armed in self._armed:
            fault = armed.fault
            if isinstance(fault, kind) and accepts(fault):
                if armed.skip:
                    armed.skip -= 1
                    return None
                armed.left -= 1
                if armed.left == 0:
                    self._armed.remove(armed)
                return fault
        return None


class LoggedRequest(msgspec.Struct, frozen=True, kw_only=True):
    client_id: int
    name: str  # the request's API name, like placeOrder
    fields: list[str]
    at: float  # trio time of arrival, s


class RequestLog:
    """Every request the fake received after the handshake, in arrival order."""

    def __init__(self) -> None:
        self.entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        self.entries.append(entry)

    def count(self, name: str) -> int:
        return sum(1 for entry in self.entries if entry.name == name)

    def counts(self) -> Counter[str]:
        return Counter(entry.name for entry in self.entries)

    def named(self, name: str) -> list[LoggedRequest]:
        return [entry for entry in self.entries if entry.name == name]

    def busiest_second(self) -> int:
        """The most requests that arrived within any one second."""
        times = [entry.at for entry in self.entries]
        busiest, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            busiest = max(busiest, end - start + 1)
        return busiest
