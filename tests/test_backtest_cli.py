"""`tradloopd backtest` as a user runs it: the real console script in a subprocess.

With no arguments it backtests the embedded sample offline and writes its files; the same inputs
give byte-identical files; bad inputs give one clear line on stderr, a non-zero exit, no traceback.
The processes of each group run side by side, so the whole file takes a few seconds.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("tradloopd")
OUTPUTS = ("trades.csv", "fills.csv", "equity.csv", "metrics.json")


def offline_env() -> dict[str, str]:
    env = dict(os.environ)
    # any HTTP client honouring the proxy variables fails fast instead of reaching the network
    env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", NO_PROXY="",
               ALL_PROXY="http://127.0.0.1:9")
    return env


def run_all(commands: dict[str, tuple[list[str], Path]]) -> dict[str, subprocess.CompletedProcess]:
    """Start every command at once (args, cwd), then collect each one's exit code and output."""
    assert SCRIPT.is_file(), f"console script not installed next to {sys.executable}"
    running = {name: subprocess.Popen([str(SCRIPT), *args], cwd=cwd, env=offline_env(),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
               for name, (args, cwd) in commands.items()}
    done = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, Path]]:
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    done = run_all({"first": ([], first), "second": (["backtest"], second)})
    return {"first": (done["first"], first / "out" / "backtest"),
            "second": (done["second"], second / "out" / "backtest")}


def test_no_arguments_backtests_the_embedded_sample_and_writes_every_file(default_runs):
    result, out = default_runs["first"]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for label in ("ma_cross", "sample", "Total return", "CAGR", "Sharpe", "Sortino", "Max drawdown",
                  "Win rate", "Profit factor", "Trades", "Exposure", "final equity"):
        assert label in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    with (out / "trades.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the default run closed no trade"
    assert {"entry_time", "exit_time", "side", "qty", "entry_price", "exit_price", "pnl",
            "fees"} <= set(rows[0])
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["run"]["strategy"] == "ma_cross" and metrics["run"]["data"] == "sample"
    assert metrics["metrics"]["trades"] == len(rows)


def test_the_same_inputs_give_byte_identical_files_and_output(default_runs):
    (first, first_out), (second, second_out) = default_runs["first"], default_runs["second"]
    assert second.returncode == 0, second.stderr
    for name in OUTPUTS:
        assert (first_out / name).read_bytes() == (second_out / name).read_bytes(), name
    assert first.stdout == second.stdout


# Bad inputs -----------------------------------------------------------------------------------------

LOOKS_AHEAD = """
    from tradloopd.strategy import units

    class Peeker:
        name = "peeker"
        def __init__(self, params):
            pass
        def signals(self, frame):
            return units((frame["close"].shift(-1) > frame["close"]).astype(float))
"""
RAISES = """
    class Crasher:
        name = "crasher"
        def __init__(self, params):
            pass
        def on_bar(self, bar, ctx):
            if ctx.i == 5:
                raise ZeroDivisionError("oops")
"""

BAD = {  # run as real processes: name -> (extra arguments, what the one stderr line mentions)
    "unknown strategy": (["--strategy", "nope"], "unknown strategy 'nope'"),
    "bad param": (["--param", "fast=abc"], "parameter fast"),
    "missing data file": (["--data", "{tmp}/absent.csv"], "absent.csv"),
    "malformed csv": (["--data", "{tmp}/bad.csv"], "bad.csv line 3"),
    "bad config key": (["--config", "{tmp}/bad.toml"], "unknown key 'bogus'"),
}
IN_PROCESS = {  # the same error path, through cli.main() in this process (no interpreter start-up)
    "param out of bounds": (["--param", "fast=0"], "parameter fast"),
    "param breaks a constraint": (["--param", "fast=50"], "fast (50) must be less than slow (30)"),
    "param without value": (["--param", "fast"], "expected NAME=VALUE"),
    "unknown param": (["--param", "speed=3"], "unknown parameter 'speed'"),
    "missing config": (["--config", "{tmp}/absent.toml"], "absent.toml: config file not found"),
    "bad fee": (["--fee", "2"], "--fee 2.0: expected a fraction per fill in [0, 1)"),
    "negative cash": (["--cash", "-5"], "--cash -5.0: must be positive"),
    "unknown sample symbol": (["--symbol", "NOPE"], "NOPE"),
    "strategy looks ahead": (["--strategy", "{tmp}/peeker.py"], "looks ahead"),
    "strategy raises": (["--strategy", "{tmp}/crasher.py"], "ZeroDivisionError"),
}


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "bad.csv").write_text("timestamp,open,high,low,close,volume\n"
                                 "2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,abc,0.5,1.5,10\n",
                                 encoding="utf-8")
    (tmp / "bad.toml").write_text("[replay]\ncash = 100\nbogus = 1\n", encoding="utf-8")
    (tmp / "peeker.py").write_text(textwrap.dedent(LOOKS_AHEAD), encoding="utf-8")
    (tmp / "crasher.py").write_text(textwrap.dedent(RAISES), encoding="utf-8")
    return tmp


@pytest.fixture(scope="module")
def bad_runs(bad_inputs: Path) -> dict[str, subprocess.CompletedProcess]:
    tmp = bad_inputs
    commands = {name: (["backtest", *(a.format(tmp=tmp) for a in args), "--out", str(tmp / "out")],
                       tmp)
                for name, (args, _) in BAD.items()}
    return run_all(commands)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gives_one_clear_line_a_nonzero_exit_and_no_traceback(bad_runs, case):
    result = bad_runs[case]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert BAD[case][1] in lines[0]


@pytest.mark.parametrize("case", list(IN_PROCESS))
def test_bad_option_through_main_gives_one_clear_line_and_exit_code_2(bad_inputs, capsys, case):
    from tradloopd.cli import main

    args, mentions = IN_PROCESS[case]
    out = bad_inputs / "out"
    code = main(["backtest", *(a.format(tmp=bad_inputs) for a in args), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and mentions in err
    assert "Traceback" not in err


def test_a_missing_data_file_is_reported_as_not_found(bad_runs):
    line = bad_runs["missing data file"].stderr.strip()
    assert "not found" in line or "does not exist" in line or "no such file" in line.lower()
    assert "load_bars" not in line
