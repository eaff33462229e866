"""`validate()`: how much of the best backtest is luck? Search, then measure the search itself.

    report = validate("ma_cross", "prices.csv", space={"fast": "5:50:5", "slow": "60:300:20"},
                      cv="cpcv", n_groups=6, n_test_groups=2, horizon=1, embargo=1)
    print(report.verdict.text())

Every trial keeps its per-period returns (daily for intraday bars, per bar otherwise). From that
T x N matrix:

- the deflated Sharpe ratio of the chosen trial, with N = trials run and V = variance of their
  per-period Sharpe ratios;
- the probability of backtest overfitting by CSCV over `pbo_blocks` blocks;
- cross-validated selection: for each split of the chosen scheme (`cpcv`, `purged`, `expanding`,
  `rolling`, `tvt`), the trial with the best Sharpe on the train periods is scored on the test
  periods (train periods purged and embargoed where the scheme says so); CPCV also stitches its
  test groups into the backtest paths of López de Prado, one out-of-sample Sharpe per path;
- parameter stability around the best trial, and a plain-words verdict.

The selection inside the cross-validation uses the per-period Sharpe of the returns, whatever the
search objective, because it must be computed on the train periods alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.errors import ConfigError
from tradloopd.optimize.overfit import (
    DeflatedSharpe,
    Overfitting,
    Stability,
    Verdict,
    deflated_sharpe_from_returns,
    parameter_stability,
    probability_of_backtest_overfitting,
    sharpe_ratios,
    verdict,
)
from tradloopd.optimize.search import optimize
from tradloopd.optimize.splits import (
    Split,
    combinatorial_purged_splits,
    cpcv_paths,
    expanding_splits,
    plot_splits,
    purged_kfold_splits,
    rolling_splits,
    splits_frame,
    train_validation_test_split,
)

if TYPE_CHECKING:
    import pandas as pd

    from tradloopd.optimize.results import SearchResult

SCHEMES = ("cpcv", "purged", "expanding", "rolling", "tvt")


@dataclass(eq=False)
class ValidationReport:
    """The search, its overfitting statistics, the cross-validated selection and the verdict."""

    search: SearchResult
    dsr: DeflatedSharpe | None
    pbo: Overfitting | None
    scheme: str
    splits: list[Split]
    cv: pd.DataFrame
    paths: pd.DataFrame | None
    stability: Stability
    periods_per_year: float
    verdict: Verdict

    @property
    def degradation(self) -> float | None:
        """Mean test Sharpe / mean train Sharpe of the chosen trials (None unless train mean > 0)."""
        if not len(self.cv) or self.cv["train_sharpe"].mean() <= 0:
            return None
        return float(self.cv["test_sharpe"].mean() / self.cv["train_sharpe"].mean())

    def summary(self) -> dict[str, Any]:
        annual = math.sqrt(self.periods_per_year)
        dsr = None if self.dsr is None else {
            "dsr": self.dsr.dsr, "sharpe_per_period": self.dsr.sharpe,
            "sharpe_annualised": self.dsr.sharpe * annual,
            "sr0_per_period": self.dsr.benchmark, "sr0_annualised": self.dsr.benchmark * annual,
            "n_obs": self.dsr.n_obs, "n_trials": self.dsr.n_trials,
            "sharpe_variance": self.dsr.sharpe_variance, "skew": self.dsr.skew, "kurtosis": self.dsr.kurtosis}
        pbo = None if self.pbo is None else {
            "pbo": self.pbo.pbo, "blocks": self.pbo.n_blocks, "combinations": self.pbo.n_combinations,
            "prob_oos_loss": self.pbo.prob_oos_loss, "degradation_slope": self.pbo.slope,
            "degradation_intercept": self.pbo.intercept}
        return {"strategy": self.search.strategy, "trials": len(self.search.records),
                "best": self.search.best_params, "dsr": dsr, "pbo": pbo, "cv_scheme": self.scheme,
                "cv_splits": len(self.splits), "cv_degradation": self.degradation,
                "cv_mean_test_sharpe_annualised":
                    float(self.cv["test_sharpe"].mean() * annual) if len(self.cv) else None,
                "stability": vars(self.stability), "verdict": self.verdict.level,
                "reasons": list(self.verdict.reasons)}

    def write(self, out: str | Path) -> list[Path]:
        """validation.json, cv.csv, splits.csv, splits.png, paths.csv (CPCV) and the search's files."""
        out = Path(out)
        paths = self.search.write(out)
        (out / "validation.json").write_text(json.dumps(self.summary(), indent=2, default=str) + "\n",
                                             encoding="utf-8")
        self.cv.to_csv(out / "cv.csv", index=False)
        splits_frame(self.splits).to_csv(out / "splits.csv", index=False)
        paths += [out / "validation.json", out / "cv.csv", out / "splits.csv",
                  plot_splits(self.splits, out / "splits.png", title=f"{self.scheme} splits")]
        if self.paths is not None:
            self.paths.to_csv(out / "paths.csv", index=False)
            paths.append(out / "paths.csv")
        return paths


def validate(
    strategy: str | type,
    data: Any = "sample",
    *,
    space: Any = None,
    params: Mapping[str, Any] | None = None,
    method: str = "grid",
    objective: Any = "sharpe",
    constraints: Any = None,
    n_trials: int | None = None,
    cv: str = "cpcv",
    n_splits: int = 6,
    n_test_groups: int = 2,
    horizon: int = 0,
    embargo: int = 0,
    pbo_blocks: int = 16,
    returns_period: str | int = "auto",
    **search: Any,
) -> ValidationReport:
    """Search like `optimize()` (same keywords), then measure the overfitting (module docstring).

    `n_splits` is the number of folds (purged, expanding), of CPCV groups, or of rolling windows;
    `horizon` and `embargo` are in return periods."""
    if cv not in SCHEMES:
        raise ConfigError(f"--cv {cv}: expected one of {', '.join(SCHEMES)}")
    result = optimize(strategy, data, space=space, params=params, method=method, objective=objective,
                      constraints=constraints, n_trials=n_trials, returns_period=returns_period, **search)
    returns = result.returns
    if returns is None or returns.shape[1] < 2 or result.best is None:
        raise ConfigError("validation needs at least two trials with returns and one feasible trial")
    matrix = returns.to_numpy()
    numbers = list(returns.columns)
    chosen = numbers.index(result.best.number)
    dsr = deflated_sharpe_from_returns(matrix, chosen)
    pbo = _pbo(matrix, pbo_blocks)
    feasible = [numbers.index(r.number) for r in result.feasible if r.number in returns.columns]
    splits = _splits(cv, len(matrix), n_splits, n_test_groups, horizon, embargo)
    table, picks = _cross_validate(matrix, feasible, numbers, splits)
    paths = _paths(matrix, picks, n_splits, n_test_groups) if cv == "cpcv" else None
    stability = parameter_stability(result)
    ppy = _periods_per_year(returns)
    degradation = None
    if len(table) and table["train_sharpe"].mean() > 0:
        degradation = float(table["test_sharpe"].mean() / table["train_sharpe"].mean())
    judged = verdict(dsr=dsr, pbo=pbo, degradation=degradation, stability=stability)
    return ValidationReport(result, dsr, pbo, cv, splits, table, paths, stability, ppy, judged)


def _pbo(matrix: np.ndarray, blocks: int) -> Overfitting | None:
    while blocks >= 2 and len(matrix) < 2 * blocks:
        blocks -= 2
    return probability_of_backtest_overfitting(matrix, blocks) if blocks >= 2 else None


def _splits(cv: str, n: int, n_splits: int, k: int, horizon: int, embargo: int) -> list[Split]:
    if cv == "cpcv":
        return combinatorial_purged_splits(n, n_splits, k, horizon=horizon, embargo=embargo)
    if cv == "purged":
        return purged_kfold_splits(n, n_splits, horizon=horizon, embargo=embargo)
    if cv == "expanding":
        return expanding_splits(n, n_splits, gap=horizon + embargo)
    if cv == "rolling":
        size = n // (n_splits + 3)
        return rolling_splits(n, 3 * size, size, gap=horizon + embargo)
    return [train_validation_test_split(n, gap=horizon + embargo)]


def _cross_validate(matrix: np.ndarray, feasible: Sequence[int], numbers: Sequence[int],
                    splits: Sequence[Split]) -> tuple[pd.DataFrame, list[int]]:
    """Per split: the trial with the best train Sharpe among feasible trials, scored on test
    (and the matrix column of each split's pick)."""
    import pandas as pd

    rows, picks = [], []
    for split in splits:
        train = sharpe_ratios(matrix[split.train][:, feasible])
        test = sharpe_ratios(matrix[split.test])
        pick = feasible[int(np.argmax(train))]
        picks.append(pick)
        rows.append({"split": split.name, "trial": numbers[pick], "train_sharpe": float(train.max()),
                     "test_sharpe": float(test[pick]),
                     "test_percentile": float(np.mean(test <= test[pick])),
                     "train_periods": len(split.train), "test_periods": len(split.test)})
    columns = ["split", "trial", "train_sharpe", "test_sharpe", "test_percentile", "train_periods",
               "test_periods"]
    return pd.DataFrame(rows, columns=columns), picks


def _paths(matrix: np.ndarray, picks: Sequence[int], n_groups: int, k: int) -> pd.DataFrame:
    """CPCV backtest paths: each group's test returns from the trial its split chose."""
    import pandas as pd

    groups = np.array_split(np.arange(len(matrix)), n_groups)
    rows = []
    for p, route in enumerate(cpcv_paths(n_groups, k)):
        returns = np.concatenate([matrix[groups[g], picks[split]] for g, split in enumerate(route)])
        rows.append({"path": p + 1, "test_sharpe": float(sharpe_ratios(returns[:, None])[0]),
                     "total_return": float(np.prod(1 + returns) - 1)})
    return pd.DataFrame(rows, columns=["path", "test_sharpe", "total_return"])


def _periods_per_year(returns: pd.DataFrame) -> float:
    ts = returns.index.asi8
    years = (ts[-1] - ts[0]) / (365.25 * 86_400 * 1e9) if len(ts) > 1 else 0.0
    return (len(ts) - 1) / years if years > 0 else 1.0
