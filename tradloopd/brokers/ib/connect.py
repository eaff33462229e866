"""Connecting an `ib_async.IB` to TWS / IB Gateway from trio, for the broker and the feed alike.

TWS refuses some connections by closing the socket after an API error (client id in use, ...);
`connectAsync` would then wait for its timeout. The error is caught as it arrives and the attempt
ends at once with TWS's own words.
"""

from __future__ import annotations

from typing import Any

import ib_async
import trio
import trio_asyncio

from tradloopd.errors import VenueUnavailable


async def connect(ib: ib_async.IB, *, who: str, host: str, port: int, client_id: int,
                  timeout_s: float, **options: Any) -> None:
    """`ib.connectAsync` under trio; any failure is `VenueUnavailable` naming `who` and where."""
    where = f"{host}:{port} as client {client_id}"
    refused: list[str] = []
    with trio.CancelScope() as attempt:
        def give_up(message: str) -> None:
            refused.append(message)
            attempt.cancel()

        ib.client.apiError += give_up
        try:
            with trio.fail_after(2 * timeout_s + 1):
                await trio_asyncio.aio_as_trio(ib.connectAsync)(
                    host, port, clientId=client_id, timeout=timeout_s, **options)
        except (OSError, ConnectionError, TimeoutError, trio.TooSlowError) as exc:
            raise VenueUnavailable(f"{who}: cannot connect to IB at {where}: {exc!r}"[:300]) from exc
        finally:
            ib.client.apiError -= give_up
    if attempt.cancelled_caught:
        raise VenueUnavailable(f"{who}: IB at {where} refused the connection: {refused[0]}"[:300])
