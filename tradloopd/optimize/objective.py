"""What a search maximises or minimises, and which trials it refuses to choose.

An objective is a metric key of `tradloopd.analytics` (`"sharpe"`, `"calmar"`, `"total_return"`),
with an optional direction prefix (`"min:volatility"`, `"max:sortino"`), or a callable taking a
`TrialView` and returning a number. Most metrics are better when higher; the few where lower is
better (volatility, ulcer index, drawdown duration, turnover, fees) default to minimise.
`max_drawdown` is negative (-0.25 is 25% below the peak), so maximising it means a shallower one.

A constraint breaks a trial without removing it from the record: the trial keeps its metrics and
is told to the sampler as pruned (worse than any feasible trial), and it is never chosen as best.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradloopd.errors import ConfigError

if TYPE_CHECKING:
    from tradloopd.analytics.inputs import EquityCurve, TradeLog

LOWER_IS_BETTER = frozenset({
    "volatility", "ulcer_index", "max_drawdown_duration_s", "max_drawdown_recovery_s",
    "turnover", "annual_turnover", "fees_paid", "tracking_error", "avg_holding_s",
    "avg_bars_held", "max_consecutive_losses", "exposure_time", "avg_exposure",
})

REPORTED = ("total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown", "trades",
            "win_rate", "profit_factor", "exposure_time")
"""Metrics every trial reports besides the objectives and constraints (cheap ones only)."""


@dataclass(frozen=True)
class TrialView:
    """What a callable objective or constraint sees of one finished trial."""

    params: Mapping[str, Any]
    metrics: Mapping[str, float | int | None]
    curve: EquityCurve
    trades: TradeLog


@dataclass(frozen=True)
class Objective:
    """One value to optimise: a metric by key, or a callable of a `TrialView`."""

    name: str
    direction: str = "maximize"
    function: Callable[[TrialView], float | None] | None = None

    def __post_init__(self) -> None:
        if self.direction not in ("maximize", "minimize"):
            raise ConfigError(f"objective {self.name}: direction must be maximize or minimize")

    @property
    def metric(self) -> str | None:
        return None if self.function is not None else self.name

    def value(self, view: TrialView) -> float | None:
        raw = self.function(view) if self.function is not None else view.metrics.get(self.name)
        if raw is None:
            return None
        value = float(raw)
        return value if math.isfinite(value) else None

    def better(self, a: float, b: float) -> bool:
        return a > b if self.direction == "maximize" else a < b

    def label(self) -> str:
        if self.direction == default_direction(self.name):
            return self.name
        return f"{self.direction[:3]}:{self.name}"


def default_direction(metric: str) -> str:
    return "minimize" if metric in LOWER_IS_BETTER else "maximize"


def objectives_from(spec: str | Objective | Callable[..., Any] | Sequence[Any]) -> tuple[Objective, ...]:
    """Objectives from a metric key, "min:key"/"max:key", a callable, an Objective, or a list."""
    from tradloopd.analytics.catalog import METRIC_KEYS

    items = [spec] if isinstance(spec, str | Objective) or callable(spec) else list(spec)
    if not items:
        raise ConfigError("--objective: give at least one metric, e.g. sharpe")
    out: list[Objective] = []
    for item in items:
        if isinstance(item, Objective):
            out.append(item)
        elif callable(item):
            out.append(Objective(getattr(item, "__name__", "custom"), function=item))
        else:
            prefix, sep, key = str(item).strip().partition(":")
            key = key if sep else prefix
            direction = {"max": "maximize", "min": "minimize"}.get(prefix) if sep else None
            if (sep and direction is None) or key not in METRIC_KEYS:
                raise ConfigError(f"--objective {item}: expected a metric key (e.g. sharpe, calmar, "
                                  "total_return) with an optional min:/max: prefix")
            out.append(Objective(key, direction or default_direction(key)))
    return tuple(out)


@dataclass(frozen=True)
class Constraints:
    """Trials that may not be chosen: too few trades, too deep a drawdown, or a custom check.

    `max_drawdown` is a positive fraction (0.3 = at most 30% below the peak). A check returns a
    reason when it refuses the trial, else None.
    """

    min_trades: int | None = None
    max_drawdown: float | None = None
    checks: tuple[Callable[[TrialView], str | None], ...] = field(default_factory=tuple)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(name for name, limit in (("trades", self.min_trades),
                                              ("max_drawdown", self.max_drawdown)) if limit is not None)

    def broken(self, view: TrialView) -> str | None:
        """The first constraint the trial breaks, in words, or None."""
        trades = view.metrics.get("trades")
        if self.min_trades is not None and (trades or 0) < self.min_trades:
            return f"{trades or 0} trades < min {self.min_trades}"
        depth = view.metrics.get("max_drawdown")
        if self.max_drawdown is not None and depth is not None and -depth > self.max_drawdown:
            return f"drawdown {-depth:.1%} > max {self.max_drawdown:.1%}"
        for check in self.checks:
            reason = check(view)
            if reason:
                return reason
        return None

    def describe(self) -> dict[str, Any]:
        return {"min_trades": self.min_trades, "max_drawdown": self.max_drawdown,
                "checks": [getattr(c, "__name__", "check") for c in self.checks]}


def constraints_from(spec: Constraints | Mapping[str, Any] | None) -> Constraints:
    if spec is None:
        return Constraints()
    if isinstance(spec, Constraints):
        return spec
    return Constraints(**dict(spec))


def wanted_metrics(objectives: Sequence[Objective], constraints: Constraints) -> frozenset[str] | None:
    """The metric keys trials must compute, or None (all of them) when a callable is involved."""
    if any(o.function is not None for o in objectives) or constraints.checks:
        return None
    return frozenset(REPORTED) | {o.name for o in objectives} | set(constraints.metrics)
