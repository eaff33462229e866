"""The terminal metrics table: grouped, aligned, printed with rich."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.columns import Columns
from rich.console import Console, RenderableType
from rich.table import Table

from tradloopd.analytics.catalog import GROUPS, METRICS, Group
from tradloopd.analytics.display import format_value

GROUP_TITLES: dict[Group, str] = {
    "returns": "Returns",
    "risk": "Risk",
    "trades": "Trades",
    "benchmark": "Benchmark",
}
_COLUMNS: tuple[tuple[Group, ...], ...] = (("returns", "risk"), ("trades", "benchmark"))


def build_table(metrics: Mapping[str, float | int | None]) -> RenderableType:
    """Two side-by-side tables (returns and risk | trades and benchmark); keys absent read n/a."""
    assert set(GROUPS) == {g for column in _COLUMNS for g in column}
    return Columns([_group_table(metrics, groups) for groups in _COLUMNS], padding=(0, 3))


def render_table(metrics: Mapping[str, float | int | None], console: Console | None = None) -> None:
    """Print the metrics table to `console` (a new stdout console by default)."""
    (console or Console()).print(build_table(metrics))


def _group_table(metrics: Mapping[str, float | int | None], groups: tuple[Group, ...]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column("metric", style="dim", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for group in groups:
        table.add_row(f"[bold cyan]{GROUP_TITLES[group]}[/]", "")
        rows = [m for m in METRICS if m.group == group]
        for i, metric in enumerate(rows):
            value = format_value(metric.fmt, metrics.get(metric.key))
            table.add_row(metric.label, value, end_section=i == len(rows) - 1)
    return table
