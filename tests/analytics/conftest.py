"""Fixtures of the analytics tests (builders live in analytics_fixtures.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from analytics_fixtures import long_only_backtest, ma_cross_position, synthetic_prices, write_run_dir


@pytest.fixture
def make_run_dir(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a run directory of a seeded synthetic ma_cross backtest."""

    def make(name: str = "run", n: int = 3_000, seed: int = 7) -> Path:
        ts, close = synthetic_prices(n, seed=seed)
        return write_run_dir(tmp_path / name, long_only_backtest("SYN", ts, close,
                                                                 ma_cross_position(close)))

    return make


@pytest.fixture(scope="session")
def single_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of one synthetic run, rendered once per session (its run dir is its parent)."""
    from tradloopd.analytics.report import write_report

    ts, close = synthetic_prices(3_000, seed=7)
    bt = long_only_backtest("SYN", ts, close, ma_cross_position(close))
    return write_report([write_run_dir(tmp_path_factory.mktemp("report") / "run", bt)])
