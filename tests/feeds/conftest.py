"""Fixtures of the feed tests: a fake Binance on 127.0.0.1 whose frozen clock the feed shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from feed_fixtures import T0_NS

from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.clock import VenueClock


@pytest.fixture
def clock() -> VenueClock:
    return VenueClock(frozen_ns=T0_NS)


@pytest.fixture
def fake(clock: VenueClock) -> Iterator[FakeBinance]:
    with FakeBinance(clock=clock) as venue:
        yield venue
    assert venue.internal_errors == [], "the fake venue raised; see its traceback on stderr"
