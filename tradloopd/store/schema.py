"""The journal's sqlite schema, as forward-only migrations keyed by `PRAGMA user_version`."""

from __future__ import annotations

import sqlite3

from tradloopd.errors import ConfigError

MIGRATIONS: tuple[str, ...] = (
    # 1: the append-only event log and the tables derived from it.
    """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        client_order_id TEXT,
        body BLOB NOT NULL
    );
    CREATE INDEX events_by_order ON events (client_order_id);
    CREATE TABLE orders (
        client_order_id TEXT PRIMARY KEY,
        strategy_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, kind TEXT NOT NULL,
        quantity TEXT, notional TEXT, price TEXT, trigger_price TEXT, tif TEXT NOT NULL,
        status TEXT NOT NULL, filled_qty TEXT NOT NULL, avg_price TEXT, fees TEXT NOT NULL,
        reason TEXT NOT NULL, tag TEXT NOT NULL, parent_id TEXT,
        ts_created INTEGER NOT NULL, ts_last INTEGER NOT NULL
    );
    CREATE INDEX orders_by_status ON orders (status);
    CREATE TABLE fills (
        fill_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, client_order_id TEXT NOT NULL,
        symbol TEXT NOT NULL, side TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL,
        fee TEXT NOT NULL, liquidity TEXT NOT NULL, ts INTEGER NOT NULL
    );
    CREATE TABLE positions (
        symbol TEXT PRIMARY KEY, quantity TEXT NOT NULL, cost TEXT NOT NULL,
        realized_pnl TEXT NOT NULL, ts_last INTEGER NOT NULL
    );
    CREATE TABLE account (
        id INTEGER PRIMARY KEY CHECK (id = 1), initial_cash TEXT NOT NULL, cash TEXT NOT NULL,
        fees_paid TEXT NOT NULL, ts_last INTEGER NOT NULL
    );
    CREATE TABLE equity (ts INTEGER PRIMARY KEY, equity REAL NOT NULL, cash REAL NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)


def migrate(connection: sqlite3.Connection, source: str) -> int:
    """Bring the schema up to date; refuse a journal written by a newer tradloopd."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise ConfigError(
            f"{source}: journal schema version {version} is newer than this tradloopd knows "
            f"({len(MIGRATIONS)}); upgrade tradloopd or point --state-dir elsewhere"
        )
    for number in range(version, len(MIGRATIONS)):
        connection.executescript(
            f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;"
        )
    return len(MIGRATIONS)
