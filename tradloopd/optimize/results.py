"""What a search produced: every trial, the best parameters, the Pareto front and convergence.

`SearchResult.trials` is a DataFrame with one row per trial (number, state, each parameter,
each objective value, the reported metrics, reason, duration). `write(out)` puts trials.csv,
best.json, convergence.png and a heatmap of two parameters in a directory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from tradloopd.optimize.objective import Constraints, Objective
from tradloopd.optimize.trial import COMPLETE

if TYPE_CHECKING:
    import pandas as pd

    from tradloopd.optimize.space import ParamSpace


class TrialRecord(NamedTuple):
    """One finished trial of a search."""

    number: int
    params: dict[str, Any]
    state: str
    values: tuple[float | None, ...]
    metrics: dict[str, float | int | None]
    reason: str | None
    duration_s: float


@dataclass(eq=False)
class SearchResult:
    """The trials of one search, in trial-number order, and what follows from them."""

    strategy: str
    method: str
    space: ParamSpace
    objectives: tuple[Objective, ...]
    constraints: Constraints
    records: list[TrialRecord]
    interrupted: bool = False
    seconds: float = 0.0
    returns: pd.DataFrame | None = None  # per-period returns, one column per trial number
    info: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def trials(self) -> pd.DataFrame:
        import pandas as pd

        names = self.space.names
        metric_keys = list(dict.fromkeys(k for r in self.records for k in r.metrics))
        labels = [o.label() for o in self.objectives]
        rows = []
        for r in self.records:
            values = r.values if len(r.values) == len(labels) else (None,) * len(labels)
            rows.append({"number": r.number, "state": r.state,
                         **{f"param_{n}": r.params.get(n) for n in names},
                         **{f"value_{label}": v for label, v in zip(labels, values, strict=True)},
                         **{k: r.metrics.get(k) for k in metric_keys},
                         "reason": r.reason, "duration_s": round(r.duration_s, 6)})
        columns = ["number", "state", *(f"param_{n}" for n in names), *(f"value_{x}" for x in labels),
                   *metric_keys, "reason", "duration_s"]
        return pd.DataFrame(rows, columns=columns)

    @property
    def feasible(self) -> list[TrialRecord]:
        return [r for r in self.records if r.state == COMPLETE]

    @cached_property
    def best(self) -> TrialRecord | None:
        """The best feasible trial by the first objective (ties: the lower trial number)."""
        first = self.objectives[0]
        best: TrialRecord | None = None
        for record in self.feasible:
            value = record.values[0]
            if value is not None and (best is None or first.better(value, best.values[0])):  # type: ignore[arg-type]
                best = record
        return best

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's searched parameters plus the fixed ones (empty when none is feasible)."""
        return {} if self.best is None else {**self.space.fixed, **self.best.params}

    @property
    def best_value(self) -> float | None:
        return None if self.best is None else self.best.values[0]

    @cached_property
    def pareto(self) -> list[TrialRecord]:
        """Feasible trials no other feasible trial beats on every objective (all objectives)."""
        points = [(r, _oriented(r.values, self.objectives)) for r in self.feasible]
        front = []
        for record, mine in points:
            dominated = any(np.all(other >= mine) and np.any(other > mine) for _, other in points)
            if not dominated:
                front.append(record)
        return front

    def convergence(self) -> pd.DataFrame:
        """Per trial number: its first objective value and the best feasible value so far."""
        import pandas as pd

        first = self.objectives[0]
        best: float | None = None
        rows = []
        for r in self.records:
            value = r.values[0] if r.values else None
            if r.state == COMPLETE and value is not None and (best is None or first.better(value, best)):
                best = value
            rows.append({"number": r.number, "value": value, "best": best})
        return pd.DataFrame(rows, columns=["number", "value", "best"])

    def summary(self) -> dict[str, Any]:
        """The headline facts as plain JSON-able values (best.json)."""
        best = self.best
        return {
            "strategy": self.strategy, "method": self.method,
            "objectives": [o.label() for o in self.objectives],
            "constraints": self.constraints.describe(), "space": self.space.describe(),
            "fixed": dict(self.space.fixed), "trials": len(self.records),
            "feasible": len(self.feasible), "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "best": None if best is None else {
                "number": best.number, "params": self.best_params,
                "values": dict(zip([o.label() for o in self.objectives], best.values, strict=True)),
                "metrics": best.metrics},
            "pareto": [{"number": r.number, "params": r.params, "values": list(r.values)}
                       for r in self.pareto] if len(self.objectives) > 1 else None,
            **self.info,
        }

    def write(self, out: str | Path, *, heatmap: Sequence[str] | None = None) -> list[Path]:
        """trials.csv, best.json, convergence.png and (with two or more parameters) heatmap.png."""
        from tradloopd.optimize.charts import convergence_chart, heatmap_chart

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "trials.csv", out / "best.json"]
        self.trials.to_csv(paths[0], index=False)
        paths[1].write_text(json.dumps(self.summary(), indent=2, default=_jsonable) + "\n", encoding="utf-8")
        if self.records:
            paths.append(convergence_chart(self, out / "convergence.png"))
        pair = list(heatmap or self.space.names[:2])
        if len(pair) == 2 and self.feasible:
            paths.append(heatmap_chart(self, pair[0], pair[1], out / "heatmap.png"))
        return paths


def _oriented(values: Sequence[float | None], objectives: Sequence[Objective]) -> np.ndarray:
    return np.array([v if o.direction == "maximize" else -v  # type: ignore[operator]
                     for v, o in zip(values, objectives, strict=True)], dtype=np.float64)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)
