"""The journal actor: the single writer of the sqlite journal.

Inbox: `JournalEntry` (a message to log and/or an equity point, optionally with a `durable` event
to set once committed). Everything waiting in the inbox is written as one batch, in a worker thread
(one transaction per batch; a thread hop per row would be 100x slower). A batch with nothing
waiting on it (equity marks, the venue's events) lingers up to `LINGER_S` for more entries, and is
written at once when a durable entry (an order intent) arrives: under a fast feed that is one
commit per intent instead of one per bar, so an intent rarely waits behind another commit. Entries
are written in arrival order, so an intent's commit also commits everything logged before it. A
lingering batch does not make the pipeline busy (`writing`): when the node stops, the batch in
hand is still written (shielded from the cancellation). Output: after each commit,
the logged messages go to the observer broadcaster (lossy) as `orders`, `fills` and `equity`
updates. Fails by crashing: a write error or an event the ledger refuses is a broken invariant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
import trio

from tradloopd.channels import Counters
from tradloopd.store.journal import EquityPoint, Journal, JournalMessage

MAX_BATCH = 512
LINGER_S = 0.02  # a batch nothing waits on gathers entries this long (observers see it this late)
CHECKPOINT_IDLE_S = 1.0  # checkpoint the WAL after this long without writes
log = structlog.get_logger()


@dataclass(slots=True)
class JournalEntry:
    message: JournalMessage | None = None
    equity: EquityPoint | None = None
    durable: trio.Event | None = None


class JournalActor:
    def __init__(self, journal: Journal, inbox: trio.MemoryReceiveChannel[JournalEntry],
                 publish: Callable[[list[JournalMessage], list[EquityPoint]], None]) -> None:
        self.journal = journal
        self.inbox = inbox
        self.publish = publish
        self.counters = Counters()
        self.batches = 0
        self.writing = False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        structlog.contextvars.bind_contextvars(actor="journal")
        async with self.inbox:
            task_status.started()
            while True:
                try:
                    batch = [await self._receive_or_checkpoint()]
                except trio.EndOfChannel:
                    return
                try:
                    await self._gather(batch)
                finally:  # what was taken from the inbox is written, even when cancelled
                    with trio.CancelScope(shield=True):
                        await self._write(batch)

    async def _gather(self, batch: list[JournalEntry]) -> None:
        """Add what is waiting; linger for more until a durable entry comes or the batch is full."""
        with trio.move_on_after(LINGER_S):
            while len(batch) < MAX_BATCH and batch[-1].durable is None:
                try:
                    batch.append(await self.inbox.receive())
                except trio.EndOfChannel:
                    return
        while len(batch) < MAX_BATCH:  # a durable entry ends the lingering, not the batch
            try:
                batch.append(self.inbox.receive_nowait())
            except (trio.WouldBlock, trio.EndOfChannel):
                return

    async def _receive_or_checkpoint(self) -> JournalEntry:
        """The next entry; while none comes for a while, checkpoint the WAL once."""
        with trio.move_on_after(CHECKPOINT_IDLE_S):
            return await self.inbox.receive()
        self.writing = True
        try:
            await trio.to_thread.run_sync(self.journal.checkpoint)
        finally:
            self.writing = False
        return await self.inbox.receive()

    async def _write(self, batch: list[JournalEntry]) -> None:
        messages = [e.message for e in batch if e.message is not None]
        equity = [e.equity for e in batch if e.equity is not None]
        self.writing = True
        try:
            await trio.to_thread.run_sync(self.journal.append, messages, equity)
        finally:
            self.writing = False
        self.counters.received += len(batch)
        self.batches += 1
        for entry in batch:
            if entry.durable is not None:
                entry.durable.set()
        self.publish(messages, equity)

    def pending(self) -> int:
        return self.inbox.statistics().current_buffer_used
