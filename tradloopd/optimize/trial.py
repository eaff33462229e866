"""One trial: a parameter set replayed on fixed bars, reduced to objective values and a few metrics.

`TrialRunner` is built once per worker and bar window and reused for every trial there:

- a strategy with a vectorised `signals()` runs in the signal style on the vector engine (same
  fills as `on_bar`, checked by the engine's parity tests), unless the settings ask otherwise;
- its declared indicators are computed once per distinct declaration and cached, instead of
  once per trial (a grid over fast x slow computes each period once);
- the look-ahead re-check of `signals()` runs on the runner's first trial only;
- no files, no report, and only the metrics the objectives and constraints need (`lean.py`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec
import numpy as np

from tradloopd.data.bars import BarSeries
from tradloopd.errors import ConfigError, LookAheadError, ParameterError, StrategyError
from tradloopd.indicators.inputs import IndicatorError
from tradloopd.optimize.lean import lean_metrics, period_returns, replay_curve
from tradloopd.optimize.objective import Constraints, Objective, TrialView, wanted_metrics
from tradloopd.replay import Replay, ReplaySettings
from tradloopd.strategy import load_strategy, make_params, strategy_name, styles

COMPLETE, PRUNED, INVALID, FAILED = "complete", "pruned", "invalid", "failed"
"""Trial states: chosen from; broke a constraint; refused by the Params; failed to evaluate."""


@dataclass(frozen=True)
class TrialJob:
    """Everything a worker needs besides the bars and the parameters (picklable)."""

    strategy: str | type
    settings: ReplaySettings
    objectives: tuple[Objective, ...]
    constraints: Constraints = field(default_factory=Constraints)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    period_ns: int | None = None  # keep per-period returns for overfitting statistics

    def strategy_class(self) -> type:
        return load_strategy(self.strategy) if isinstance(self.strategy, str) else self.strategy


class TrialResult(NamedTuple):
    """A finished trial as it travels back from a worker."""

    params: dict[str, Any]
    state: str
    values: tuple[float | None, ...]
    metrics: dict[str, float | int | None]
    reason: str | None
    duration_s: float
    returns: np.ndarray | None = None


class Evaluation(NamedTuple):
    """A replayed parameter set with its curve, trades and metrics (kept by walk-forward)."""

    replay: Replay
    view: TrialView


class TrialRunner:
    """Runs parameter sets of one job on one set of bars, reusing what trials share."""

    def __init__(self, job: TrialJob, series: Sequence[BarSeries]) -> None:
        self.job = job
        self.series = list(series)
        self.strategy = job.strategy_class()
        self.wanted = wanted_metrics(job.objectives, job.constraints)
        settings = job.settings
        if settings.style == "auto" and "signal" in styles(self.strategy):
            settings = msgspec.structs.replace(settings, style="signal")
        self._check_next = settings.check_lookahead
        self.settings = msgspec.structs.replace(settings, check_lookahead=False)
        self._cls = self.strategy
        if settings.style == "signal" and len(self.series) == 1 and hasattr(self.strategy, "indicators"):
            self._cls = _cached_indicators(self.strategy, IndicatorCache(self.series[0]))

    def run(self, params: Mapping[str, Any]) -> TrialResult:
        """Replay one parameter set; a refused or failing set comes back with its reason."""
        start = time.perf_counter()
        try:
            evaluation = self.evaluate(params)
        except ParameterError as exc:
            return TrialResult(dict(params), INVALID, (), {}, str(exc), time.perf_counter() - start)
        except (StrategyError, IndicatorError) as exc:
            if isinstance(exc, LookAheadError):
                raise  # the strategy peeks at the future: no parameter set can fix that
            return TrialResult(dict(params), FAILED, (), {}, str(exc), time.perf_counter() - start)
        view = evaluation.view
        values = tuple(o.value(view) for o in self.job.objectives)
        reason = self.job.constraints.broken(view)
        state = PRUNED if reason else COMPLETE
        if any(v is None for v in values):
            state, reason = FAILED, reason or "objective undefined (e.g. no trades, flat equity)"
        returns = None
        if self.job.period_ns is not None:
            returns = period_returns(view.curve, self.job.period_ns)[1]
        return TrialResult(dict(params), state, values, dict(view.metrics), reason,
                           time.perf_counter() - start, returns)

    def evaluate(self, params: Mapping[str, Any], *, all_metrics: bool = False) -> Evaluation:
        """Replay and measure one parameter set (ParameterError when the Params refuse it)."""
        chosen = make_params(self.strategy, {**self.job.fixed, **params})
        settings = self.settings
        if self._check_next:
            settings = msgspec.structs.replace(settings, check_lookahead=True)
        replay = Replay(self._cls, chosen, self.series, settings).run()
        self._check_next = False
        if len(self.series) > 1:
            from tradloopd.results import summarize

            result = summarize(replay)
            view = TrialView(dict(params), result.metrics, result.curve, result.trades)
            return Evaluation(replay, view)
        curve, trades = replay_curve(replay)
        portfolio = replay.account.portfolio
        metrics = lean_metrics(curve, trades, fees_paid=float(portfolio.fees_paid),
                               traded_notional=float(portfolio.traded_notional),
                               wanted=None if all_metrics else self.wanted,
                               closes=self.series[0].close)
        return Evaluation(replay, TrialView(dict(params), metrics, curve, trades))


class IndicatorCache:
    """Indicator outputs over one series, computed once per distinct declaration (bounded LRU)."""

    def __init__(self, series: BarSeries, max_entries: int = 256) -> None:
        self.series = series
        self.max_entries = max_entries
        self._outputs: OrderedDict[tuple[Any, ...], dict[str, np.ndarray]] = OrderedDict()

    def columns(self, declared: Mapping[str, object], rows: int) -> dict[str, np.ndarray]:
        """The frame columns the engine would add for `declared`, cut to the first `rows` bars."""
        from tradloopd.indicators import Ind

        columns: dict[str, np.ndarray] = {}
        for key, spec in declared.items():
            if not isinstance(spec, Ind):
                raise ConfigError(f"indicator {key!r}: declare it with tradloopd.indicators.ind(...)")
            outputs = self._get(spec)
            if len(outputs) == 1:
                columns[key] = next(iter(outputs.values()))[:rows]
            else:
                columns.update({f"{key}.{name}": v[:rows] for name, v in outputs.items()})
        return columns

    def _get(self, spec: Any) -> dict[str, np.ndarray]:
        from tradloopd.indicators import compute

        key = (spec.name, spec.source, tuple(sorted(spec.params.items())))
        outputs = self._outputs.get(key)
        if outputs is None:
            outputs = compute(spec, self.series.columns(), self.series.ts)
            for array in outputs.values():
                array.flags.writeable = False
            self._outputs[key] = outputs
            if len(self._outputs) > self.max_entries:
                self._outputs.popitem(last=False)
        else:
            self._outputs.move_to_end(key)
        return outputs


def _cached_indicators(cls: type, cache: IndicatorCache) -> type:
    """A subclass whose indicators come from `cache`: the engine computes none, and `signals`
    receives the same frame columns it would have added."""

    def indicators(self: Any) -> dict[str, object]:
        return {}

    def signals(self: Any, frame: Any) -> Any:
        columns = cache.columns(cls.indicators(self), len(frame))
        return cls.signals(self, frame.assign(**columns) if columns else frame)  # type: ignore[attr-defined]

    namespace = {"indicators": indicators, "signals": signals, "name": strategy_name(cls),
                 "__module__": cls.__module__, "__qualname__": cls.__qualname__}
    return type(cls.__name__, (cls,), namespace)
