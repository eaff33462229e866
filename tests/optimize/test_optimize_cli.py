"""The three research commands as a user runs them: options, files written, Ctrl-C and --resume."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tradloopd.optimize.cli import add_parsers


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


def test_optimize_writes_trials_best_and_charts(tmp_path, capsys) -> None:
    out = tmp_path / "opt"
    code = run(["optimize", "--space", "fast=5:20:5", "--space", "slow=30:90:30", "--min-trades", "2",
                "--out", str(out), "--state-dir", str(tmp_path / "state"), "--quiet"])
    assert code == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 12 and {"param_fast", "param_slow", "value_sharpe", "trades"} <= set(trials.columns)
    best = json.loads((out / "best.json").read_text())
    assert best["best"]["params"]["fast"] in (5, 10, 15, 20) and best["constraints"]["min_trades"] == 2
    assert (out / "heatmap.png").stat().st_size > 0 and (out / "convergence.png").stat().st_size > 0
    assert (tmp_path / "state" / "optuna.journal").is_file()
    printed = capsys.readouterr().out
    assert "ma_cross grid: 12 trials" in printed and "best #" in printed


def test_walk_forward_and_validate_commands(tmp_path, capsys) -> None:
    wf = tmp_path / "wf"
    assert run(["walk-forward", "--space", "fast=5:20:5", "--space", "slow=30:90:30", "--windows", "3",
                "--anchored", "--gap", "2", "--out", str(wf), "--quiet"]) == 0
    windows = pd.read_csv(wf / "windows.csv")
    assert len(windows) == 3 and (wf / "walk_forward.png").stat().st_size > 0
    assert "Verdict:" in capsys.readouterr().out
    val = tmp_path / "val"
    assert run(["validate", "--space", "fast=5:20:5", "--space", "slow=30:90:30", "--cv", "purged",
                "--splits", "4", "--horizon", "2", "--embargo", "1", "--out", str(val), "--quiet"]) == 0
    report = json.loads((val / "validation.json").read_text())
    assert 0 <= report["pbo"]["pbo"] <= 1 and 0 <= report["dsr"]["dsr"] <= 1
    assert report["cv_splits"] == 4 and report["verdict"] in ("robust", "doubtful", "likely overfit")
    assert len(pd.read_csv(val / "cv.csv")) == 4


def synthetic_csv(path: Path, n: int) -> Path:
    rng = np.random.default_rng(3)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.004, n))), 2)
    frame = pd.DataFrame({"timestamp": pd.date_range("2020-01-01", periods=n, freq="5min", tz="UTC"),
                          "open": np.concatenate(([100.0], close[:-1])), "close": close, "volume": 1.0})
    frame["high"] = frame[["open", "close"]].max(axis=1) + 0.01
    frame["low"] = frame[["open", "close"]].min(axis=1) - 0.01
    frame.to_csv(path, index=False)
    return path


def test_ctrl_c_keeps_finished_trials_and_resume_finishes(tmp_path) -> None:
    data = synthetic_csv(tmp_path / "bars.csv", 20_000)
    argv = [sys.executable, "-m", "tradloopd.optimize", "optimize", "--data", str(data),
            "--space", "fast=2:38:4", "--space", "slow=50:230:20", "--out", str(tmp_path / "out"),
            "--state-dir", str(tmp_path / "state")]
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    journal = tmp_path / "state" / "optuna.journal"
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:  # a subprocess: poll its journal
        if journal.is_file() and '"complete"' in journal.read_text():
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    kept = pd.read_csv(tmp_path / "out" / "trials.csv")
    assert 64 <= len(kept) < 100 and "interrupted" in stdout and "--resume" in stdout
    done = subprocess.run([*argv, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path.cwd())}, check=False)
    assert done.returncode == 0, done.stderr
    trials = pd.read_csv(tmp_path / "out" / "trials.csv")
    assert len(trials) == 100 and sorted(trials["number"]) == list(range(100))
    assert set(kept["number"]) <= set(trials["number"])
