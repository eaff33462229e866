"""The report's matplotlib figures (Agg, no pyplot): equity and drawdown, monthly returns,
rolling Sharpe and volatility, trade pnl distribution, and trades marked on the price chart.

Long series are min-max decimated before plotting, so a 1M-bar run renders in seconds.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.analytics.decimate import minmax_indices
from tradloopd.analytics.monthly import monthly_returns
from tradloopd.analytics.rundir import CLOSE_PREFIX, Run

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PALETTE = ("#1f5fa8", "#d9822b", "#2e9d57", "#a83c8e", "#6b6b6b", "#c23b3b")
WIN, LOSS, GRID = "#2e9d57", "#c23b3b", "#e6e6e6"
MAX_PRICE_PANELS = 4
MAX_MARKERS = 20_000


def new_figure(height_in: float, rows: int = 1, ratios: tuple[float, ...] | None = None
               ) -> tuple[Figure, list[Axes]]:
    """An Agg-backed figure 11 in wide with `rows` stacked axes sharing the x axis."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": ratios} if ratios else None)
    for ax in axes[:, 0]:
        ax.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
    return fig, list(axes[:, 0])


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _times(index: pd.DatetimeIndex) -> np.ndarray:
    return index.tz_convert(None).to_numpy() if index.tz is not None else index.to_numpy()


def _line(ax: Axes, series: pd.Series, **style: Any) -> None:
    keep = minmax_indices(series.to_numpy(dtype=np.float64))
    ax.plot(_times(series.index)[keep], series.to_numpy(dtype=np.float64)[keep], **style)


def _log_scale_if_wide(ax: Axes, values: np.ndarray) -> None:
    """Log y axis when positive values span more than a factor of 20."""
    values = values[np.isfinite(values)]
    if len(values) and values.min() > 0 and values.max() / values.min() > 20:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.10g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())


def _empty(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#666")


def equity_chart(runs: list[Run]) -> Figure:
    """Equity (with the benchmark for one run) over the underwater drawdown plot."""
    fig, (top, bottom) = new_figure(6.0, rows=2, ratios=(3, 1.3))
    several = len(runs) > 1
    for i, run in enumerate(runs):
        color = PALETTE[i % len(PALETTE)]
        equity = run.equity["equity"]
        start = float(run.info.get("cash") or equity.iloc[0])
        shown = (equity / start - 1.0) * 100 if several else equity
        _line(top, shown, color=color, linewidth=1.2, label=run.name)
        if not several:
            _log_scale_if_wide(top, equity.to_numpy(dtype=np.float64))
        if not several and "benchmark" in run.equity:
            _line(top, run.equity["benchmark"], color="#888", linewidth=1.0, linestyle="--",
                  label="benchmark (buy and hold)")
        peak = np.maximum(np.maximum.accumulate(equity.to_numpy()), start)
        drawdown = (equity / peak - 1.0) * 100
        keep = minmax_indices(drawdown.to_numpy())
        x = _times(drawdown.index)[keep]
        bottom.fill_between(x, drawdown.to_numpy()[keep], 0.0, color=color,
                            alpha=0.25 if several else 0.45, linewidth=0)
    top.set_title("Equity" + (" (return since start, %)" if several else ""), loc="left")
    top.set_ylabel("return %" if several else "equity")
    top.legend(loc="upper left", fontsize=8, frameon=False)
    bottom.set_ylabel("drawdown %")
    bottom.set_xlabel("time (UTC)")
    return fig


def monthly_heatmap(run: Run) -> Figure:
    """Calendar-month returns as a red/green grid with the yearly total in the last column."""
    grid = monthly_returns(run.equity["equity"], run.info.get("cash"))
    values = grid.to_numpy(dtype=np.float64) * 100
    fig, (ax,) = new_figure(max(2.2, 0.42 * len(grid) + 1.3))
    ax.grid(False)
    months = values[:, :12]  # the colour scale follows the months; yearly totals saturate
    limit = max(float(np.nanmax(np.abs(months))), 1e-9) if np.isfinite(months).any() else 1.0
    ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=-limit, vmax=limit,
              aspect="auto")
    labels = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec", "Year"]
    ax.set_xticks(range(13), labels)
    ax.set_yticks(range(len(grid)), [str(y) for y in grid.index])
    ax.axvline(11.5, color="white", linewidth=3)
    for (row, col), value in np.ndenumerate(values):
        if math.isfinite(value):
            ax.text(col, row, f"{value:.1f}", ha="center", va="center", fontsize=8)
    ax.set_title("Monthly returns (%)", loc="left")
    return fig


def rolling_chart(run: Run) -> Figure:
    """Rolling annualised Sharpe ratio and volatility over about three months of bars."""
    equity = run.equity["equity"]
    ppy = _periods_per_year(run)
    window = _rolling_window(len(equity), ppy)
    fig, (top, bottom) = new_figure(4.8, rows=2)
    returns = equity.pct_change().replace([np.inf, -np.inf], np.nan)
    rolling = returns.rolling(window, min_periods=window)
    std = rolling.std().replace(0.0, np.nan)
    sharpe = (rolling.mean() / std * math.sqrt(ppy)).dropna()
    vol = (std * math.sqrt(ppy) * 100).dropna()
    if sharpe.empty:
        _empty(top, "not enough bars for a rolling window")
    else:
        _line(top, sharpe, color=PALETTE[0], linewidth=1.0)
        _line(bottom, vol, color=PALETTE[1], linewidth=1.0)
    top.axhline(0.0, color="#444", linewidth=0.8)
    top.set_title(f"Rolling Sharpe and volatility ({window:,} bars)", loc="left")
    top.set_ylabel("Sharpe (ann.)")
    bottom.set_ylabel("volatility % (ann.)")
    return fig


def _periods_per_year(run: Run) -> float:
    ppy = run.metrics.get("periods_per_year")
    if isinstance(ppy, int | float) and ppy > 0:
        return float(ppy)
    index = run.equity.index
    span_s = (index[-1] - index[0]).total_seconds() if len(index) > 1 else 0.0
    return (len(index) - 1) / (span_s / (365.25 * 86400)) if span_s > 0 else 252.0


def _rolling_window(bars: int, ppy: float) -> int:
    """A quarter of a year of bars, shrunk to a tenth of the run when the run is short."""
    window = max(round(ppy / 4), 2)
    return window if window * 3 <= bars else max(bars // 10, 2)


def pnl_distribution(run: Run) -> Figure:
    """Histogram of net trade pnl, wins green and losses red, with the mean marked."""
    fig, (ax,) = new_figure(3.6)
    pnl = run.trades["pnl"].to_numpy(dtype=np.float64) if len(run.trades) else np.empty(0)
    pnl = pnl[np.isfinite(pnl)]
    if len(pnl) == 0:
        _empty(ax, "no closed trades")
    else:
        count = int(min(60, max(10, math.sqrt(len(pnl)))))
        bins = np.histogram_bin_edges(pnl, bins=count).tolist()
        ax.hist(pnl[pnl > 0], bins=bins, color=WIN, alpha=0.85, label="wins")
        ax.hist(pnl[pnl <= 0], bins=bins, color=LOSS, alpha=0.85, label="losses / flat")
        ax.axvline(float(pnl.mean()), color="#222", linestyle="--", linewidth=1,
                   label=f"mean {pnl.mean():,.2f}")
        ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"Trade pnl distribution ({len(pnl):,} trades)", loc="left")
    ax.set_xlabel("net pnl per trade")
    ax.set_ylabel("trades")
    return fig


def price_with_trades(run: Run) -> Figure:
    """Close of each traded symbol with entries (triangles) and exits (crosses) marked."""
    symbols = run.symbols[:MAX_PRICE_PANELS]
    fig, axes = new_figure(2.2 + 2.6 * max(len(symbols), 1), rows=max(len(symbols), 1))
    if not symbols:
        _empty(axes[0], "equity.csv has no close:<SYMBOL> column")
    for ax, symbol in zip(axes, symbols, strict=False):
        close = run.equity[CLOSE_PREFIX + symbol].dropna()
        _line(ax, close, color="#555", linewidth=0.9)
        _log_scale_if_wide(ax, close.to_numpy(dtype=np.float64))
        _mark_trades(ax, _symbol_trades(run, symbol))
        ax.set_ylabel(symbol)
    more = len(run.symbols) - len(symbols)
    suffix = f" (first {len(symbols)} of {len(run.symbols)} symbols)" if more > 0 else ""
    axes[0].set_title("Price with entries and exits" + suffix, loc="left")
    return fig


def _symbol_trades(run: Run, symbol: str) -> pd.DataFrame:
    trades = run.trades
    if trades.empty or "symbol" not in trades:
        return trades
    mine = trades[trades["symbol"].astype(str) == symbol]
    step = max(1, math.ceil(len(mine) / MAX_MARKERS))
    return mine.iloc[::step]


def _mark_trades(ax: Axes, trades: pd.DataFrame) -> None:
    import pandas as pd

    if trades.empty:
        return
    long_side = _is_long(trades["side"])
    entries = _times(pd.DatetimeIndex(trades["entry_time"]))
    exits = _times(pd.DatetimeIndex(trades["exit_time"]))
    entry_price = trades["entry_price"].to_numpy(dtype=np.float64)
    won = trades["pnl"].to_numpy(dtype=np.float64) > 0
    for mask, marker, color, label in ((long_side, "^", WIN, "long entry"),
                                       (~long_side, "v", LOSS, "short entry")):
        if mask.any():
            ax.scatter(entries[mask], entry_price[mask], marker=marker, s=28, color=color,
                       label=label, zorder=3)
    ax.scatter(exits, trades["exit_price"].to_numpy(dtype=np.float64), marker="x", s=24,
               c=np.where(won, WIN, LOSS), label="exit (green = win)", zorder=3)
    ax.legend(fontsize=7, frameon=False, loc="upper left")


def _is_long(side: pd.Series) -> np.ndarray:
    """Long flags from a side column written as +1/-1 or as long/short (buy/sell)."""
    if side.dtype.kind in "iuf":
        return side.to_numpy(dtype=np.float64) > 0
    return side.astype(str).str.strip().str.lower().isin(("long", "buy", "1", "+1")).to_numpy()
