"""The monitor's connection to the daemon: attach, keep the state current, reconnect when it drops.

One asyncio task (`DaemonLink.run`) connects with `open_control_asyncio`, subscribes first and then
asks for the snapshots (the order docs/protocol.md prescribes for a consistent view), and folds every
update into the `MonitorState`. When the daemon goes away it records "disconnected since ..." and tries
again with a capped back-off, forever. Commands from the screens go through `request`, which fails at
once with a `ControlError` while disconnected. It never slows the daemon: subscriptions are lossy on
the daemon's side, and a `dropped` notice for orders, fills or positions asks for that snapshot again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

from tradloopd import __version__
from tradloopd.clock import Clock
from tradloopd.ctl import AsyncioControlClient, ControlError, open_control_asyncio
from tradloopd.monitor.model import MonitorState
from tradloopd.protocol import (
    TOPICS,
    BaseRequest,
    Dropped,
    Equity,
    Fills,
    Orders,
    Positions,
    Status,
    Subscribe,
)

ResultT = TypeVar("ResultT")
CLIENT_NAME = f"tradloopd.monitor/{__version__}"
SUBSCRIPTION_BUFFER = 4096  # per topic, on the daemon's side
YIELD_EVERY = 200  # updates applied between two yields to the UI's event loop
RETRY_INITIAL_S, RETRY_MAX_S = 0.25, 2.0
REQUEST_TIMEOUT_S = 35.0  # the daemon answers `timeout` itself after 30 s
Connect = Callable[[Path], AbstractAsyncContextManager[AsyncioControlClient]]


def _connect(path: Path) -> AbstractAsyncContextManager[AsyncioControlClient]:
    return open_control_asyncio(path, client_name=CLIENT_NAME, timeout_s=REQUEST_TIMEOUT_S)


class DaemonLink:
    """Keeps `state` attached to the daemon at `socket_path`; `run` until cancelled."""

    def __init__(self, socket_path: Path, state: MonitorState, clock: Clock, *,
                 connect: Connect = _connect) -> None:
        self.socket_path = socket_path
        self.state = state
        self._clock = clock
        self._connect = connect
        self._client: AsyncioControlClient | None = None
        self._resyncing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        return self._client is not None

    async def request(self, request: BaseRequest[ResultT]) -> ResultT:
        """Send a command or query now; ControlError("disconnected") when not attached."""
        if self._client is None:
            raise ControlError("disconnected", "not connected to the daemon")
        return await self._client.request(request)

    async def run(self) -> None:
        retry_s = RETRY_INITIAL_S
        while True:
            try:
                async with self._connect(self.socket_path) as client:
                    await self._attach(client)
                    retry_s = RETRY_INITIAL_S
                    await self._pump(client)
            except ControlError as exc:
                reason = exc.message
            except OSError as exc:
                reason = f"connection lost: {exc.strerror or exc}"
            finally:
                self._client = None
                for task in list(self._tasks):
                    task.cancel()
            self.state.detached(self._clock.now_ns(), reason)
            await asyncio.sleep(retry_s)
            retry_s = min(retry_s * 2, RETRY_MAX_S)

    async def _attach(self, client: AsyncioControlClient) -> None:
        offered = set(client.welcome.topics)
        topics = frozenset(t for t in TOPICS if t in offered)
        await client.request(Subscribe(topics=topics, buffer=SUBSCRIPTION_BUFFER))
        for topic in ("status", "positions", "orders", "fills", "equity"):
            await self._snapshot(client, topic)
        self._client = client
        self.state.attached(client.welcome, self._clock.now_ns())

    async def _snapshot(self, client: AsyncioControlClient, topic: str) -> None:
        state = self.state
        if topic == "status":
            state.apply_status(await client.request(Status()))
        elif topic == "positions":
            state.apply_positions((await client.request(Positions())).positions)
        elif topic == "orders":
            state.apply_orders((await client.request(Orders(status="open", limit=10_000))).orders,
                               working_snapshot=True)
            state.apply_orders((await client.request(Orders(status="all", limit=500))).orders,
                               working_snapshot=False)
        elif topic == "fills":
            state.apply_fills((await client.request(Fills(limit=500))).fills)
        elif topic == "equity":
            state.apply_equity((await client.request(Equity(limit=2000))).points)

    async def _pump(self, client: AsyncioControlClient) -> None:
        applied = 0
        while True:
            message = await client.receive_update()
            if isinstance(message, Dropped):
                if self.state.apply_dropped(message):
                    self._resync(client, message.topic)
            else:
                self.state.apply_update(message)
            applied += 1
            if applied % YIELD_EVERY == 0:  # a burst must not starve the screen's event loop
                await asyncio.sleep(0)

    def _resync(self, client: AsyncioControlClient, topic: str) -> None:
        if topic in self._resyncing:
            return
        self._resyncing.add(topic)

        async def again() -> None:
            try:
                with contextlib.suppress(ControlError):
                    await self._snapshot(client, topic)
            finally:
                self._resyncing.discard(topic)

        task = asyncio.get_running_loop().create_task(again())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
