"""The terminal table shows every metric, grouped, formatted and aligned."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from tradloopd.analytics.catalog import METRICS, SUMMARY_KEYS
from tradloopd.analytics.display import format_duration, format_value
from tradloopd.analytics.table import render_table

SAMPLE = {
    "total_return": 0.1234, "cagr": -0.05, "sharpe": 1.456, "max_drawdown": -0.2512,
    "max_drawdown_duration_s": 3 * 86_400 + 4 * 3_600, "trades": 1234, "win_rate": None,
    "var_95": -0.012345, "final_equity": 12_345.678,
}


def rendered(metrics: dict, width: int = 100) -> str:
    console = Console(record=True, width=width, color_system=None)
    render_table(metrics, console)
    return console.export_text()


def test_every_label_and_group_is_shown() -> None:
    text = rendered(SAMPLE)
    for title in ("Returns", "Risk", "Trades", "Benchmark"):
        assert title in text
    for metric in METRICS:
        assert metric.label in text, metric.label


def value_of(text: str, label: str) -> str:
    """The value printed right of `label` (columns are separated by 2+ spaces)."""
    pattern = rf"(?:^| ){re.escape(label)} {{2,}}(\S+(?: \S+)*?)(?: {{2,}}| *$)"
    return next(m.group(1) for line in text.splitlines() if (m := re.search(pattern, line)))


def test_values_are_formatted() -> None:
    text = rendered(SAMPLE)
    assert value_of(text, "Total return") == "12.34%"
    assert value_of(text, "CAGR") == "-5.00%"
    assert value_of(text, "Sharpe") == "1.46"
    assert value_of(text, "Max drawdown") == "-25.12%"
    assert value_of(text, "Longest drawdown") == "3d 4h"
    assert value_of(text, "Trades") == "1,234"
    assert value_of(text, "Win rate") == "n/a"
    assert value_of(text, "VaR 95% (hist.)") == "-1.234%"
    assert value_of(text, "Final equity") == "12,345.68"


def test_values_are_right_aligned_in_each_column() -> None:
    lines = rendered(SAMPLE).splitlines()
    ends = set()
    for label in ("Total return", "Max drawdown", "Longest drawdown", "Skew"):
        line = next(line for line in lines if line.lstrip().startswith(label))
        value = value_of(line, label)
        ends.add(line.index(value, line.index(label) + len(label)) + len(value))
    assert len(ends) == 1


def test_narrow_terminal_stacks_the_columns() -> None:
    text = rendered(SAMPLE, width=50)
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 50
    assert text.index("Risk") < text.index("Trades")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (300, "5m"), (3_661, "1h 1m"), (86_400, "1d"),
     (400 * 86_400, "1y 35d"), (-90, "-1m 30s")],
)
def test_durations_read_like_a_person_writes_them(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_non_finite_values_never_print_as_numbers() -> None:
    assert format_value("ratio", float("inf")) == "n/a"
    assert format_value("pct", float("nan")) == "n/a"
    assert format_value("int", None) == "n/a"


def test_summary_table_shows_only_the_headline_metrics() -> None:
    console = Console(record=True, width=100, color_system=None)
    render_table(SAMPLE, console, keys=SUMMARY_KEYS)
    text = console.export_text()
    assert "Total return" in text and "Exposure time" in text and "Trades" in text
    assert "Ulcer index" not in text and "Benchmark" not in text
    assert value_of(text, "Max drawdown") == "-25.12%"
