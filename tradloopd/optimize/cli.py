"""`tradloopd optimize`, `tradloopd walk-forward` and `tradloopd validate`: options and handlers.

`add_parsers(subcommands)` registers the three commands on an argparse sub-parser action; each
sets `run=<handler>`, which returns the exit code (0, or 130 after Ctrl-C with the finished
trials written). Only argparse is imported here; the research code loads when a command runs.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

_METHODS = ("grid", "random", "tpe", "gp", "nsga2")
INTERRUPTED = 130


def add_parsers(subcommands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `optimize`, `walk-forward` and `validate` on the tradloopd sub-parsers."""
    p = subcommands.add_parser(
        "optimize", help="search a strategy's parameters (grid, random, Bayesian, genetic)",
        description="Search a strategy's parameters on historical bars. Writes trials.csv, best.json, "
        "convergence.png and heatmap.png to --out; trials are saved as they finish (Optuna journal in "
        "the state directory), so Ctrl-C keeps them and --resume continues.")
    _common(p, "out/optimize")
    p.add_argument("--objective", action="append", metavar="METRIC",
                   help="metric to optimise, e.g. sharpe, calmar, min:volatility (repeat for "
                   "multi-objective with nsga2; default sharpe)")
    p.add_argument("--heatmap", metavar="X,Y", help="two parameters for heatmap.png (default the first two)")
    p.add_argument("--state-dir", default="state", help="where the study is stored (default state/)")
    p.add_argument("--storage", help="Optuna storage: a journal file path or a URL such as "
                   "sqlite:///state/optuna.sqlite (default STATE_DIR/optuna.journal)")
    p.add_argument("--study", help="study name (default STRATEGY-METHOD-OUTDIR)")
    p.add_argument("--resume", action="store_true", help="continue the stored study")
    p.add_argument("--fresh", action="store_true", help="replace a stored study of the same name")
    p.set_defaults(run=run_optimize)

    p = subcommands.add_parser(
        "walk-forward", help="re-optimise on rolling or anchored windows, trade the next window",
        description="Walk-forward optimisation: search each in-sample window, trade the chosen "
        "parameters on the following out-of-sample window, stitch the out-of-sample equity. Writes "
        "windows.csv, oos_equity.csv, trials.csv, walk_forward.json and walk_forward.png to --out.")
    _common(p, "out/walk-forward")
    p.add_argument("--objective", default="sharpe", metavar="METRIC",
                   help="metric to choose by (default sharpe)")
    p.add_argument("--windows", type=int, default=5, help="number of out-of-sample windows (default 5)")
    p.add_argument("--is-ratio", type=float, default=3.0, help="in-sample / out-of-sample length (default 3)")
    p.add_argument("--is-bars", type=int, help="in-sample length in bars (overrides --is-ratio)")
    p.add_argument("--oos-bars", type=int, help="out-of-sample length in bars")
    p.add_argument("--anchored", action="store_true", help="in-sample windows start at the first bar")
    p.add_argument("--gap", type=int, default=0, help="bars between in-sample and out-of-sample")
    p.set_defaults(run=run_walk_forward)

    p = subcommands.add_parser(
        "validate", help="overfitting statistics of a search: DSR, PBO, purged CV, stability",
        description="Search, then measure how much of the best result is luck: deflated Sharpe ratio, "
        "probability of backtest overfitting (CSCV), cross-validated selection (CPCV, purged k-fold, "
        "expanding, rolling, train/validation/test), parameter stability, and a verdict in words.")
    _common(p, "out/validate")
    p.add_argument("--objective", default="sharpe", metavar="METRIC",
                   help="metric to choose by (default sharpe)")
    p.add_argument("--cv", default="cpcv", choices=("cpcv", "purged", "expanding", "rolling", "tvt"))
    p.add_argument("--splits", type=int, default=6, help="CPCV groups / folds / windows (default 6)")
    p.add_argument("--test-groups", type=int, default=2, help="CPCV test groups per split (default 2)")
    p.add_argument("--horizon", type=int, default=0, help="label horizon to purge, in periods")
    p.add_argument("--embargo", type=int, default=0, help="embargo after each test block, in periods")
    p.add_argument("--pbo-blocks", type=int, default=16, help="CSCV blocks, even (default 16)")
    p.add_argument("--period", default="auto", help="return period: auto (daily for intraday bars), "
                   "bar, or a duration such as 1D or 4h")
    p.set_defaults(run=run_validate)


def _common(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--strategy", help="built-in name or path to a .py file (default ma_cross)")
    p.add_argument("--data", action="append", help="'sample', a CSV/Parquet file, or a directory")
    p.add_argument("--symbol", action="append", default=[], help="symbol(s) to trade")
    p.add_argument("--space", action="append", default=[], metavar="NAME=RANGE",
                   help="a searched parameter: LOW:HIGH[:STEP], LOW:HIGH:log or a,b,c (repeatable; "
                   "default: every parameter with bounds)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter held fixed (repeatable)")
    p.add_argument("--method", default="grid", choices=_METHODS, help="search method (default grid)")
    p.add_argument("--trials", type=int, help="number of trials (random, tpe, gp, nsga2)")
    p.add_argument("--grid-points", type=int, default=10,
                   help="values per range without an explicit step (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of random, tpe, gp and nsga2 (default 0)")
    p.add_argument("--batch", type=int, help="trials asked per round of tpe/gp/nsga2 (fixed, so results "
                   "do not depend on --jobs)")
    p.add_argument("--min-trades", type=int, help="refuse trials with fewer closed trades")
    p.add_argument("--max-drawdown", type=float, help="refuse trials deeper than this fraction, e.g. 0.3")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (0 = one per core; default 1)")
    p.add_argument("--dask-scheduler", metavar="ADDRESS", help="run trials on this Dask cluster")
    p.add_argument("--cash", type=float, help="starting cash (default 100000)")
    p.add_argument("--fee", type=float, help="fee per fill as a fraction of notional, e.g. 0.001")
    p.add_argument("--slippage-bps", type=float, help="slippage against takers in basis points")
    p.add_argument("--config", help="TOML file (see config/backtest.toml) for data, strategy and replay")
    p.add_argument("--clean", action="store_true", help="repair bad data rows instead of refusing")
    p.add_argument("--out", default=out, help=f"output directory (default {out})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _search_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments shared by optimize(), walk_forward() and validate()."""
    from tradloopd.config import load_backtest_config
    from tradloopd.errors import ConfigError
    from tradloopd.strategy import parse_assignments

    config = load_backtest_config(args.config)
    section = config.backtest
    space = {}
    for item in args.space:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--space {item!r}: expected NAME=RANGE, e.g. --space fast=5:50:5")
        space[name.strip()] = value.strip()
    limits = {"min_trades": args.min_trades, "max_drawdown": args.max_drawdown}
    return {
        "strategy": args.strategy or section.strategy, "data": args.data or section.data,
        "symbols": [s.strip() for item in args.symbol for s in item.split(",") if s.strip()]
        or section.symbols,
        "space": space or None, "params": {**section.params, **parse_assignments(args.param)},
        "method": args.method, "n_trials": args.trials, "grid_points": args.grid_points,
        "seed": args.seed, "batch_size": args.batch, "jobs": args.jobs,
        "dask_scheduler": args.dask_scheduler, "constraints": limits, "settings": config.replay,
        "cash": args.cash, "fee": args.fee, "slippage_bps": args.slippage_bps,
        "clean": args.clean or section.clean,
    }


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def run_optimize(args: argparse.Namespace) -> int:
    from tradloopd.optimize.progress import progress_bar
    from tradloopd.optimize.search import optimize

    options = _search_options(args)
    out = Path(args.out)
    storage = args.storage or Path(args.state_dir) / "optuna.journal"
    name = args.study or f"{Path(str(options['strategy'])).stem}-{args.method}-{out.name}"
    with progress_bar(f"optimize {name}", enabled=_show_progress(args)) as progress:
        result = optimize(**options, objective=args.objective or ["sharpe"], storage=storage,
                          study_name=name, resume=args.resume, fresh=args.fresh, progress=progress)
    heatmap = [s.strip() for s in args.heatmap.split(",")] if args.heatmap else None
    files = result.write(out, heatmap=heatmap)
    _print_search(result, files, storage, name)
    return INTERRUPTED if result.interrupted else 0


def _print_search(result: Any, files: list[Path], storage: Any, name: str) -> None:
    from rich.console import Console

    console = Console()
    state = "[yellow]interrupted[/], " if result.interrupted else ""
    console.print(f"[bold]{result.strategy}[/] {result.method}: {state}{len(result.records)} trials "
                  f"({len(result.feasible)} feasible) in {result.seconds:.1f} s on {result.info['jobs']} "
                  f"worker(s); study {name!r} in {storage}")
    best = result.best
    if best is None:
        console.print("no feasible trial: loosen the constraints or widen the space")
    else:
        labels = [o.label() for o in result.objectives]
        values = "  ".join(f"{label} {v:.4g}" for label, v in zip(labels, best.values, strict=True))
        console.print(f"best #{best.number}: {values}   {_params(result.best_params)}")
        shown = {k: v for k, v in best.metrics.items() if v is not None}
        console.print("  " + "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in shown.items()))
    if len(result.objectives) > 1:
        console.print(f"Pareto front: {len(result.pareto)} trials (best.json lists them)")
    console.print(f"outputs in {files[0].parent}/: {', '.join(p.name for p in files)}")
    if result.interrupted:
        console.print("resume with the same command and --resume")


def run_walk_forward(args: argparse.Namespace) -> int:
    from tradloopd.optimize.progress import progress_bar
    from tradloopd.optimize.walkforward import walk_forward

    options = _search_options(args)
    with progress_bar("walk-forward", enabled=_show_progress(args)) as progress:
        result = walk_forward(**options, objective=args.objective, n_windows=args.windows,
                              is_ratio=args.is_ratio, is_bars=args.is_bars, oos_bars=args.oos_bars,
                              anchored=args.anchored, gap=args.gap, progress=progress)
    files = result.write(args.out)
    from rich.console import Console

    console = Console()
    windows = result.windows
    console.print(f"[bold]{result.strategy}[/] walk-forward ({result.scheme}, {len(windows)} windows"
                  f"{', interrupted' if result.interrupted else ''})")
    for _, row in windows.iterrows():
        chosen = {n: row[f"param_{n}"] for n in result.param_names}
        console.print(f"  {row['window']}: OOS {row['oos_start']:%Y-%m-%d} → {row['oos_end']:%Y-%m-%d}  "
                      f"{_params(chosen)}  IS {_num(row['is_score'])}  OOS {_num(row['oos_score'])}")
    metrics = result.oos_metrics
    console.print(f"out-of-sample: total return {_num(metrics.get('total_return'))}  sharpe "
                  f"{_num(metrics.get('sharpe'))}  max drawdown {_num(metrics.get('max_drawdown'))}  "
                  f"efficiency {_num(result.efficiency)}")
    console.print(result.verdict().text())
    console.print(f"outputs in {args.out}/: {', '.join(p.name for p in files)}")
    return INTERRUPTED if result.interrupted else 0


def run_validate(args: argparse.Namespace) -> int:
    from tradloopd.optimize.progress import progress_bar
    from tradloopd.optimize.validation import validate

    options = _search_options(args)
    with progress_bar("validate", enabled=_show_progress(args)) as progress:
        report = validate(**options, objective=args.objective, cv=args.cv, n_splits=args.splits,
                          n_test_groups=args.test_groups, horizon=args.horizon, embargo=args.embargo,
                          pbo_blocks=args.pbo_blocks, returns_period=args.period, progress=progress)
    files = report.write(args.out)
    from rich.console import Console

    console = Console()
    summary = report.summary()
    console.print(f"[bold]{summary['strategy']}[/]: {summary['trials']} trials, "
                  f"best {_params(summary['best'])}")
    if report.dsr is not None:
        dsr = summary["dsr"]
        console.print(f"  deflated Sharpe {report.dsr.dsr:.3f} (Sharpe {dsr['sharpe_annualised']:.2f} "
                      f"a year vs {dsr['sr0_annualised']:.2f} expected from luck)")
    if report.pbo is not None:
        console.print(f"  PBO {report.pbo.pbo:.1%} over {report.pbo.n_combinations} CSCV splits")
    console.print(f"  {report.scheme}: {len(report.splits)} splits, "
                  f"test/train Sharpe {_num(report.degradation)}")
    console.print(report.verdict.text())
    console.print(f"outputs in {args.out}/: {', '.join(p.name for p in files)}")
    return INTERRUPTED if report.search.interrupted else 0


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def _num(value: Any) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.4g}"
