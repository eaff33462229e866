"""Fixtures of the IB broker tests: a fake TWS on 127.0.0.1, an asyncio loop, a connected broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio_asyncio

from tests.brokers.ib.ib_helpers import T0_NS, open_broker
from tradloopd.brokers.ib.broker import IbBroker
from tradloopd.clock import SimClock
from tradloopd.demo.tws.server import FakeTws, open_fake_tws


@pytest.fixture
def clock() -> SimClock:
    return SimClock(T0_NS)


@pytest.fixture
async def tws(clock: SimClock) -> AsyncIterator[FakeTws]:
    async with open_fake_tws(FakeTws(clock=clock)) as fake:
        yield fake
    assert fake.internal_errors == [], "the fake TWS raised:\n" + "\n".join(fake.internal_errors)
    assert fake.pacing_violations == 0, "a client sent more than 50 messages in a second"


@pytest.fixture
async def aio() -> AsyncIterator[None]:
    """The asyncio loop ib_async runs in (trio-asyncio), shared by the test and its fixtures."""
    async with trio_asyncio.open_loop():
        yield


@pytest.fixture
async def broker(tws: FakeTws, aio: None, clock: SimClock) -> AsyncIterator[IbBroker]:
    async with open_broker(tws, clock) as connected:
        yield connected
