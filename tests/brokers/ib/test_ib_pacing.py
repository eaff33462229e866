"""IB's pacing limit (50 messages a second): the broker's bursts are throttled, never refused."""

from __future__ import annotations

import ib_async
import trio
import trio_asyncio

from tests.brokers.ib.ib_helpers import WAIT_S, events_until, kinds, market
from tradloopd.demo.tws.server import FakeTws, open_fake_tws


async def test_a_burst_of_orders_stays_under_ibs_message_rate(broker, tws):
    accepted = []
    for n in range(60):
        accepted += await broker.submit(market(f"p-{n}", qty="1"))
    assert kinds(accepted) == ["OrderAccepted"] * 60
    assert len(await events_until(broker, 60)) == 60
    assert 40 <= tws.requests.busiest_second() <= 50  # throttled at 45 a second; IB allows 50
    assert tws.pacing_violations == 0


async def test_the_fake_tws_notices_a_client_that_sends_too_fast(aio):
    async with open_fake_tws(FakeTws()) as tws:
        ib = ib_async.IB()
        ib.client.MaxRequests = 0  # throttle off
        with trio.fail_after(WAIT_S):
            await trio_asyncio.aio_as_trio(ib.connectAsync)("127.0.0.1", tws.port, clientId=3, timeout=WAIT_S)

            async def flood() -> None:
                for _ in range(60):
                    ib.client.reqCurrentTime()

            await trio_asyncio.aio_as_trio(flood)()
            await trio_asyncio.aio_as_trio(ib.reqCurrentTimeAsync)()
        assert tws.pacing_violations > 0
        ib.disconnect()
