"""Splitters never leak: test indices never train, purge and embargo widths are exact."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.errors import ConfigError
from tradloopd.optimize.splits import (
    combinatorial_purged_splits,
    cpcv_paths,
    expanding_splits,
    plot_splits,
    purged_kfold_splits,
    rolling_splits,
    splits_frame,
    train_validation_test_split,
    walk_forward_windows,
)


def removed_around(split, n: int) -> tuple[int, int]:
    """(observations missing from train just before the first test block, just after the last)."""
    train = set(split.train.tolist())
    first, last = int(split.test[0]), int(split.test[-1])
    before = next((k for k in range(1, n + 1) if first - k < 0 or first - k in train), n) - 1
    after = next((k for k in range(1, n + 1) if last + k >= n or last + k in train), n) - 1
    return before, after


@settings(max_examples=60, deadline=None)
@given(n=st.integers(60, 400), k=st.integers(2, 6), horizon=st.integers(0, 5), embargo=st.integers(0, 5))
def test_purged_kfold_never_trains_on_test_and_purges_exact_widths(n: int, k: int, horizon: int,
                                                                    embargo: int) -> None:
    splits = purged_kfold_splits(n, k, horizon=horizon, embargo=embargo)
    assert np.array_equal(np.sort(np.concatenate([s.test for s in splits])), np.arange(n))
    for s in splits:
        assert not np.intersect1d(s.train, s.test).size
        first, last = int(s.test[0]), int(s.test[-1])
        before, after = removed_around(s, n)
        assert before == min(horizon, first)
        assert after == min(horizon + embargo, n - 1 - last)
        # no train label (i .. i + horizon) overlaps any test label (j .. j + horizon)
        assert not np.any((s.train + horizon >= first) & (s.train <= last + horizon))
        assert len(s.train) == n - len(s.test) - before - after


@settings(max_examples=40, deadline=None)
@given(n=st.integers(60, 300), groups=st.integers(3, 7), data=st.data())
def test_cpcv_splits_cover_every_choice_of_test_groups_without_leaking(n: int, groups: int, data) -> None:
    k = data.draw(st.integers(1, groups - 1))
    horizon, embargo = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    splits = combinatorial_purged_splits(n, groups, k, horizon=horizon, embargo=embargo)
    assert len(splits) == math.comb(groups, k)
    blocks = np.array_split(np.arange(n), groups)
    for s in splits:
        assert not np.intersect1d(s.train, s.test).size
        for block in blocks:
            if np.isin(block, s.test).all():
                lo, hi = int(block[0]), int(block[-1])
                assert not np.any((s.train >= lo - horizon) & (s.train <= hi + horizon + embargo))
    tested = np.zeros(groups, dtype=int)
    for s in splits:
        tested += [np.isin(b, s.test).all() for b in blocks]
    assert (tested == math.comb(groups - 1, k - 1)).all()
    paths = cpcv_paths(groups, k)
    assert paths.shape == (math.comb(groups - 1, k - 1), groups)
    for g in range(groups):  # each path takes group g from a split that tests it
        assert all(np.isin(blocks[g], splits[i].test).all() for i in paths[:, g])


@settings(max_examples=60, deadline=None)
@given(n=st.integers(30, 500), k=st.integers(1, 5), gap=st.integers(0, 4))
def test_expanding_splits_train_only_on_the_past(n: int, k: int, gap: int) -> None:
    try:
        splits = expanding_splits(n, k, gap=gap)
    except ConfigError:
        return
    assert len(splits) == k and splits[-1].test[-1] == n - 1
    for a, b in itertools.pairwise(splits):
        assert len(b.train) > len(a.train) and b.test[0] == a.test[-1] + 1
    for s in splits:
        assert s.train[0] == 0 and s.train[-1] + gap + 1 == s.test[0]


def test_rolling_and_walk_forward_windows() -> None:
    rolling = rolling_splits(100, 30, 10, gap=2)
    assert [(s.train[0], s.train[-1], s.test[0], s.test[-1]) for s in rolling[:2]] == [
        (0, 29, 32, 41), (10, 39, 42, 51)]
    assert all(len(s.train) == 30 and len(s.test) == 10 for s in rolling)
    windows = walk_forward_windows(1000, 4, is_ratio=3, gap=5)
    oos = (1000 - 5) // 7
    assert [len(w.test) for w in windows[:3]] == [oos] * 3 and windows[-1].test[-1] == 999
    assert all(w.train[-1] + 6 == w.test[0] and len(w.train) == 3 * oos for w in windows)
    assert all(a.test[-1] + 1 == b.test[0] for a, b in itertools.pairwise(windows))
    anchored = walk_forward_windows(1000, 4, is_ratio=3, gap=5, anchored=True)
    assert all(w.train[0] == 0 and w.train[-1] + 6 == w.test[0] for w in anchored)


def test_train_validation_test_is_chronological_with_gaps(tmp_path) -> None:
    split = train_validation_test_split(100, 0.6, 0.2, gap=3)
    assert (split.train[-1], split.validation[0], split.validation[-1], split.test[0]) == (59, 63, 79, 83)
    frame = splits_frame([split, *purged_kfold_splits(20, 2, horizon=1)])
    assert list(frame["train_ranges"])[1:] == ["11-19", "0-8"]
    picture = plot_splits(purged_kfold_splits(50, 5, horizon=2, embargo=1), tmp_path / "s.png")
    assert picture.stat().st_size > 0


def test_impossible_splits_are_refused() -> None:
    with pytest.raises(ConfigError):
        walk_forward_windows(6, 5, is_ratio=3)  # not one bar per out-of-sample window
    with pytest.raises(ConfigError):
        purged_kfold_splits(10, 11)
    with pytest.raises(ConfigError):
        rolling_splits(10, 8, 5)
