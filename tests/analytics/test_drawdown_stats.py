"""Drawdown depth, time under water, recovery and ulcer index on hand-made curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradloopd.analytics.drawdown import drawdown_series, drawdown_stats

DAY_NS = 86_400 * 1_000_000_000
DAY_S = 86_400.0


def stats(equity: list[float], initial: float = 100.0):
    ts = np.arange(len(equity), dtype=np.int64) * DAY_NS
    return drawdown_stats(ts, np.asarray(equity, dtype=float), initial)


def test_two_drawdowns_the_deepest_not_recovered() -> None:
    equity = [100, 110, 99, 88, 110, 120, 60, 90]
    dd = drawdown_series(np.asarray(equity, dtype=float), 100.0)
    assert dd == pytest.approx([0, 0, -0.1, -0.2, 0, 0, -0.5, -0.25])
    result = stats(equity)
    assert result.max_drawdown == pytest.approx(-0.5)
    assert result.longest_s == 3 * DAY_S  # peak on day 1, back at it on day 4
    assert result.recovery_s is None
    assert result.ulcer_index == pytest.approx(math.sqrt((0.01 + 0.04 + 0.25 + 0.0625) / 8))


def test_recovered_drawdown() -> None:
    result = stats([100, 80, 90, 100, 95])
    assert result.max_drawdown == pytest.approx(-0.2)
    assert result.recovery_s == 2 * DAY_S  # trough day 1, back at 100 on day 3
    assert result.longest_s == 3 * DAY_S  # peak day 0 to day 3 beats day 3 to the end


def test_a_loss_on_the_first_bar_is_a_drawdown_from_the_initial_cash() -> None:
    result = stats([90, 95, 100])
    assert result.max_drawdown == pytest.approx(-0.1)
    assert result.longest_s == 2 * DAY_S
    assert result.recovery_s == 2 * DAY_S


def test_new_highs_only() -> None:
    result = stats([100, 101, 102])
    assert result.max_drawdown == 0.0
    assert result.longest_s == 0.0
    assert result.recovery_s == 0.0
    assert result.ulcer_index == 0.0


def test_empty_curve() -> None:
    result = stats([])
    assert result.max_drawdown is result.longest_s is result.ulcer_index is None
