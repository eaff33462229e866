"""The terminal metrics table: grouped, aligned, printed with rich."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from rich import box
from rich.columns import Columns
from rich.console import Console, RenderableType
from rich.table import Table

from tradloopd.analytics.catalog import GROUPS, METRICS, Group, Metric
from tradloopd.analytics.display import format_value

GROUP_TITLES: dict[Group, str] = {
    "returns": "Returns",
    "risk": "Risk",
    "trades": "Trades",
    "benchmark": "Benchmark",
}
_COLUMNS: tuple[tuple[Group, ...], ...] = (("returns", "risk"), ("trades", "benchmark"))
assert set(GROUPS) == {group for column in _COLUMNS for group in column}


def build_table(
    metrics: Mapping[str, float | int | None], keys: Collection[str] | None = None
) -> RenderableType:
    """Two side-by-side tables (returns and risk | trades and benchmark); keys absent read n/a.

    `keys` restricts the rows (for example to `SUMMARY_KEYS`); the catalogue order is kept.
    """
    shown = [m for m in METRICS if keys is None or m.key in keys]
    tables = [_group_table(metrics, shown, groups) for groups in _COLUMNS]
    return Columns([t for t in tables if t.row_count], padding=(0, 3))


def render_table(
    metrics: Mapping[str, float | int | None],
    console: Console | None = None,
    *,
    keys: Collection[str] | None = None,
) -> None:
    """Print the metrics table to `console` (a new stdout console by default)."""
    (console or Console()).print(build_table(metrics, keys))


def _group_table(
    metrics: Mapping[str, float | int | None], shown: list[Metric], groups: tuple[Group, ...]
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_header=False, pad_edge=False, padding=(0, 1))
    table.add_column("metric", style="dim", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    for group in groups:
        rows = [m for m in shown if m.group == group]
        if rows:
            table.add_row(f"[bold cyan]{GROUP_TITLES[group]}[/]", "")
        for i, metric in enumerate(rows):
            value = format_value(metric.fmt, metrics.get(metric.key))
            table.add_row(metric.label, value, end_section=i == len(rows) - 1)
    return table
