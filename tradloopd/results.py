"""What a finished replay produced: the equity curve, trades, metrics, and the output files.

The curve is marked at every bar close on the merged timeline (one point per distinct close
time). Cash and positions at each point are the account's exact values after each fill, noted as
floats when the fill was booked, so the last point equals the exact final equity to float precision.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.model import ZERO, Side, to_decimal
from tradloopd.positions import Trade

if TYPE_CHECKING:
    from tradloopd.analytics.inputs import EquityCurve, TradeLog
    from tradloopd.replay import Replay


@dataclass(eq=False)
class BacktestResult:
    """A replay's outcome; `metrics` follow `tradloopd.analytics` (see docs/metrics.md)."""

    replay: Replay
    curve: EquityCurve
    closes: dict[str, np.ndarray]
    benchmark: np.ndarray
    trades: TradeLog
    metrics: dict[str, float | int | None]
    final_equity: Decimal
    run_info: dict[str, Any] = field(default_factory=dict)

    @property
    def fills(self) -> list:  # type: ignore[type-arg]
        return self.replay.account.fills


def summarize(replay: Replay, run_info: dict[str, Any] | None = None) -> BacktestResult:
    """Build the equity curve, trade log and metrics of a replay that has run."""
    from tradloopd.analytics.benchmark import buy_and_hold
    from tradloopd.analytics.inputs import EquityCurve
    from tradloopd.analytics.metrics import compute_metrics

    ts, equity, cash, exposure, closes = _curve_arrays(replay)
    initial = float(replay.settings.cash)
    curve = EquityCurve(ts=ts, equity=equity, cash=cash, exposure=exposure, initial_cash=initial)
    benchmark = buy_and_hold(np.column_stack(list(closes.values())), initial)
    trades = trade_log(replay.account.trades, replay)
    portfolio = replay.account.portfolio
    metrics = compute_metrics(curve, trades, fees_paid=float(portfolio.fees_paid),
                              traded_notional=float(portfolio.traded_notional), benchmark=benchmark)
    marks = {lane.symbol: to_decimal(float(lane.series.close[-1])) for lane in replay.lanes}
    return BacktestResult(replay, curve, closes, benchmark, trades, metrics,
                          portfolio.equity(marks), run_info or {})


def _curve_arrays(replay: Replay) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                            dict[str, np.ndarray]]:
    """ts, equity, cash, exposure and each symbol's close, one point per distinct close time."""
    if len(replay.lanes) == 1:
        return _single_lane_curve(replay)
    order, ts_event = replay.merged_order, replay.merged_ts
    n = len(order)
    lane_of = _lane_of_position(replay)
    fill_k, cash_after, qty_after = fill_arrays(replay)
    cash = step(n, fill_k, cash_after, float(replay.settings.cash))
    equity, gross = cash.copy(), np.zeros(n)
    closes: dict[str, np.ndarray] = {}
    fill_symbols = np.array([f.symbol for f in replay.account.fills], dtype=object)
    for s, lane in enumerate(replay.lanes):
        mark = _marks_on_timeline(lane_of, s, lane.series.close, order, replay)
        own = fill_symbols == lane.symbol
        qty = step(n, fill_k[own], qty_after[own], 0.0)
        held = np.where(qty != 0, qty * np.nan_to_num(mark), 0.0)
        equity += held
        gross += np.abs(held)
        closes[lane.symbol] = mark
    last = np.flatnonzero(np.append(np.diff(ts_event) != 0, True))
    exposure = np.divide(gross, equity, out=np.zeros(n), where=equity > 0)
    return (ts_event[last], equity[last], cash[last], exposure[last],
            {sym: c[last] for sym, c in closes.items()})


def _single_lane_curve(replay: Replay) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                   dict[str, np.ndarray]]:
    """One symbol: every bar is its own close time, and its closes are the marks (no copies)."""
    series = replay.lanes[0].series
    n = len(series)
    fill_k, cash_after, qty_after = fill_arrays(replay)
    cash = step(n, fill_k, cash_after, float(replay.settings.cash))
    held = step(n, fill_k, qty_after, 0.0)
    held *= series.close
    equity = cash + held
    np.abs(held, out=held)
    exposure = np.divide(held, equity, out=held, where=equity > 0)
    exposure[equity <= 0] = 0.0
    return replay.merged_ts, equity, cash, exposure, {series.symbol: series.close}


def _lane_of_position(replay: Replay) -> np.ndarray:
    lengths = [len(lane.series) for lane in replay.lanes]
    offsets = np.cumsum([0, *lengths])
    return np.searchsorted(offsets, replay.merged_order, side="right") - 1


def _marks_on_timeline(lane_of: np.ndarray, s: int, close: np.ndarray, order: np.ndarray,
                       replay: Replay) -> np.ndarray:
    """The lane's last close at every merged position (NaN before its first bar)."""
    mine = lane_of == s
    offset = sum(len(lane.series) for lane in replay.lanes[:s])
    values = np.full(len(order), np.nan)
    values[mine] = close[order[mine] - offset]
    idx = np.where(mine, np.arange(len(order)), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)


def fill_arrays(replay: Replay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per fill: merged bar position, cash after it, and its symbol's position after it."""
    points = replay.fill_points
    n = len(points)
    return (np.fromiter((p[0] for p in points), dtype=np.int64, count=n),
            np.fromiter((p[1] for p in points), dtype=np.float64, count=n),
            np.fromiter((p[2] for p in points), dtype=np.float64, count=n))


def step(n: int, at: np.ndarray, values: np.ndarray, initial: float) -> np.ndarray:
    """A series that holds `initial`, then each value from its position on (last one wins).

    `at` is non-decreasing (fills are noted in the order they happen); one allocation of n.
    """
    if not len(at):
        return np.full(n, initial)
    last = np.append(at[1:] != at[:-1], True)
    at, values = at[last], values[last]
    counts = np.diff(np.concatenate(([0], at, [n])))
    return np.repeat(np.concatenate(([initial], values)), counts)


def trade_log(trades: list[Trade], replay: Replay) -> TradeLog:
    from tradloopd.analytics.inputs import TradeLog

    symbols = np.array([t.symbol for t in trades], dtype=object)
    entry_ts = np.array([t.entry_ts for t in trades], dtype=np.int64)
    exit_ts = np.array([t.exit_ts for t in trades], dtype=np.int64)
    held = np.zeros(len(trades), dtype=np.int64)
    for lane in replay.lanes:
        mine = symbols == lane.symbol
        held[mine] = (np.searchsorted(lane.series.ts, exit_ts[mine])
                      - np.searchsorted(lane.series.ts, entry_ts[mine]))
    return TradeLog(
        symbol=symbols,
        side=np.array([1 if t.side is Side.BUY else -1 for t in trades], dtype=np.int8),
        entry_ts=entry_ts,
        exit_ts=exit_ts,
        qty=np.array([float(t.quantity) for t in trades]),
        entry_price=np.array([float(t.entry_price) for t in trades]),
        exit_price=np.array([float(t.exit_price) for t in trades]),
        pnl=np.array([float(t.pnl) for t in trades]),
        fees=np.array([float(t.fees) for t in trades]),
        bars_held=held,
    )


# Files ------------------------------------------------------------------------------------------


def write_outputs(result: BacktestResult, out: Path) -> list[Path]:
    """Write trades.csv, fills.csv, equity.csv and metrics.json to `out`; same run, same bytes."""
    from tradloopd.analytics.files import write_metrics_json

    out.mkdir(parents=True, exist_ok=True)
    paths = [_write_trades(result, out / "trades.csv"), _write_fills(result, out / "fills.csv"),
             _write_equity(result, out / "equity.csv")]
    paths.append(write_metrics_json(out / "metrics.json", result.run_info, result.metrics))
    return paths


def iso(ts: int | np.ndarray) -> Any:
    """ISO-8601 UTC text of int ns timestamps ('2024-01-02T03:04:05Z')."""
    text = np.datetime_as_string(np.asarray(ts, dtype="datetime64[ns]"), unit="s")
    return np.char.add(text, "Z") if isinstance(text, np.ndarray) else text + "Z"


def _write_trades(result: BacktestResult, path: Path) -> Path:
    rows = []
    for t, bars in zip(result.replay.account.trades, result.trades.bars_held.tolist(), strict=True):
        cost = t.entry_price * t.quantity
        ret = t.pnl / cost * 100 if cost else ZERO
        rows.append([iso(t.entry_ts), iso(t.exit_ts), t.symbol,
                     "long" if t.side is Side.BUY else "short", _num(t.quantity),
                     _num(t.entry_price), _num(t.exit_price), _num(t.pnl), _num(t.fees),
                     f"{ret:.6f}", bars])
    header = ["entry_time", "exit_time", "symbol", "side", "qty", "entry_price", "exit_price",
              "pnl", "fees", "return_pct", "bars_held"]
    return _write_csv(path, header, rows)


def _write_fills(result: BacktestResult, path: Path) -> Path:
    rows = [[iso(f.ts_event), f.client_order_id, f.symbol, str(f.side), _num(f.quantity),
             _num(f.price), _num(f.fee), str(f.liquidity)] for f in result.fills]
    header = ["time", "client_order_id", "symbol", "side", "qty", "price", "fee", "liquidity"]
    return _write_csv(path, header, rows)


def _write_equity(result: BacktestResult, path: Path) -> Path:
    from tradloopd.analytics.drawdown import drawdown_series

    curve = result.curve
    drawdown = drawdown_series(curve.equity, curve.initial_cash)
    numbers = [curve.equity, curve.cash, curve.exposure, drawdown, result.benchmark,
               *result.closes.values()]
    header = ["timestamp", "equity", "cash", "exposure", "drawdown", "benchmark",
              *(f"close:{sym}" for sym in result.closes)]
    columns = [iso(curve.ts).tolist(), *([repr(x) for x in c.tolist()] for c in numbers)]
    return _write_csv(path, header, zip(*columns, strict=True))


def _write_csv(path: Path, header: list[str], rows: Any) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
