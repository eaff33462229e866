"""metrics.json round-trips and never holds NaN or infinity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tradloopd.analytics.files import read_metrics_json, write_metrics_json
from tradloopd.errors import DataError

RUN = {"strategy": "ma_cross", "params": {"fast": 10, "slow": 30}, "data": "sample",
       "symbols": ["AAPL"], "start": "2000-03-01T00:00:00Z", "end": "2013-03-01T00:00:00Z",
       "bars": 3270, "cash": 10_000.0, "fee": 0.001, "slippage_bps": 0.0}


def test_round_trip_keeps_order_and_values(tmp_path: Path) -> None:
    metrics = {"total_return": 0.25, "sharpe": None, "trades": 3, "cagr": 0.1}
    path = write_metrics_json(tmp_path, RUN, metrics)
    assert path == tmp_path / "metrics.json"
    run, loaded = read_metrics_json(tmp_path)
    assert run == RUN
    assert list(loaded.items()) == list(metrics.items())


def test_numpy_and_non_finite_values_are_written_as_plain_json(tmp_path: Path) -> None:
    metrics = {"a": np.float64(1.5), "b": np.int64(2), "c": float("nan"), "d": np.inf}
    path = write_metrics_json(tmp_path / "m.json", RUN | {"symbols": np.array(["X"])}, metrics)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    document = json.loads(text)
    assert document["metrics"] == {"a": 1.5, "b": 2, "c": None, "d": None}
    assert document["run"]["symbols"] == ["X"]


def test_missing_file_is_a_clear_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"metrics\.json: not found"):
        read_metrics_json(tmp_path)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"run": {}}'])
def test_malformed_file_is_a_data_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "metrics.json").write_text(content)
    with pytest.raises(DataError, match="metrics"):
        read_metrics_json(tmp_path)
