"""Validation splitters over n time-ordered observations (bars, or per-period returns).

Each returns a list of `Split`s: integer index arrays you can inspect (`splits_frame`) and plot
(`plot_splits`). Time order is kept: a test set is never shuffled into the past.

- `expanding_splits`: time-series CV; train grows from the start, test is the next block.
- `rolling_splits`: fixed-length train window sliding forward, test right after it.
- `walk_forward_windows`: in-sample/out-of-sample windows, rolling or anchored, with a gap.
- `train_validation_test_split`: one chronological three-way split with gaps.
- `purged_kfold_splits`: k contiguous test folds; train drops every observation whose label
  overlaps a test label (purge) and an embargo after each test fold (López de Prado, AFML ch. 7).
- `combinatorial_purged_splits`: CPCV, every choice of k test groups out of N, purged and
  embargoed around each test group (AFML ch. 12), with the backtest paths they form.

Purging in bars: observation i's label spans bars i .. i + horizon. A train observation is purged
when its span shares a bar with a test observation's span, i.e. when it lies within `horizon`
bars before a test block or within `horizon` bars after it; the embargo then drops the next
`embargo` observations after that. So exactly `horizon` observations are purged before each test
block and `horizon + embargo` after it (fewer at the edges of the data).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class Split:
    """Index arrays of one split (sorted int64); `validation` only for train/validation/test."""

    train: np.ndarray
    test: np.ndarray
    validation: np.ndarray | None = None
    name: str = ""

    def describe(self) -> dict[str, Any]:
        row: dict[str, Any] = {"split": self.name, "train": len(self.train), "test": len(self.test)}
        for part in ("train", "validation", "test"):
            index = getattr(self, part)
            if index is not None and len(index):
                row[f"{part}_ranges"] = _ranges(index)
        return row


def expanding_splits(n: int, n_splits: int = 5, *, test_size: int | None = None, gap: int = 0,
                     min_train: int = 1) -> list[Split]:
    """Time-series CV: split k trains on [0, start_k - gap) and tests on [start_k, start_k + size)."""
    size = test_size or (n - gap) // (n_splits + 1)
    _require(size >= 1 and n_splits >= 1, f"{n} observations are too few for {n_splits} splits")
    first = n - n_splits * size
    _require(first - gap >= min_train, f"{n} observations leave no train set for {n_splits} tests "
             f"of {size} with gap {gap}")
    return [Split(np.arange(0, s - gap), np.arange(s, s + size), name=f"expanding {k + 1}")
            for k, s in enumerate(range(first, n - size + 1, size))]


def rolling_splits(n: int, train_size: int, test_size: int, *, step: int | None = None,
                   gap: int = 0) -> list[Split]:
    """Fixed-length train windows sliding by `step` (default `test_size`), each tested right after
    it (after `gap` observations)."""
    step = step or test_size
    _require(train_size >= 1 and test_size >= 1 and step >= 1, "sizes and step must be positive")
    starts = range(0, n - train_size - gap - test_size + 1, step)
    _require(len(starts) > 0, f"{n} observations are too few for train {train_size} + gap {gap} "
             f"+ test {test_size}")
    return [Split(np.arange(s, s + train_size),
                  np.arange(s + train_size + gap, s + train_size + gap + test_size),
                  name=f"rolling {k + 1}") for k, s in enumerate(starts)]


def walk_forward_windows(n: int, n_windows: int = 5, *, is_ratio: float = 3.0,
                         is_size: int | None = None, oos_size: int | None = None,
                         anchored: bool = False, gap: int = 0) -> list[Split]:
    """Walk-forward windows covering the end of the data with `n_windows` back-to-back OOS blocks.

    Without sizes, OOS = (n - gap) // (is_ratio + n_windows) and IS = is_ratio x OOS; the last OOS
    block takes the remainder. Rolling: each IS is the `is_size` observations ending `gap` before
    its OOS. Anchored: each IS starts at 0.
    """
    oos = oos_size or int((n - gap) // (is_ratio + n_windows))
    size = is_size or round(is_ratio * oos)
    _require(oos >= 1 and size >= 1, f"{n} observations are too few for {n_windows} windows")
    first = n - n_windows * oos
    _require(first - gap >= size, f"{n} observations are too few for in-sample {size} + gap {gap} + "
             f"{n_windows} x out-of-sample {oos}")
    windows = []
    for k in range(n_windows):
        start = first + k * oos
        stop = n if k == n_windows - 1 else start + oos
        train_start = 0 if anchored else start - gap - size
        windows.append(Split(np.arange(train_start, start - gap), np.arange(start, stop),
                             name=f"window {k + 1}"))
    return windows


def train_validation_test_split(n: int, train: float = 0.6, validation: float = 0.2, *,
                                gap: int = 0) -> Split:
    """One chronological split: train, then validation, then test, with `gap` between parts."""
    _require(train > 0 and validation >= 0 and train + validation < 1,
             "train and validation must be fractions with train + validation < 1")
    train_stop = int(n * train)
    validation_stop = int(n * (train + validation))
    parts = (np.arange(0, train_stop), np.arange(train_stop + gap, validation_stop),
             np.arange(validation_stop + gap, n))
    _require(all(len(p) for p in (parts[0], parts[2])), f"{n} observations are too few to split")
    return Split(parts[0], parts[2], parts[1], name="train/validation/test")


def purged_kfold_splits(n: int, n_splits: int = 5, *, horizon: int = 0, embargo: int = 0) -> list[Split]:
    """k contiguous test folds in order; each train set is everything else, purged and embargoed."""
    _require(2 <= n_splits <= n, f"need 2 <= n_splits <= {n}")
    folds = np.array_split(np.arange(n), n_splits)
    return [Split(_purged_train(n, [fold], horizon, embargo), fold, name=f"fold {k + 1}")
            for k, fold in enumerate(folds)]


def combinatorial_purged_splits(n: int, n_groups: int = 6, n_test_groups: int = 2, *,
                                horizon: int = 0, embargo: int = 0) -> list[Split]:
    """CPCV: the C(N, k) splits testing on k of N contiguous groups, purged and embargoed."""
    _require(1 <= n_test_groups < n_groups <= n, f"need 1 <= k < N <= {n}")
    groups = np.array_split(np.arange(n), n_groups)
    splits = []
    for chosen in itertools.combinations(range(n_groups), n_test_groups):
        tests = [groups[g] for g in chosen]
        splits.append(Split(_purged_train(n, tests, horizon, embargo), np.concatenate(tests),
                            name="test groups " + ",".join(str(g + 1) for g in chosen)))
    return splits


def cpcv_paths(n_groups: int, n_test_groups: int) -> np.ndarray:
    """Which split supplies each group of each backtest path: shape (paths, groups).

    Every group is tested in C(N-1, k-1) splits, which form phi = k/N x C(N, k) complete paths;
    path p takes its g-th group from the p-th split (in order) that tests group g.
    """
    combos = list(itertools.combinations(range(n_groups), n_test_groups))
    n_paths = math.comb(n_groups - 1, n_test_groups - 1)
    table = np.empty((n_paths, n_groups), dtype=np.int64)
    for g in range(n_groups):
        table[:, g] = [i for i, c in enumerate(combos) if g in c]
    return table


def _purged_train(n: int, tests: list[np.ndarray], horizon: int, embargo: int) -> np.ndarray:
    _require(horizon >= 0 and embargo >= 0, "horizon and embargo must not be negative")
    keep = np.ones(n, dtype=bool)
    for block in tests:
        start, stop = int(block[0]), int(block[-1]) + 1
        keep[max(0, start - horizon):min(n, stop + horizon + embargo)] = False
    return np.flatnonzero(keep)


def splits_frame(splits: list[Split]) -> pd.DataFrame:
    """One row per split: sizes and the index ranges of each part (e.g. "0-99, 120-199")."""
    import pandas as pd

    return pd.DataFrame([s.describe() for s in splits])


def plot_splits(splits: list[Split], path: Any, *, title: str = "splits") -> Any:
    """A PNG with one row per split: train blue, validation orange, test red, dropped blank."""
    from tradloopd.optimize.charts import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(splits) + 1.2))
    colors = {"train": "C0", "validation": "C1", "test": "C3"}
    for row, split in enumerate(splits):
        for part, color in colors.items():
            index = getattr(split, part)
            if index is not None and len(index):
                spans = [(a, b - a + 1) for a, b in _spans(index)]
                ax.broken_barh(spans, (row - 0.4, 0.8), color=color, label=part if row == 0 else None)
    ax.set(yticks=range(len(splits)), yticklabels=[s.name for s in splits], xlabel="observation",
           title=title)
    ax.invert_yaxis()
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _spans(index: np.ndarray) -> list[tuple[int, int]]:
    breaks = np.flatnonzero(np.diff(index) != 1)
    starts = np.concatenate(([index[0]], index[breaks + 1]))
    ends = np.concatenate((index[breaks], [index[-1]]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _ranges(index: np.ndarray) -> str:
    return ", ".join(f"{a}-{b}" for a, b in _spans(index))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)
