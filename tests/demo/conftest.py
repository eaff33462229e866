"""Fixtures of the demo venue tests: a fake Binance on 127.0.0.1 with its clock frozen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.clock import VenueClock

T0_NS = 1_704_067_200_500_000_000  # 2024-01-01 00:00:00.5 UTC


@pytest.fixture
def clock() -> VenueClock:
    return VenueClock(frozen_ns=T0_NS)


@pytest.fixture
def fake(clock: VenueClock) -> Iterator[FakeBinance]:
    with FakeBinance(clock=clock) as venue:
        yield venue
    assert venue.internal_errors == [], "the fake venue raised; see its traceback on stderr"
