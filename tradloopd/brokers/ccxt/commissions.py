"""Commissions a spot venue took from the asset bought, remembered so positions reconcile exactly.

Binance (without BNB fees), Bybit and OKX take a spot buy's commission from the bought asset:
buying 0.01 BTC leaves 0.00999 BTC in the account. The journal records the fill as 0.01 bought
and the commission as its value in the quote currency (so cash is exact), and this book records
the 0.00001 BTC by fill id, so that reconciliation compares the venue's balance plus these
commissions with the journal's position, exactly.

The book is a JSON-lines file in the state directory, appended (and fsynced) before the fill is
handed to the journal; a fill recorded here whose journal entry was lost in a crash is found again
at start-up (same fill id), so the two agree. Without a path (tests, no state) it lives in memory.
"""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import msgspec

from tradloopd.model import ZERO


class Commission(msgspec.Struct, frozen=True, kw_only=True):
    fill_id: str
    symbol: str
    asset: str
    amount: Decimal


_DECODER = msgspec.json.Decoder(Commission)
_ENCODER = msgspec.json.Encoder(decimal_format="string")


class CommissionBook:
    """Base-asset commissions by fill id, per symbol totals; append-only file when `path` is set."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._fills: set[str] = set()
        self._totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        if path is not None and path.exists():
            self._load(path)

    def record(self, commission: Commission) -> None:
        """Remember one commission (a fill id already recorded is ignored)."""
        if commission.fill_id in self._fills:
            return
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as handle:
                handle.write(_ENCODER.encode(commission) + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        self._add(commission)

    def _load(self, path: Path) -> None:
        """Read the book; a last line cut short by a crash (never fsynced, so never journaled) is
        dropped from the file."""
        data = path.read_bytes()
        good = 0
        for line in data.splitlines(keepends=True):
            try:
                self._add(_DECODER.decode(line))
            except msgspec.DecodeError:
                if data[good + len(line):].strip():
                    raise
                break
            good += len(line)
        if good < len(data):
            with path.open("r+b") as handle:
                handle.truncate(good)
        elif data and not data.endswith(b"\n"):
            with path.open("ab") as handle:
                handle.write(b"\n")

    def total(self, symbol: str) -> Decimal:
        return self._totals.get(symbol, ZERO)

    def _add(self, commission: Commission) -> None:
        self._fills.add(commission.fill_id)
        self._totals[commission.symbol] += commission.amount
