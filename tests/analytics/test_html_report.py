"""write_report and report_command: one self-contained HTML file plus PNG charts."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradloopd.analytics import charts
from tradloopd.analytics.catalog import METRICS
from tradloopd.analytics.display import format_value
from tradloopd.analytics.files import read_metrics_json
from tradloopd.analytics.report import report_command, write_report
from tradloopd.analytics.rundir import Run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHARTS = ("equity", "monthly", "rolling", "pnl", "trades")


def embedded_images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_single_run_report_is_self_contained(single_report: Path) -> None:
    run_dir = single_report.parent
    assert single_report.name == "report.html"
    html = single_report.read_text(encoding="utf-8")
    images = embedded_images(html)
    assert len(images) == len(CHARTS) == html.count("<img")
    assert all(image.startswith(PNG_MAGIC) for image in images)
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:)""", html)
    for absent in ("<script", "<link", "url(", "http://", "https://", "@import"):
        assert absent not in html
    for name in CHARTS:
        assert (run_dir / f"report_{name}.png").read_bytes() in images


def test_report_shows_every_metric_with_its_value(single_report: Path) -> None:
    html = single_report.read_text(encoding="utf-8")
    _, metrics = read_metrics_json(single_report.parent)
    for metric in METRICS:
        shown = format_value(metric.fmt, metrics[metric.key])
        assert re.search(rf">{re.escape(metric.label)}</td><td class=\"v\">{re.escape(shown)}<",
                         html), metric.key


def test_comparison_puts_runs_side_by_side(make_run_dir: Callable[..., Path]) -> None:
    first, second = make_run_dir("fast", seed=1), make_run_dir("slow", seed=2)
    out = write_report([first, second])
    assert out == first.parent / "compare.html"
    html = out.read_text(encoding="utf-8")
    assert "ma_cross (fast)" in html and "ma_cross (slow)" in html
    assert len(embedded_images(html)) == 1 + 2 * (len(CHARTS) - 1)
    header = re.search(r"<tr class=\"group\"><th>Returns</th>(.*?)</tr>", html).group(1)
    assert header.count("<th") == 2
    assert (first.parent / "compare_run2_monthly.png").is_file()


def test_report_command_writes_where_asked_and_prints_the_path(
    make_run_dir: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "mine.html"
    assert report_command([str(make_run_dir("run"))], str(out)) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.is_file()
    assert (tmp_path / "reports" / "mine_equity.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize("layout", ["missing", "empty-dir", "no-equity"])
def test_report_command_names_the_problem(tmp_path: Path, layout: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out"
    if layout != "missing":
        target.mkdir()
    if layout == "no-equity":
        (target / "metrics.json").write_text('{"run": {}, "metrics": {}}')
    assert report_command([str(target)], None) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(target) in err
    assert "Traceback" not in err


def in_memory_run(bars: int, trades: int) -> Run:
    """A Run with `bars` 1-minute marks and `trades` trades, without touching the disk."""
    index = pd.date_range("2024-01-01", periods=bars, freq="min", tz="UTC")
    close = 100 * np.exp(np.random.default_rng(4).normal(0, 0.001, bars).cumsum())
    equity = pd.DataFrame({"equity": 10_000 * close / close[0], "benchmark": 10_000.0,
                           "close:BTC/USDT": close}, index=index)
    at = np.linspace(0, bars - 2, trades).astype(int)
    trade_frame = pd.DataFrame({
        "entry_time": index[at], "exit_time": index[at + 1], "symbol": "BTC/USDT",
        "side": np.where(np.arange(trades) % 2 == 0, "long", "short"), "qty": 1.0,
        "entry_price": close[at], "exit_price": close[at + 1], "pnl": close[at + 1] - close[at],
    })
    return Run(Path("mem"), {"cash": 10_000.0}, {"periods_per_year": 525_960.0}, equity,
               trade_frame)


def test_long_series_are_decimated_before_plotting() -> None:
    run = in_memory_run(bars=300_000, trades=50)
    figure = charts.equity_chart([run])
    lines = figure.axes[0].get_lines()
    assert lines and all(len(line.get_xdata()) <= 4_002 for line in lines)
    rolling = charts.rolling_chart(run)
    assert all(len(line.get_xdata()) <= 4_002 for line in rolling.axes[0].get_lines()
               if len(line.get_xdata()) > 2)


def test_entries_and_exits_are_marked_on_the_price() -> None:
    run = in_memory_run(bars=2_000, trades=30)
    axes = charts.price_with_trades(run).axes[0]
    offsets = {c.get_label(): len(c.get_offsets()) for c in axes.collections}
    assert offsets == {"long entry": 15, "short entry": 15, "exit (green = win)": 30}


def test_a_run_without_trades_and_two_bars_still_reports(tmp_path: Path) -> None:
    from analytics_fixtures import long_only_backtest, synthetic_prices, write_run_dir

    ts, close = synthetic_prices(2)
    run_dir = write_run_dir(tmp_path / "tiny", long_only_backtest("SYN", ts, close, np.zeros(2)))
    html = write_report([run_dir]).read_text(encoding="utf-8")
    assert len(embedded_images(html)) == len(CHARTS)
    assert "n/a" in html


def test_trades_file_without_pnl_is_refused(make_run_dir: Callable[..., Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = make_run_dir("run", n=200)
    trades = pd.read_csv(run_dir / "trades.csv").drop(columns=["pnl"])
    trades.to_csv(run_dir / "trades.csv", index=False)
    assert report_command([str(run_dir)], None) == 1
    assert "missing column(s) pnl" in capsys.readouterr().err
