"""`walk_forward()`: re-optimise on each in-sample window, trade the next out-of-sample window.

    result = walk_forward("ma_cross", "prices.csv", space={"fast": "5:50:5", "slow": "60:300:20"},
                          n_windows=6, is_ratio=3, anchored=False, gap=0)
    result.windows, result.oos_curve, result.oos_metrics, result.efficiency, result.drift

Windows are cut on the merged bar timeline (`splits.walk_forward_windows`): rolling (a fixed
in-sample length) or anchored (in-sample from the first bar), with `gap` bars between the end of
each in-sample window and its out-of-sample window. The search of window k sees only the bars of
its in-sample window (the workers cut the bars to it, indicators included). The chosen parameters
are then replayed from the start of the in-sample window through the end of the out-of-sample
window, so indicators are warm and the position carried into the out-of-sample window is the one
those parameters would hold; only the out-of-sample bars' returns are kept. Stitching those
returns gives the out-of-sample equity curve and its metrics.

Walk-forward efficiency (Pardo) is the mean out-of-sample CAGR over the mean in-sample CAGR of the
chosen trials; each window also reports its own ratio and both objective scores. Parameter drift
is the spread of each chosen parameter across windows on its [0, 1] scale.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.errors import ConfigError
from tradloopd.optimize.objective import Constraints, Objective, TrialView, constraints_from, objectives_from
from tradloopd.optimize.progress import Progress, ProgressCallback
from tradloopd.optimize.results import SearchResult
from tradloopd.optimize.search import Inputs, Search, prepare
from tradloopd.optimize.space import GRID_POINTS, ParamSpace, space_for
from tradloopd.optimize.splits import walk_forward_windows
from tradloopd.optimize.store import open_store
from tradloopd.optimize.trial import TrialJob, TrialRunner
from tradloopd.optimize.workers import Executor, open_executor, window_bars

if TYPE_CHECKING:
    import pandas as pd

    from tradloopd.optimize.overfit import Verdict
    from tradloopd.replay import ReplaySettings


_TRADE_FIELDS = tuple(f.name for f in dataclasses.fields(TradeLog))


@dataclass(eq=False)
class WalkForwardResult:
    """Per-window choices and scores, the stitched out-of-sample curve and its metrics."""

    strategy: str
    scheme: str
    objective: Objective
    space: ParamSpace
    windows: pd.DataFrame
    oos_curve: EquityCurve
    oos_metrics: dict[str, float | int | None]
    searches: list[SearchResult]
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def param_names(self) -> list[str]:
        return self.space.names

    @property
    def efficiency(self) -> float | None:
        """Mean OOS CAGR / mean IS CAGR of the chosen trials (None unless IS CAGR > 0)."""
        is_cagr = self.windows["is_cagr"].dropna().astype(float)
        oos_cagr = self.windows["oos_cagr"].dropna().astype(float)
        if not len(is_cagr) or not len(oos_cagr) or is_cagr.mean() <= 0:
            return None
        return float(oos_cagr.mean() / is_cagr.mean())

    @property
    def degradation(self) -> float | None:
        """Mean OOS objective / mean IS objective over the windows (None unless IS mean > 0)."""
        is_score = self.windows["is_score"].dropna().astype(float)
        oos_score = self.windows["oos_score"].dropna().astype(float)
        if not len(is_score) or not len(oos_score) or is_score.mean() <= 0:
            return None
        return float(oos_score.mean() / is_score.mean())

    def drift(self) -> pd.DataFrame:
        """Per parameter: chosen values, spread on its [0, 1] scale, changes between windows."""
        import pandas as pd

        rows = []
        for dim in self.space.dimensions:
            values = [v for v in self.windows[f"param_{dim.name}"] if v is not None and not _missing(v)]
            units = np.array([dim.unit(v) for v in values]) if values else np.empty(0)
            spread = float(units.std()) if len(units) > 1 else 0.0
            changes = sum(a != b for a, b in itertools.pairwise(values))
            shape = "stable" if spread < 0.1 else "some drift" if spread < 0.25 else "drifting"
            rows.append({"parameter": dim.name, "values": values, "spread": spread,
                         "changes": changes, "shape": shape})
        return pd.DataFrame(rows, columns=["parameter", "values", "spread", "changes", "shape"])

    def verdict(self) -> Verdict:
        from tradloopd.optimize.overfit import verdict

        spreads = self.drift()["spread"]
        return verdict(degradation=self.degradation, efficiency=self.efficiency,
                       drift=float(spreads.max()) if len(spreads) and len(self.windows) > 1 else None)

    def summary(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "scheme": self.scheme, "objective": self.objective.label(),
                "windows": len(self.windows), "interrupted": self.interrupted,
                "efficiency": self.efficiency, "degradation": self.degradation,
                "oos_metrics": self.oos_metrics, "verdict": self.verdict().text(),
                "drift": self.drift().to_dict(orient="records"), **self.info}

    def write(self, out: str | Path) -> list[Path]:
        """windows.csv, oos_equity.csv, trials.csv (every window's trials), walk_forward.json and
        walk_forward.png."""
        import pandas as pd

        from tradloopd.optimize.charts import walk_forward_chart
        from tradloopd.results import iso

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "windows.csv", out / "oos_equity.csv", out / "trials.csv", out / "walk_forward.json"]
        self.windows.to_csv(paths[0], index=False)
        curve = self.oos_curve
        pd.DataFrame({"timestamp": iso(curve.ts), "equity": curve.equity,
                      "exposure": curve.exposure}).to_csv(paths[1], index=False)
        frames = [s.trials.assign(window=k + 1) for k, s in enumerate(self.searches)]
        (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()).to_csv(paths[2], index=False)
        paths[3].write_text(json.dumps(self.summary(), indent=2, default=str) + "\n", encoding="utf-8")
        if len(self.windows) and len(curve):
            paths.append(walk_forward_chart(self, out / "walk_forward.png"))
        return paths


def walk_forward(
    strategy: str | type,
    data: Any = "sample",
    *,
    space: ParamSpace | Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    method: str = "grid",
    objective: str | Objective | Callable[..., Any] = "sharpe",
    constraints: Constraints | Mapping[str, Any] | None = None,
    n_trials: int | None = None,
    grid_points: int = GRID_POINTS,
    seed: int = 0,
    batch_size: int | None = None,
    n_windows: int = 5,
    is_ratio: float = 3.0,
    is_bars: int | None = None,
    oos_bars: int | None = None,
    anchored: bool = False,
    gap: int = 0,
    jobs: int = 1,
    dask_scheduler: str | None = None,
    symbols: Sequence[str] = (),
    settings: ReplaySettings | None = None,
    cash: float | None = None,
    fee: float | None = None,
    slippage_bps: float | None = None,
    clean: bool = False,
    progress: ProgressCallback | None = None,
) -> WalkForwardResult:
    """Walk-forward optimisation (see the module docstring); one objective."""
    inputs = prepare(strategy, data, symbols=symbols, settings=settings, cash=cash, fee=fee,
                     slippage_bps=slippage_bps, clean=clean)
    chosen = space if isinstance(space, ParamSpace) else space_for(inputs.strategy, space, params)
    objectives = objectives_from(objective)
    if len(objectives) != 1:
        raise ConfigError("walk-forward chooses by one objective; give exactly one")
    search = Search(chosen, objectives, method, n_trials, seed, batch_size, grid_points)
    limits = constraints_from(constraints)
    job = TrialJob(inputs.reference, inputs.settings, objectives, limits, dict(chosen.fixed))
    timeline = np.unique(np.concatenate([s.ts for s in inputs.series]))
    splits = walk_forward_windows(len(timeline), n_windows, is_ratio=is_ratio, is_size=is_bars,
                                  oos_size=oos_bars, anchored=anchored, gap=gap)
    executor = open_executor(job, inputs.series, jobs=jobs, dask_scheduler=dask_scheduler)
    try:
        walker = _Walker(inputs, job, search, limits, executor, progress)
        for k, split in enumerate(splits):
            if not walker.window(k, timeline, split.train, split.test):
                break
    finally:
        executor.close()
    return walker.result("anchored" if anchored else "rolling", {
        "gap": gap, "is_ratio": is_ratio, "method": method, "jobs": executor.jobs,
        "data": [s.source for s in inputs.series]})


class _Walker:
    """Runs the windows one after the other and collects what each produced."""

    def __init__(self, inputs: Inputs, job: TrialJob, search: Search, limits: Constraints,
                 executor: Executor, progress: ProgressCallback | None) -> None:
        self.inputs, self.job, self.search, self.limits = inputs, job, search, limits
        self.executor, self.progress = executor, progress
        self.rows: list[dict[str, Any]] = []
        self.searches: list[SearchResult] = []
        self.pieces: list[_Piece] = []
        self.interrupted = False

    def window(self, k: int, timeline: np.ndarray, train: np.ndarray, test: np.ndarray) -> bool:
        """Optimise on the train bars, replay the winner on the test bars; False to stop."""
        is_range = (int(timeline[train[0]]), int(timeline[train[-1]]) + 1)
        oos_range = (int(timeline[test[0]]), int(timeline[test[-1]]) + 1)
        self._tell(Progress("window", 0, 0, window=k))
        store = open_store(storage=None, study_name=f"window-{k}", directions=[self.objective.direction],
                           config={}, resume=False, sampler=self.search.sampler())
        run = self.search.run(self.executor, store, window=is_range, progress=self.progress, window_index=k)
        found = SearchResult(self.inputs.name, self.search.method, self.search.space,
                             self.search.objectives, self.limits, run.records, run.interrupted)
        self.searches.append(found)
        if run.interrupted:
            self.interrupted = True
            return False
        row: dict[str, Any] = {"window": k + 1, "is_start": _time(is_range[0]),
                               "is_end": _time(timeline[train[-1]]), "oos_start": _time(oos_range[0]),
                               "oos_end": _time(timeline[test[-1]]),
                               "is_bars": len(train), "oos_bars": len(test), "trials": len(run.records),
                               "feasible": len(found.feasible)}
        best = found.best
        row |= {f"param_{n}": None if best is None else best.params[n] for n in self.search.space.names}
        row |= {"is_score": None if best is None else best.values[0],
                "is_cagr": None if best is None else best.metrics.get("cagr")}
        if best is not None:
            self._tell(Progress("oos", 0, 0, window=k))
            piece = self._out_of_sample(best.params, is_range[0], oos_range)
            self.pieces.append(piece)
            row |= {"oos_score": self.objective.value(piece.view), "oos_cagr": piece.view.metrics.get("cagr"),
                    "oos_return": piece.view.metrics.get("total_return"),
                    "oos_trades": piece.view.metrics.get("trades")}
        self.rows.append(row)
        return True

    @property
    def objective(self) -> Objective:
        return self.search.objectives[0]

    def _tell(self, event: Progress) -> None:
        if self.progress is not None:
            self.progress(event)

    def _out_of_sample(self, params: dict[str, Any], start: int, oos: tuple[int, int]) -> _Piece:
        runner = TrialRunner(self.job, window_bars(self.inputs.series, (start, oos[1])))
        evaluation = runner.evaluate(params, all_metrics=True)
        curve = evaluation.view.curve
        first_close = min(int(s.ts[np.searchsorted(s.ts, oos[0])]) + s.timeframe_ns
                          for s in runner.series if np.searchsorted(s.ts, oos[0]) < len(s))
        begin = int(np.searchsorted(curve.ts, first_close))
        base = float(curve.equity[begin - 1]) if begin > 0 else curve.initial_cash
        part = EquityCurve(ts=curve.ts[begin:], equity=curve.equity[begin:], cash=curve.cash[begin:],
                           exposure=curve.exposure[begin:], initial_cash=base)
        trades = _trades_after(evaluation.view.trades, oos[0])
        fills = [f for f in evaluation.replay.account.fills if f.ts_event >= oos[0]]
        fees = float(sum(f.fee for f in fills))
        notional = float(sum(f.quantity * f.price for f in fills))
        metrics = _metrics(part, trades, fees, notional)
        return _Piece(part, trades, fees, notional, TrialView(params, metrics, part, trades))

    def result(self, scheme: str, info: dict[str, Any]) -> WalkForwardResult:
        import pandas as pd

        names = self.search.space.names
        columns = ["window", "is_start", "is_end", "oos_start", "oos_end", "is_bars", "oos_bars", "trials",
                   "feasible", *(f"param_{n}" for n in names), "is_score", "oos_score", "is_cagr", "oos_cagr",
                   "oos_return", "oos_trades"]
        windows = pd.DataFrame(self.rows, columns=columns)
        ratio = windows["oos_cagr"].astype(float) / windows["is_cagr"].astype(float)
        windows["efficiency"] = ratio.where(windows["is_cagr"].astype(float) > 0)
        curve, trades, fees, notional = _stitch(self.pieces, float(self.inputs.settings.cash))
        metrics = _metrics(curve, trades, fees, notional) if len(curve) else {}
        return WalkForwardResult(self.inputs.name, scheme, self.objective, self.search.space, windows,
                                 curve, metrics, self.searches, self.interrupted, info)


@dataclass(frozen=True)
class _Piece:
    curve: EquityCurve
    trades: TradeLog
    fees: float
    notional: float
    view: TrialView


def _stitch(pieces: list[_Piece], initial: float) -> tuple[EquityCurve, TradeLog, float, float]:
    """Chain the windows' out-of-sample returns into one curve starting at `initial`."""
    if not pieces:
        empty = np.empty(0)
        return EquityCurve(np.empty(0, np.int64), empty, empty, empty, initial), TradeLog.empty(), 0.0, 0.0
    growth = np.concatenate([np.concatenate(([p.curve.initial_cash], p.curve.equity))[1:]
                             / np.concatenate(([p.curve.initial_cash], p.curve.equity))[:-1] for p in pieces])
    equity = initial * np.cumprod(growth)
    actual = np.concatenate([p.curve.equity for p in pieces])
    curve = EquityCurve(ts=np.concatenate([p.curve.ts for p in pieces]), equity=equity,
                        cash=np.concatenate([p.curve.cash for p in pieces]) * equity / actual,
                        exposure=np.concatenate([p.curve.exposure for p in pieces]), initial_cash=initial)
    logs = [p.trades for p in pieces]
    trades = TradeLog(*(np.concatenate([getattr(t, f) for t in logs]) for f in _TRADE_FIELDS))
    return curve, trades, sum(p.fees for p in pieces), sum(p.notional for p in pieces)


def _trades_after(trades: TradeLog, start: int) -> TradeLog:
    keep = trades.exit_ts >= start
    return TradeLog(*(getattr(trades, f)[keep] for f in _TRADE_FIELDS))


def _metrics(curve: EquityCurve, trades: TradeLog, fees: float, notional: float) -> dict[str, Any]:
    from tradloopd.analytics.metrics import compute_metrics

    return compute_metrics(curve, trades, fees_paid=fees, traded_notional=notional)


def _missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _time(ts: int | np.integer) -> Any:
    import pandas as pd

    return pd.Timestamp(int(ts), tz="UTC")
