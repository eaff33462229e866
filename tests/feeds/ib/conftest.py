"""Fixtures of the IB feed tests: a fake TWS on 127.0.0.1 sharing the test's frozen venue clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tradloopd.demo.clock import VenueClock
from tradloopd.demo.tws.server import FakeTws, open_fake_tws

T0_NS = 1_704_067_200_500_000_000  # 2024-01-01 00:00:00.5 UTC


@pytest.fixture
def clock() -> VenueClock:
    return VenueClock(frozen_ns=T0_NS)


@pytest.fixture
async def tws(clock: VenueClock) -> AsyncIterator[FakeTws]:
    async with open_fake_tws(FakeTws(clock=clock)) as fake:
        yield fake
    assert fake.internal_errors == [], "the fake TWS raised:\n" + "\n".join(fake.internal_errors)
    assert fake.history.pacing_violations == 0, "the feed broke IB's historical data pacing"
