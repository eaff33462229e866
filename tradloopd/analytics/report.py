"""`tradloopd report`: the HTML report (and its PNG charts) of one or more backtest directories.

One directory: `DIR/report.html` with equity and drawdown, monthly returns, rolling Sharpe and
volatility, trade pnl distribution, trades on the price chart and the metrics table. Several:
`<parent of the first>/compare.html` with metrics side by side, overlaid equity, then each run.
Each chart is also written as `<report stem>_<chart>.png` next to the HTML file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tradloopd.analytics.html import EmbeddedChart, render_page
from tradloopd.analytics.rundir import Run, load_run
from tradloopd.errors import TradloopError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ChartMaker = Callable[[Run], "Figure"]


def write_report(run_dirs: list[Path], out: Path | None = None) -> Path:
    """Write the report of `run_dirs` to `out` (default as in the module doc); return its path."""
    from tradloopd.analytics import charts

    if not run_dirs:
        raise TradloopError("give at least one backtest output directory")
    runs = [load_run(Path(d)) for d in run_dirs]
    out = Path(out) if out is not None else _default_out([Path(d) for d in run_dirs])
    out.parent.mkdir(parents=True, exist_ok=True)
    per_run: list[tuple[str, str, ChartMaker]] = [
        ("monthly", "Monthly returns", charts.monthly_heatmap),
        ("rolling", "Rolling Sharpe and volatility", charts.rolling_chart),
        ("pnl", "Trade pnl distribution", charts.pnl_distribution),
        ("trades", "Entries and exits on the price chart", charts.price_with_trades),
    ]
    equity_title = "Equity and drawdown" if len(runs) == 1 else "Equity overlaid and drawdowns"
    sections = [(equity_title, [_chart(out, "equity", equity_title, charts.equity_chart(runs))])]
    for i, run in enumerate(runs):
        prefix = "" if len(runs) == 1 else f"run{i + 1}_"
        made = [_chart(out, prefix + slug, title, make(run)) for slug, title, make in per_run]
        sections.append((run.name if len(runs) > 1 else "Returns and trades", made))
    title = (f"Backtest report: {runs[0].name}" if len(runs) == 1
             else f"Backtest comparison: {len(runs)} runs")
    out.write_text(render_page(title, runs, sections), encoding="utf-8")
    return out


def _default_out(run_dirs: list[Path]) -> Path:
    if len(run_dirs) == 1:
        return run_dirs[0] / "report.html"
    return run_dirs[0].resolve().parent / "compare.html"


def _chart(out: Path, slug: str, title: str, figure: Figure) -> EmbeddedChart:
    from tradloopd.analytics.charts import figure_png

    png = figure_png(figure)
    (out.parent / f"{out.stem}_{slug}.png").write_bytes(png)
    return EmbeddedChart(title, png)


def report_command(dirs: list[str], out: str | None) -> int:
    """CLI entry: write the report, print its path; one error line and exit code 1 on failure."""
    try:
        path = write_report([Path(d) for d in dirs], Path(out) if out else None)
    except TradloopError as exc:
        print(f"tradloopd report: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tradloopd report: cannot write the report: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0
