"""Channel edges between actors, with the backpressure policy each edge follows (DESIGN §5).

- Order path (intents, commands, order events, fills) and bars into the trading loop: bounded,
  blocking send, never dropped. A send that stays blocked past the stall timeout means a receiver
  is stuck: that is a crash (crash-only; systemd restarts; startup reconciles from the journal).
- Observers (monitor, subscriptions) use the lossy `tradloopd.broadcast.Broadcaster` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

import trio

from tradloopd.errors import InvariantError

T = TypeVar("T")


class Edge(Generic[T]):
    """The send end of one bounded, blocking, never-dropping edge, with a stall timeout."""

    __slots__ = ("name", "channel", "stall_s", "sent")

    def __init__(self, name: str, channel: trio.MemorySendChannel[T], stall_s: float) -> None:
        self.name = name
        self.channel = channel
        self.stall_s = stall_s
        self.sent = 0

    async def send(self, message: T) -> None:
        """Send, yielding as the channel's own send does; only a full buffer arms the stall
        timeout (a timeout scope costs more than the hop itself)."""
        try:
            self.channel.send_nowait(message)
        except trio.WouldBlock:
            await self._send_waiting(message)
        else:
            await trio.lowlevel.checkpoint()
        self.sent += 1

    async def _send_waiting(self, message: T) -> None:
        try:
            with trio.fail_after(self.stall_s):
                await self.channel.send(message)
        except trio.TooSlowError:
            raise InvariantError(
                f"edge {self.name} stalled for {self.stall_s}s: its receiver is stuck"
            ) from None

    def depth(self) -> int:
        return self.channel.statistics().current_buffer_used


@dataclass
class Counters:
    """What an actor reports in the heartbeat and in `status`."""

    received: int = 0
    sent: int = 0
    dropped: int = 0
    errors: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def open_edge(name: str, buffer: int, stall_s: float) -> tuple[Edge[T], trio.MemoryReceiveChannel[T]]:
    send, receive = trio.open_memory_channel[T](buffer)
    return Edge(name, send, stall_s), receive
