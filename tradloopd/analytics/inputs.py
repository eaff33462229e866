"""The inputs every metric is computed from: the marked equity curve and the closed trades."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FLOAT_FIELDS = ("equity", "cash", "exposure")
_TRADE_FLOATS = ("qty", "entry_price", "exit_price", "pnl", "fees")


@dataclass(frozen=True, slots=True, eq=False)
class EquityCurve:
    """Account equity marked at each bar close (int64 ns UTC `ts`, strictly increasing).

    `exposure` is gross position notional divided by equity (0 when flat). Arrays are coerced
    to int64/float64; a length mismatch, a non-increasing `ts`, a non-finite equity or a
    non-positive `initial_cash` raises ValueError.
    """

    ts: np.ndarray
    equity: np.ndarray
    cash: np.ndarray
    exposure: np.ndarray
    initial_cash: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "ts", np.asarray(self.ts, dtype=np.int64))
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        n = len(self.ts)
        if any(len(getattr(self, name)) != n for name in _FLOAT_FIELDS):
            raise ValueError("EquityCurve arrays must all have the length of ts")
        if n > 1 and np.any(np.diff(self.ts) <= 0):
            raise ValueError("EquityCurve.ts must be strictly increasing")
        if not np.all(np.isfinite(self.equity)):
            raise ValueError("EquityCurve.equity must be finite")
        if not (np.isfinite(self.initial_cash) and self.initial_cash > 0):
            raise ValueError("EquityCurve.initial_cash must be a positive number")

    def __len__(self) -> int:
        return len(self.ts)


@dataclass(frozen=True, slots=True, eq=False)
class TradeLog:
    """Closed round-trip trades (FIFO), one row each, in exit order; `pnl` is net of fees.

    `side` is +1 for a long and -1 for a short trade; times are int64 ns UTC.
    """

    symbol: np.ndarray
    side: np.ndarray
    entry_ts: np.ndarray
    exit_ts: np.ndarray
    qty: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    pnl: np.ndarray
    fees: np.ndarray
    bars_held: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "symbol", np.asarray(self.symbol, dtype=object))
        object.__setattr__(self, "side", np.asarray(self.side, dtype=np.int8))
        for name in ("entry_ts", "exit_ts", "bars_held"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        for name in _TRADE_FLOATS:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        n = len(self.symbol)
        if any(len(getattr(self, name)) != n for name in self.__slots__):
            raise ValueError("TradeLog arrays must all have the same length")
        if not np.all(np.isin(self.side, (-1, 1))):
            raise ValueError("TradeLog.side must be +1 (long) or -1 (short)")

    def __len__(self) -> int:
        return len(self.symbol)

    @classmethod
    def empty(cls) -> TradeLog:
        """A log with no trades."""
        f, i = np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(np.empty(0, object), np.empty(0, np.int8), i, i, f, f, f, f, f, i)

    def returns(self) -> np.ndarray:
        """Each trade's net pnl as a fraction of its entry notional (NaN for a zero notional)."""
        notional = self.qty * self.entry_price
        out = np.full(len(self), np.nan)
        np.divide(self.pnl, notional, out=out, where=notional > 0)
        return out
