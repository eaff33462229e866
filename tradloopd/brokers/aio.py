"""The trio-asyncio loop the live adapters (ccxt, ib_async) run their asyncio libraries on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio
import trio_asyncio


@asynccontextmanager
async def open_aio_loop() -> AsyncIterator[None]:
    """`trio_asyncio.open_loop()`, with the exception groups of its internal nurseries unwrapped
    while they hold a single error, so callers see (and the daemon reports) that error itself."""
    try:
        async with trio_asyncio.open_loop():
            yield
    except BaseExceptionGroup as group:
        raise _single(group) from None


def _single(error: BaseException) -> BaseException:
    while (isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1
           and not isinstance(error.exceptions[0], trio.Cancelled)):
        error = error.exceptions[0]
    return error
