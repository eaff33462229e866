"""Builders for the analytics tests: synthetic and real-data backtests and their run directories."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tradloopd.analytics.benchmark import buy_and_hold
from tradloopd.analytics.files import write_metrics_json
from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.analytics.metrics import compute_metrics

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NS_PER_MINUTE = 60 * 1_000_000_000


@dataclass
class Backtest:
    """A long-only all-in backtest of a 0/1 position series, and its analytics inputs."""

    symbol: str
    ts: np.ndarray
    close: np.ndarray
    curve: EquityCurve
    trades: TradeLog
    fees_paid: float
    traded_notional: float


def long_only_backtest(symbol: str, ts: np.ndarray, close: np.ndarray, position: np.ndarray,
                       cash: float = 10_000.0, fee: float = 0.001) -> Backtest:
    """Hold position[t] (0 or 1) from close t to close t+1; pay `fee` on each change's notional.

    The last bar's position is closed at the last close so every trade is a round trip.
    """
    position = position.astype(np.int64).copy()
    position[-1] = 0
    held = np.concatenate(([0], position[:-1]))
    growth = 1.0 + held * np.concatenate(([0.0], close[1:] / close[:-1] - 1.0))
    changed = np.abs(np.diff(np.concatenate(([0], position)))) > 0
    equity = cash * np.cumprod(growth * np.where(changed, 1.0 - fee, 1.0))
    entries = np.flatnonzero(np.diff(np.concatenate(([0], position))) == 1)
    exits = np.flatnonzero(np.diff(np.concatenate(([0], position))) == -1)
    before_entry = np.concatenate(([cash], equity))[entries]
    qty = before_entry * (1.0 - fee) / close[entries]
    trades = TradeLog(
        symbol=np.full(len(entries), symbol, dtype=object), side=np.ones(len(entries)),
        entry_ts=ts[entries], exit_ts=ts[exits], qty=qty, entry_price=close[entries],
        exit_price=close[exits], pnl=equity[exits] - before_entry,
        fees=before_entry * fee + qty * close[exits] * fee, bars_held=exits - entries,
    )
    exposure = held * (equity / np.maximum(equity, 1e-12))
    cash_line = np.where(held > 0, 0.0, equity)
    curve = EquityCurve(ts, equity, cash_line, exposure.astype(float), cash)
    notional = float(np.sum(qty * close[entries]) + np.sum(qty * close[exits]))
    return Backtest(symbol, ts, close, curve, trades, float(trades.fees.sum()), notional)


def ma_cross_position(close: np.ndarray, fast: int = 10, slow: int = 30) -> np.ndarray:
    """1 while SMA(fast) > SMA(slow), else 0."""
    kernel_f, kernel_s = np.ones(fast) / fast, np.ones(slow) / slow
    sma_f = np.convolve(close, kernel_f)[: len(close)]
    sma_s = np.convolve(close, kernel_s)[: len(close)]
    out = (sma_f > sma_s).astype(np.int64)
    out[:slow] = 0
    return out


def synthetic_prices(n: int, seed: int = 7, step_ns: int = 5 * NS_PER_MINUTE,
                     drift: float = 0.00002, vol: float = 0.004) -> tuple[np.ndarray, np.ndarray]:
    """A seeded geometric random walk starting 2024-01-01 UTC with a constant bar spacing."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "ns").astype(np.int64)
    ts = start + np.arange(n, dtype=np.int64) * step_ns
    close = 100.0 * np.exp(np.cumsum(rng.normal(drift, vol, n)))
    return ts, close


def load_closes(relative: str) -> tuple[np.ndarray, np.ndarray]:
    """(ts int64 ns, close) of a file in ../shared/data; skips the test when it is absent."""
    import pandas as pd

    path = DATA / relative
    if not path.is_file():
        pytest.skip(f"real market data {path} is absent (see shared/data/README.md)")
    frame = pd.read_csv(path, usecols=["timestamp", "close"])
    ts = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    return ts.astype("int64").to_numpy(), frame["close"].to_numpy(dtype=np.float64)


def write_run_dir(directory: Path, bt: Backtest, strategy: str = "ma_cross") -> Path:
    """Write the engine's output files for `bt` into `directory`, as the backtest command does."""
    import pandas as pd

    directory.mkdir(parents=True, exist_ok=True)
    curve = bt.curve
    benchmark = buy_and_hold(bt.close, curve.initial_cash)
    metrics = compute_metrics(curve, bt.trades, fees_paid=bt.fees_paid,
                              traded_notional=bt.traded_notional, benchmark=benchmark)
    iso = pd.to_datetime(curve.ts, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    peak = np.maximum(np.maximum.accumulate(curve.equity), curve.initial_cash)
    pd.DataFrame({"timestamp": iso, "equity": curve.equity, "cash": curve.cash,
                  "exposure": curve.exposure, "drawdown": curve.equity / peak - 1.0,
                  "benchmark": benchmark, f"close:{bt.symbol}": bt.close}
                 ).to_csv(directory / "equity.csv", index=False)
    _write_trades(directory / "trades.csv", bt.trades)
    run = {"strategy": strategy, "params": {"fast": 10, "slow": 30}, "data": "synthetic",
           "symbols": [bt.symbol], "start": iso[0], "end": iso[-1], "bars": len(curve),
           "cash": curve.initial_cash, "fee": 0.001, "slippage_bps": 0.0}
    write_metrics_json(directory / "metrics.json", run, metrics)
    return directory


def _write_trades(path: Path, trades: TradeLog) -> None:
    import pandas as pd

    def iso(ns: np.ndarray) -> pd.Index:
        return pd.to_datetime(ns, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")

    pd.DataFrame({
        "entry_time": iso(trades.entry_ts), "exit_time": iso(trades.exit_ts),
        "symbol": trades.symbol, "side": np.where(trades.side > 0, "long", "short"),
        "qty": trades.qty, "entry_price": trades.entry_price, "exit_price": trades.exit_price,
        "pnl": trades.pnl, "fees": trades.fees, "return_pct": trades.returns() * 100,
        "bars_held": trades.bars_held,
    }).to_csv(path, index=False)
