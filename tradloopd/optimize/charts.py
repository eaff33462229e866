"""PNG charts of research results (matplotlib's Agg backend, imported only when a chart is drawn):
the convergence of a search, a heatmap of the objective over two parameters, and the
walk-forward chart (stitched out-of-sample equity, in-sample vs out-of-sample scores, parameters
per window)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tradloopd.optimize.results import SearchResult
    from tradloopd.optimize.walkforward import WalkForwardResult

_DPI = 110


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def convergence_chart(result: SearchResult, path: Path) -> Path:
    """Each trial's first objective value (dots) and the best feasible value so far (line)."""
    plt = _pyplot()
    frame = result.convergence()
    label = result.objectives[0].label()
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.scatter(frame["number"], frame["value"].astype(float), s=8, alpha=0.4, label="trial")
    ax.step(frame["number"], frame["best"].astype(float), where="post", color="C3", label="best so far")
    ax.set(xlabel="trial", ylabel=label, title=f"{result.strategy} {result.method}: convergence")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path


def heatmap_chart(result: SearchResult, x: str, y: str, path: Path) -> Path:
    """The first objective over two parameters (the best over the others), feasible trials only."""
    plt = _pyplot()
    label = result.objectives[0].label()
    frame = result.trials[result.trials["state"] == "complete"]
    reduce = "max" if result.objectives[0].direction == "maximize" else "min"
    grid = frame.pivot_table(index=f"param_{y}", columns=f"param_{x}", values=f"value_{label}",
                             aggfunc=reduce)
    fig, ax = plt.subplots(figsize=(8, 6))
    image = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(grid.columns)), [_tick(v) for v in grid.columns], rotation=90, fontsize=7)
    ax.set_yticks(range(len(grid.index)), [_tick(v) for v in grid.index], fontsize=7)
    ax.set(xlabel=x, ylabel=y, title=f"{result.strategy}: {label} ({reduce} over other parameters)")
    if result.best is not None and x in result.best.params and y in result.best.params:
        bx = list(grid.columns).index(result.best.params[x])
        by = list(grid.index).index(result.best.params[y])
        ax.plot(bx, by, marker="*", color="red", markersize=14, label="best")
        ax.legend(loc="upper right")
    fig.colorbar(image, ax=ax, label=label)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path


def walk_forward_chart(result: WalkForwardResult, path: Path) -> Path:
    """Stitched out-of-sample equity with the windows shaded, IS vs OOS score per window, and the
    chosen parameters per window."""
    plt = _pyplot()
    curve = result.oos_curve
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(10, 10), height_ratios=(3, 2, 2))
    times = curve.ts.view("datetime64[ns]")
    top.plot(times, curve.equity, color="C0", label="out-of-sample equity (stitched)")
    windows = result.windows
    for i, row in windows.iterrows():
        top.axvspan(row["oos_start"], row["oos_end"], color="C1" if i % 2 else "C2", alpha=0.08)
    top.set(title=f"{result.strategy} walk-forward ({result.scheme}, {len(windows)} windows)",
            ylabel="equity")
    top.legend(loc="upper left")
    label = result.objective.label()
    x = np.arange(len(windows))
    middle.bar(x - 0.2, windows["is_score"].astype(float), width=0.4, label=f"in-sample {label}")
    middle.bar(x + 0.2, windows["oos_score"].astype(float), width=0.4, label=f"out-of-sample {label}")
    middle.axhline(0, color="black", linewidth=0.6)
    middle.set(xticks=x, xticklabels=[str(i + 1) for i in x], xlabel="window", ylabel=label)
    middle.legend(loc="best")
    for name in result.param_names:
        values = windows[f"param_{name}"]
        if values.dtype.kind in "biuf":
            bottom.plot(x, values.astype(float), marker="o", label=name)
    bottom.set(xticks=x, xticklabels=[str(i + 1) for i in x], xlabel="window", ylabel="chosen value",
               title="parameter drift")
    if bottom.lines:
        bottom.legend(loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return path


def _tick(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
