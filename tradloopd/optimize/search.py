"""`optimize()`: search a strategy's parameter space on historical bars.

    from tradloopd.optimize import optimize
    result = optimize("ma_cross", data="prices.csv", space={"fast": "5:50:5", "slow": "60:300:20"},
                      objective="sharpe", constraints={"min_trades": 20}, jobs=2)
    result.best_params, result.trials, result.write("out/optimize")

Methods: `grid` (every combination the strategy accepts), `random` (seeded draws), `tpe`
(Optuna's tree-structured Parzen estimator), `gp` (Gaussian-process expected improvement, see
`gp.py`), `nsga2` (Optuna's genetic NSGA-II; with several objectives it returns the Pareto
front). Optuna's samplers are asked for a fixed-size batch of trials, the batch runs in parallel,
and the results are told in trial-number order: a seeded search proposes the same trials whatever
the number of workers. Ctrl-C stops between trials and keeps every finished one; with `storage`
the trials are saved as they finish and `resume=True` continues the study.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.errors import ConfigError
from tradloopd.optimize.objective import (
    Constraints,
    Objective,
    constraints_from,
    objectives_from,
)
from tradloopd.optimize.progress import Progress, ProgressCallback
from tradloopd.optimize.results import SearchResult, TrialRecord
from tradloopd.optimize.space import GRID_POINTS, ParamSpace, space_for
from tradloopd.optimize.store import TrialStore, open_store
from tradloopd.optimize.trial import COMPLETE, INVALID, TrialJob, TrialResult
from tradloopd.optimize.workers import Executor, TrialRequest, Window, open_executor
from tradloopd.strategy import strategy_name

if TYPE_CHECKING:
    import optuna

    from tradloopd.data.bars import BarSeries
    from tradloopd.replay import ReplaySettings

METHODS = ("grid", "random", "tpe", "gp", "nsga2")
_BATCH = {"tpe": 8, "gp": 8, "nsga2": 20}
_SAVE_EVERY = 64
NS_PER_DAY = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class Inputs:
    """The strategy, bars and settings a search or walk-forward runs on."""

    strategy: type
    reference: str | type  # what workers load: a built-in name, a file path, or the class
    series: list[BarSeries]
    settings: ReplaySettings

    @property
    def name(self) -> str:
        return strategy_name(self.strategy)


def prepare(strategy: str | type, data: Any = "sample", *, symbols: Sequence[str] = (),
            settings: ReplaySettings | None = None, cash: float | None = None,
            fee: float | None = None, slippage_bps: float | None = None,
            clean: bool = False) -> Inputs:
    """Load the strategy and bars, and apply the overrides, exactly as `backtest()` does."""
    from tradloopd.backtest import SAMPLE, load_data, whole_shares, with_overrides
    from tradloopd.replay import ReplaySettings
    from tradloopd.strategy import load_strategy

    cls = load_strategy(strategy) if isinstance(strategy, str) else strategy
    reference: str | type = cls
    if isinstance(strategy, str):
        path = Path(strategy)
        reference = str(path.resolve()) if path.suffix == ".py" else strategy
    settings = with_overrides(settings or ReplaySettings(), cash=cash, fee=fee, slippage_bps=slippage_bps)
    if not isinstance(data, str | Path) and len(data) == 1 and data[0] == SAMPLE:
        data = SAMPLE
    series = load_data(data, symbols, clean=clean)
    if isinstance(data, str) and data == SAMPLE:
        settings = whole_shares(settings, series)  # the same whole-share rule as backtest()
    return Inputs(cls, reference, series, settings)


@dataclass(frozen=True)
class Search:
    """How to search: the space, the objectives, the method and its budget."""

    space: ParamSpace
    objectives: tuple[Objective, ...]
    method: str = "grid"
    n_trials: int | None = None
    seed: int = 0
    batch_size: int | None = None
    grid_points: int = GRID_POINTS

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"--method {self.method}: expected one of {', '.join(METHODS)}")
        if self.method == "gp" and len(self.objectives) > 1:
            raise ConfigError("--method gp optimises one objective; use nsga2 for several")
        if self.method != "grid" and (self.n_trials is None or self.n_trials < 1):
            raise ConfigError(f"--method {self.method} needs --trials N (N >= 1)")

    @property
    def batch(self) -> int:
        return self.batch_size or _BATCH.get(self.method, _SAVE_EVERY)

    def config(self, constraints: Constraints, data: Sequence[str]) -> dict[str, Any]:
        """What a stored study must match to be resumed."""
        return {"strategy": strategy_name(self.space.strategy), "method": self.method,
                "space": self.space.describe(), "fixed": {k: str(v) for k, v in self.space.fixed.items()},
                "objectives": [o.label() for o in self.objectives], "seed": self.seed,
                "constraints": constraints.describe(), "grid_points": self.grid_points,
                "batch": self.batch, "data": list(data)}

    def sampler(self) -> optuna.samplers.BaseSampler | None:
        import optuna

        startup = max(2, min(10, (self.n_trials or 0) // 5))
        if self.method == "tpe":
            return optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=startup)
        if self.method == "gp":
            from tradloopd.optimize.gp import GaussianProcessSampler

            return GaussianProcessSampler(seed=self.seed, n_startup_trials=startup)
        if self.method == "nsga2":
            return optuna.samplers.NSGAIISampler(population_size=max(2, self.batch), seed=self.seed)
        return None

    def candidates(self) -> list[dict[str, Any]]:
        """The trials of a grid or random search, in trial-number order."""
        if self.method == "grid":
            return list(self.space.grid(self.grid_points))
        rng = np.random.default_rng(self.seed)
        return [self.space.sample(rng) for _ in range(self.n_trials or 0)]

    def run(self, executor: Executor, store: TrialStore, *, window: Window | None = None,
            progress: ProgressCallback | None = None, window_index: int | None = None) -> SearchRun:
        """Run the trials not yet in `store`; Ctrl-C returns what finished, marked interrupted."""
        run = SearchRun(store.finished(), {}, False)
        total = len(self.candidates()) if self.method == "grid" else self.n_trials or 0
        tracker = _Tracker(self.objectives[0], total, progress, window_index, run.records)
        if self.method in ("grid", "random"):
            self._run_own(executor, store, run, tracker, window)
        else:
            self._run_optuna(executor, store, run, tracker, window)
        run.records.sort(key=lambda r: r.number)
        return run

    def _run_own(self, executor: Executor, store: TrialStore, run: SearchRun, tracker: _Tracker,
                 window: Window | None) -> None:
        done = {r.number for r in run.records}
        todo = [TrialRequest(i, p, window) for i, p in enumerate(self.candidates()) if i not in done]
        distributions = self.space.distributions()
        unsaved: list[TrialRecord] = []
        try:
            for number, result in executor.run(todo):
                record = run.keep(number, result)
                unsaved.append(record)
                if len(unsaved) >= _SAVE_EVERY:
                    batch, unsaved = unsaved, []  # never saved twice, even if Ctrl-C lands mid-save
                    store.add(batch, distributions)
                tracker.finished(record)
        except KeyboardInterrupt:
            run.interrupted = True
        store.add(unsaved, distributions)

    def _run_optuna(self, executor: Executor, store: TrialStore, run: SearchRun, tracker: _Tracker,
                    window: Window | None) -> None:
        distributions = self.space.distributions()
        while len(run.records) < (self.n_trials or 0) and not run.interrupted:
            size = min(self.batch, (self.n_trials or 0) - len(run.records))
            asked = [store.ask(distributions) for _ in range(size)]
            params = {t.number: {n: t.params[n] for n in self.space.names} for t in asked}
            requests = []
            for number, values in params.items():
                why = self.space.problem(values)
                if why is None:
                    requests.append(TrialRequest(number, values, window))
                else:
                    tracker.finished(run.keep(number, TrialResult(values, INVALID, (), {}, why, 0.0)))
            try:
                for number, result in executor.run(requests):
                    tracker.finished(run.keep(number, result))
            except KeyboardInterrupt:
                run.interrupted = True
            finally:  # told in number order: the same history for any worker count
                for trial in asked:
                    record = run.kept.get(trial.number)
                    if record is None:
                        store.abandon(trial, params[trial.number])
                    else:
                        store.tell(trial, record)


@dataclass
class SearchRun:
    records: list[TrialRecord]
    returns: dict[int, np.ndarray]
    interrupted: bool

    def __post_init__(self) -> None:
        self.kept: dict[int, TrialRecord] = {}

    def keep(self, number: int, result: TrialResult) -> TrialRecord:
        record = TrialRecord(number, result.params, result.state, result.values, result.metrics,
                             result.reason, result.duration_s)
        self.records.append(record)
        self.kept[number] = record
        if result.returns is not None:
            self.returns[number] = result.returns
        return record


class _Tracker:
    """Counts finished trials, keeps the best feasible value, reports progress."""

    def __init__(self, objective: Objective, total: int, progress: ProgressCallback | None,
                 window: int | None, done: Iterable[TrialRecord]) -> None:
        self.objective, self.total, self.progress, self.window = objective, total, progress, window
        self.done = 0
        self.best: float | None = None
        for record in done:
            self._count(record)

    def _count(self, record: TrialRecord) -> None:
        self.done += 1
        value = record.values[0] if record.values else None
        if record.state == COMPLETE and value is not None and (
                self.best is None or self.objective.better(value, self.best)):
            self.best = value

    def finished(self, record: TrialRecord) -> None:
        self._count(record)
        if self.progress is not None:
            self.progress(Progress("trial", self.done, max(self.total, self.done), self.best,
                                   self.window, record))


def optimize(
    strategy: str | type,
    data: Any = "sample",
    *,
    space: ParamSpace | Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    method: str = "grid",
    objective: str | Objective | Callable[..., Any] | Sequence[Any] = "sharpe",
    constraints: Constraints | Mapping[str, Any] | None = None,
    n_trials: int | None = None,
    grid_points: int = GRID_POINTS,
    seed: int = 0,
    batch_size: int | None = None,
    jobs: int = 1,
    dask_scheduler: str | None = None,
    symbols: Sequence[str] = (),
    settings: ReplaySettings | None = None,
    cash: float | None = None,
    fee: float | None = None,
    slippage_bps: float | None = None,
    clean: bool = False,
    storage: str | Path | None = None,
    study_name: str | None = None,
    resume: bool = False,
    fresh: bool = False,
    returns_period: str | int | None = None,
    progress: ProgressCallback | None = None,
) -> SearchResult:
    """Search the parameters of `strategy` on `data` (see the module docstring).

    `space` maps parameter names to ranges (`"5:50:5"`, `"0.1:10:log"`, `"a,b"`, a list, a
    `range`, a `Dimension`); without it every bounded parameter is searched. `params` fixes
    others. `returns_period` ("1D", "1h", "bar" or ns) keeps each trial's returns per period
    (`result.returns`) for the overfitting statistics. With `storage` (a journal file path or an
    Optuna URL), `resume` continues the stored study and `fresh` replaces it.
    """
    inputs = prepare(strategy, data, symbols=symbols, settings=settings, cash=cash, fee=fee,
                     slippage_bps=slippage_bps, clean=clean)
    chosen = space if isinstance(space, ParamSpace) else space_for(inputs.strategy, space, params)
    search = Search(chosen, objectives_from(objective), method, n_trials, seed, batch_size, grid_points)
    limits = constraints_from(constraints)
    period_ns = period_of(returns_period, inputs.series)
    job = TrialJob(inputs.reference, inputs.settings, search.objectives, limits, dict(chosen.fixed),
                   period_ns)
    store = open_store(storage=storage, study_name=study_name or f"{inputs.name}-{method}",
                       directions=[o.direction for o in search.objectives],
                       config=search.config(limits, [s.source for s in inputs.series]),
                       resume=resume, sampler=search.sampler(), replace=fresh)
    started = time.perf_counter()
    executor = open_executor(job, inputs.series, jobs=jobs, dask_scheduler=dask_scheduler)
    try:
        run = search.run(executor, store, progress=progress)
    finally:
        executor.close()
    returns = _returns_frame(run, inputs.series, period_ns) if period_ns is not None else None
    return SearchResult(inputs.name, method, chosen, search.objectives, limits, run.records,
                        run.interrupted, time.perf_counter() - started, returns,
                        {"data": [s.source for s in inputs.series], "jobs": executor.jobs})


def period_of(period: str | int | None, series: Sequence[BarSeries]) -> int | None:
    """Return period in ns: None (keep none), 0 (every bar), or a duration ("1D", "4h", ns)."""
    if period is None:
        return None
    if isinstance(period, int):
        return period
    if period == "bar":
        return 0
    if period == "auto":
        return NS_PER_DAY if min(s.timeframe_ns for s in series) < NS_PER_DAY else 0
    import pandas as pd

    try:
        return int(pd.Timedelta(period).value)
    except ValueError:
        raise ConfigError(f"returns period {period!r}: expected e.g. 1D, 4h, bar or auto") from None


def _returns_frame(run: SearchRun, series: Sequence[BarSeries], period_ns: int) -> Any:
    import pandas as pd

    marks = np.unique(np.concatenate([s.ts + s.timeframe_ns for s in series]))
    if period_ns > 0:
        marks = marks[np.flatnonzero(np.append(np.diff(marks // period_ns) != 0, True))]
    index = pd.DatetimeIndex(marks.view("datetime64[ns]"), name="period_end").tz_localize("UTC")
    columns = {n: r for n, r in sorted(run.returns.items()) if len(r) == len(index)}
    return pd.DataFrame(columns, index=index)
