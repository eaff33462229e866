"""`tradloopd`: the command line. Each subcommand parses its options and calls the Python API.

Heavy modules (numpy, pandas, ccxt, textual) are imported inside the commands, so `--help` is fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tradloopd import __version__
from tradloopd.errors import TradloopError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        args = parser.parse_args(["backtest", *(argv or [])])
    try:
        code: int = args.run(args)
    except TradloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradloopd", description="Backtest, paper trade and live trade on one engine.")
    parser.add_argument("--version", action="version", version=f"tradloopd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_backtest(commands)
    _add_run(commands)
    _add_monitor(commands)
    _add_report(commands)
    _add_data(commands)
    _add_demo(commands)
    from tradloopd.optimize.cli import add_parsers  # light: the handlers import the heavy modules

    add_parsers(commands)
    return parser


def _add_run(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("run", help="run the trading daemon (paper or live)",
                            description="Run the trading daemon until SIGINT/SIGTERM. State (journal, "
                            "control socket) lives in the state directory; a restart resumes from it.")
    p.add_argument("--config", required=True, help="daemon TOML file, e.g. config/paper.toml")
    p.add_argument("--state-dir", help="override [node] state-dir (systemd: $STATE_DIRECTORY)")
    p.set_defaults(run=lambda a: _daemon(a.config, a.state_dir))


def _daemon(config: str, state_dir: str | None) -> int:
    from tradloopd.daemon import run_command

    return run_command(config, state_dir)


def _add_monitor(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("monitor", help="watch and steer a running daemon (terminal UI)",
                            description="A Textual terminal UI attached to a running daemon over its "
                            "control socket.")
    p.add_argument("--socket", metavar="PATH", help="the control socket (default: STATE_DIR/control.sock)")
    p.add_argument("--state-dir", metavar="DIR",
                   help="the daemon's state directory (default $TRADLOOPD_STATE_DIR or ./state)")
    p.add_argument("--theme", choices=("dark", "light"), default=None,
                   help="colours (default dark; t toggles)")
    p.set_defaults(run=lambda a: _monitor(a.socket, a.state_dir, a.theme))


def _monitor(socket: str | None, state_dir: str | None, theme: str | None) -> int:
    from tradloopd.monitor import monitor_command

    return monitor_command(socket, state_dir, theme)


def _add_demo(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("demo-exchange", help="run the local fake Binance venue (for the demo)",
                            description="A fake Binance spot REST API on 127.0.0.1 with deterministic "
                            "synthetic candles, so the paper daemon runs offline (config/paper-demo.toml).")
    p.add_argument("--port", type=int, default=8765)
    p.set_defaults(run=lambda a: _demo(a.port))


def _demo(port: int) -> int:
    import runpy
    import sys

    sys.argv = ["tradloopd.demo.binance", "--port", str(port)]
    runpy.run_module("tradloopd.demo.binance", run_name="__main__")
    return 0


def _add_backtest(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("backtest", help="replay a strategy on historical bars",
                            description="Replay a strategy on historical bars and print its metrics. "
                            "With no options: ma_cross on the embedded AAPL daily sample.")
    p.add_argument("--strategy", help="built-in name or path to a .py file (default ma_cross)")
    p.add_argument("--data", action="append",
                   help="'sample', a CSV/CSV.gz/Parquet file, or a directory (repeatable)")
    p.add_argument("--symbol", action="append", default=[],
                   help="symbol(s) to trade: sample symbol, the file's symbol name, or a filter")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="strategy parameter (repeatable)")
    p.add_argument("--cash", type=float, help="starting cash (default 100000)")
    p.add_argument("--fee", type=float, help="fee per fill as a fraction of notional, e.g. 0.001")
    p.add_argument("--slippage-bps", type=float, help="slippage against takers in basis points")
    p.add_argument("--style", choices=["auto", "bar", "signal"], help="strategy style to run")
    p.add_argument("--engine", choices=["auto", "event", "vector"],
                   help="vector: signal style without the per-order lifecycle (same fills)")
    p.add_argument("--config", help="TOML file (see config/backtest.toml); options override it")
    p.add_argument("--out", help="output directory (default out/backtest)")
    p.add_argument("--report", action="store_true", help="also write the HTML report")
    p.add_argument("--clean", action="store_true", help="repair bad data rows instead of refusing")
    p.add_argument("--json", action="store_true", help="print metrics as JSON instead of a table")
    p.add_argument("--help-params", action="store_true",
                   help="list the strategy's parameters with defaults and bounds, then exit")
    p.set_defaults(run=_run_backtest)


def _run_backtest(args: argparse.Namespace) -> int:
    from pathlib import Path

    import msgspec

    from tradloopd.backtest import backtest
    from tradloopd.config import load_backtest_config
    from tradloopd.results import write_outputs
    from tradloopd.strategy import parse_assignments

    config = load_backtest_config(args.config)
    section, settings = config.backtest, config.replay
    if args.help_params:
        return _print_params(args.strategy or section.strategy)
    overrides = {k: v for k, v in (("style", args.style), ("engine", args.engine)) if v}
    if overrides:
        settings = msgspec.structs.replace(settings, **overrides)
    params = {**section.params, **parse_assignments(args.param)}
    result = backtest(
        args.strategy or section.strategy, data=args.data or section.data,
        symbols=_split(args.symbol) or section.symbols, params=params, settings=settings,
        cash=args.cash, fee=args.fee, slippage_bps=args.slippage_bps,
        clean=args.clean or section.clean,
    )
    out = Path(args.out or section.out)
    write_outputs(result, out)
    _print_result(result, out, as_json=args.json)
    if args.report or section.report:
        from tradloopd.analytics.report import write_report

        print(f"report: {write_report([out])}")
    return 0


def _print_result(result: object, out: object, *, as_json: bool) -> None:
    import json

    from tradloopd.results import BacktestResult

    assert isinstance(result, BacktestResult)
    if as_json:
        print(json.dumps({"run": result.run_info, "metrics": result.metrics}, indent=2, default=str))
        return
    from rich.console import Console

    from tradloopd.analytics.table import render_table

    console = Console()
    info = result.run_info
    console.print(f"[bold]{info['strategy']}[/] {info['params']}  on  {info['data']}  "
                  f"({info['bars']} bars, {info['start']} → {info['end']}, engine "
                  f"{result.replay.engine})")
    render_table(result.metrics, console)
    console.print(f"final equity {result.final_equity:.2f}   outputs in {out}/")


def _print_params(name: str) -> int:
    from tradloopd.strategy import load_strategy, param_specs, strategy_name, styles

    cls = load_strategy(name)
    print(f"{strategy_name(cls)} ({' and '.join(styles(cls))} style)")
    for spec in param_specs(cls):
        bounds = "" if spec.low is None and spec.high is None else f" [{spec.low}, {spec.high}]"
        choices = f" one of {list(spec.choices)}" if spec.choices else ""
        print(f"  {spec.name:<14} {spec.type:<6} default {spec.default!r}{bounds}{choices}  {spec.doc}")
    return 0


def _split(values: list[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _add_report(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("report", help="HTML report of one or more backtest output directories")
    p.add_argument("dirs", nargs="+", metavar="DIR")
    p.add_argument("--out", help="HTML file to write (default: inside the first DIR)")
    p.set_defaults(run=lambda a: _report(a.dirs, a.out))


def _report(dirs: list[str], out: str | None) -> int:
    from tradloopd.analytics.report import report_command

    return report_command(dirs, out)


def _add_data(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("data", help="market data tools")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a bar file and print every problem")
    check.add_argument("file")
    check.set_defaults(run=lambda a: _check(a.file))
    from tradloopd.data.fetch import add_data_fetch_parser  # light: ccxt loads only when it runs

    add_data_fetch_parser(sub)


def _check(path: str) -> int:
    from tradloopd.data.check import check_command

    return check_command(path)


if __name__ == "__main__":
    sys.exit(main())
