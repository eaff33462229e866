"""The journal: an append-only sqlite log of every order intent, command and event.

One writer (the journal actor, in a worker thread) appends batches; each batch is one transaction
that also updates the derived tables (orders, fills, positions, account), so they always agree
with the log. Readers (the control server, tests) open their own read-only connections; WAL lets
them read while the writer writes. On start the log is replayed into an `Account`, which must
accept every event (an illegal one is a broken invariant: the daemon stops). `synchronous=NORMAL`
in WAL mode survives a killed process (kill -9); only power loss can drop the last commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import msgspec

from tradloopd.account import Account
from tradloopd.errors import InvariantError
from tradloopd.messages import (
    CancelOrder,
    Halt,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    Resume,
    SubmitOrder,
)
from tradloopd.model import OrderStatus
from tradloopd.orders.state import TrackedOrder
from tradloopd.store.schema import migrate

JournalMessage = (
    SubmitOrder | CancelOrder | Halt | Resume | OrderEvent
)
_ENCODER = msgspec.json.Encoder(decimal_format="string")
_ORDER_ROW = "(" + ",".join("?" * 19) + ")"  # one placeholder per column of `orders`
_DECODER = msgspec.json.Decoder(JournalMessage)


class EquityPoint(msgspec.Struct, frozen=True, kw_only=True):
    """Account equity marked at a bar close (derived data: the equity table, not the log)."""

    ts: int
    equity: float
    cash: float


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                     check_same_thread=False)
    else:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        # checkpoints run when idle (the journal actor) or, under sustained load, once the WAL
        # reaches ~40 MB (10,000 pages): rare enough to stay off the order path
        connection.execute("PRAGMA wal_autocheckpoint=10000")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


class Journal:
    """The writer side: open (migrating), replay, append batches."""

    def __init__(self, path: Path, *, initial_cash: Decimal) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = connect(path)
        migrate(self._db, str(path))
        self.initial_cash = self._initial_cash(initial_cash)
        self.account = Account(self.initial_cash)
        self.last_seq = 0
        for seq, message in self.read():
            _apply(self.account, message)
            self.last_seq = seq

    def _initial_cash(self, configured: Decimal) -> Decimal:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'initial_cash'").fetchone()
        if row is not None:
            return Decimal(row[0])
        self._db.execute("INSERT INTO meta (key, value) VALUES ('initial_cash', ?)",
                         (str(configured),))
        self._db.execute(
            "INSERT INTO account (id, initial_cash, cash, fees_paid, ts_last) VALUES (1, ?, ?, '0', 0)",
            (str(configured), str(configured)),
        )
        return configured

    def read(self, after_seq: int = 0) -> Iterator[tuple[int, JournalMessage]]:
        """Every logged message after `after_seq`, in order."""
        cursor = self._db.execute("SELECT seq, body FROM events WHERE seq > ? ORDER BY seq", (after_seq,))
        for seq, body in cursor:
            yield seq, _DECODER.decode(body)

    def append(self, messages: Sequence[JournalMessage], equity: Sequence[EquityPoint] = ()) -> int:
        """Log the messages and update the derived tables, in one transaction; returns last seq."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for message in messages:
                self.last_seq += 1
                _apply(self.account, message)
                db.execute("INSERT INTO events (seq, ts, type, client_order_id, body) VALUES (?, ?, ?, ?, ?)",
                           (self.last_seq, message.ts_event, type(message).__name__,
                            _order_id(message), _ENCODER.encode(message)))
                self._derive(message)
            db.executemany("INSERT OR REPLACE INTO equity (ts, equity, cash) VALUES (?, ?, ?)",
                           [(p.ts, p.equity, p.cash) for p in equity])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return self.last_seq

    def _derive(self, message: JournalMessage) -> None:
        coid = _order_id(message)
        if coid is None:
            return
        tracked = self.account.orders.get(coid)
        if tracked is None:
            raise InvariantError(f"journal: no order {coid} after applying {type(message).__name__}")
        self._db.execute(f"INSERT OR REPLACE INTO orders VALUES {_ORDER_ROW}", _order_row(tracked))
        self._derive_legs(tracked)
        if isinstance(message, OrderFilled):
            self._derive_fill(message)

    def _derive_legs(self, tracked: TrackedOrder) -> None:
        """Exit legs the ledger registered when this order finished filling get their rows too."""
        for leg_id in (f"{tracked.client_order_id}.sl", f"{tracked.client_order_id}.tp"):
            leg = self.account.orders.get(leg_id)
            if leg is not None:
                self._db.execute(f"INSERT OR IGNORE INTO orders VALUES {_ORDER_ROW}", _order_row(leg))

    def _derive_fill(self, fill: OrderFilled) -> None:
        db, portfolio = self._db, self.account.portfolio
        db.execute("INSERT INTO fills VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (fill.fill_id, self.last_seq, fill.client_order_id, fill.symbol, str(fill.side),
                    str(fill.quantity), str(fill.price), str(fill.fee), str(fill.liquidity),
                    fill.ts_event))
        position = portfolio.position(fill.symbol)
        db.execute("INSERT OR REPLACE INTO positions VALUES (?,?,?,?,?)",
                   (fill.symbol, str(position.qty), str(position.cost), str(position.realized_pnl),
                    fill.ts_event))
        db.execute("UPDATE account SET cash = ?, fees_paid = ?, ts_last = ? WHERE id = 1",
                   (str(portfolio.cash), str(portfolio.fees_paid), fill.ts_event))

    def checkpoint(self) -> None:
        """Copy the WAL back into the database (the journal actor calls this when idle)."""
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()


def _apply(account: Account, message: JournalMessage) -> None:
    """Replay one logged message into the account (intents create the order)."""
    match message:
        case SubmitOrder(order=order):
            if order.client_order_id in account.orders:
                raise InvariantError(f"journal: order {order.client_order_id} submitted twice")
            account.add_order(order)
        case CancelOrder() | Halt() | Resume():
            pass
        case _:
            account.apply(message)


def _order_id(message: JournalMessage) -> str | None:
    if isinstance(message, SubmitOrder):
        return message.order.client_order_id
    if isinstance(message, Halt | Resume):
        return None
    return message.client_order_id


def _order_row(tracked: TrackedOrder) -> tuple[object, ...]:
    order = tracked.order
    avg = tracked.avg_price
    return (order.client_order_id, order.strategy_id, order.symbol, str(order.side), str(order.kind),
            _text(order.quantity), _text(order.notional), _text(order.price),
            _text(order.trigger_price), str(order.tif), str(tracked.status), str(tracked.filled_qty),
            None if avg is None else str(avg), str(tracked.fees), tracked.reason, order.tag,
            order.parent_id, order.ts_init, tracked.ts_last)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def unsent_intents(account: Account) -> list[TrackedOrder]:
    """Intents logged but never answered: the daemon stopped between logging and sending."""
    return [t for t in account.orders if t.status is OrderStatus.INITIALIZED]


def denied_on_restart(tracked: TrackedOrder, ts: int) -> OrderDenied:
    return OrderDenied(client_order_id=tracked.client_order_id,
                       reason="the daemon stopped before this order reached the venue", ts_event=ts)
