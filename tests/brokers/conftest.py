"""Fixtures of the broker tests: the fake Binance with a frozen clock, and a connected CCXT broker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import trio_asyncio

from tests.brokers.harness import T0_NS, make_broker
from tradloopd.brokers.ccxt.broker import CcxtBroker
from tradloopd.demo.binance import FakeBinance
from tradloopd.demo.clock import VenueClock


@pytest.fixture
def clock() -> VenueClock:
    return VenueClock(frozen_ns=T0_NS)


@pytest.fixture
def fake(clock: VenueClock) -> Iterator[FakeBinance]:
    with FakeBinance(clock=clock, balances={"USDT": 10_000, "BTC": 0, "ETH": 0, "BNB": 1}) as venue:
        yield venue
    assert venue.internal_errors == [], "the fake venue raised; see its traceback on stderr"


@pytest.fixture
async def broker(fake: FakeBinance, clock: VenueClock) -> AsyncIterator[CcxtBroker]:
    async with trio_asyncio.open_loop():
        broker = make_broker(fake, clock)
        await broker.connect()
        try:
            yield broker
        finally:
            await broker.close()
