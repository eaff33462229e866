"""Research: parameter search, walk-forward, validation splitters and overfitting statistics.

Names are imported lazily, so `import tradloopd.optimize` (and `tradloopd --help`) costs nothing
until a search runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tradloopd.optimize.objective import Constraints, Objective, TrialView
    from tradloopd.optimize.overfit import (
        Verdict,
        deflated_sharpe_ratio,
        expected_max_sharpe,
        parameter_stability,
        probabilistic_sharpe_ratio,
        probability_of_backtest_overfitting,
    )
    from tradloopd.optimize.progress import Progress
    from tradloopd.optimize.results import SearchResult, TrialRecord
    from tradloopd.optimize.search import METHODS, optimize
    from tradloopd.optimize.space import Dimension, ParamSpace, space_for
    from tradloopd.optimize.splits import (
        Split,
        combinatorial_purged_splits,
        expanding_splits,
        purged_kfold_splits,
        rolling_splits,
        train_validation_test_split,
        walk_forward_windows,
    )
    from tradloopd.optimize.validation import ValidationReport, validate
    from tradloopd.optimize.walkforward import WalkForwardResult, walk_forward

_HOMES = {
    "Constraints": "objective", "Objective": "objective", "TrialView": "objective",
    "Verdict": "overfit", "deflated_sharpe_ratio": "overfit", "expected_max_sharpe": "overfit",
    "parameter_stability": "overfit", "probabilistic_sharpe_ratio": "overfit",
    "probability_of_backtest_overfitting": "overfit",
    "Progress": "progress",
    "SearchResult": "results", "TrialRecord": "results",
    "METHODS": "search", "optimize": "search",
    "Dimension": "space", "ParamSpace": "space", "space_for": "space",
    "Split": "splits", "combinatorial_purged_splits": "splits", "expanding_splits": "splits",
    "purged_kfold_splits": "splits", "rolling_splits": "splits",
    "train_validation_test_split": "splits", "walk_forward_windows": "splits",
    "ValidationReport": "validation", "validate": "validation",
    "WalkForwardResult": "walkforward", "walk_forward": "walkforward",
}

__all__ = [  # noqa: RUF022 - grouped by home module, as in _HOMES
    "Constraints",
    "Objective",
    "TrialView",
    "Verdict",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "parameter_stability",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "Progress",
    "SearchResult",
    "TrialRecord",
    "METHODS",
    "optimize",
    "Dimension",
    "ParamSpace",
    "space_for",
    "Split",
    "combinatorial_purged_splits",
    "expanding_splits",
    "purged_kfold_splits",
    "rolling_splits",
    "train_validation_test_split",
    "walk_forward_windows",
    "ValidationReport",
    "validate",
    "WalkForwardResult",
    "walk_forward",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
