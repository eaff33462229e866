"""Ctrl-C keeps the finished trials; --resume continues the stored study to the same result."""

from __future__ import annotations

import pytest
from planted_strategies import Planted, rising_bars

from tradloopd.errors import ConfigError
from tradloopd.optimize import optimize
from tradloopd.optimize.progress import Progress

SPACE = {"level": "0:20:2", "scale": "0:1:0.25", "mode": "flat,long"}


def stop_after(count: int):
    def progress(event: Progress) -> None:
        if event.kind == "trial" and event.done >= count:
            raise KeyboardInterrupt  # what Ctrl-C does between two trials

    return progress


def search(method: str, storage, **kwargs: object):
    return optimize(Planted, [rising_bars()], space=SPACE, method=method, objective="total_return",
                    storage=storage, **kwargs)  # type: ignore[arg-type]


def without_durations(result):
    return result.trials.drop(columns="duration_s").sort_values("number").reset_index(drop=True)


def test_an_interrupted_grid_resumes_to_the_uninterrupted_result(tmp_path) -> None:
    storage = tmp_path / "optuna.journal"
    partial = search("grid", storage, progress=stop_after(10))
    assert partial.interrupted and len(partial.records) == 10
    partial.write(tmp_path / "out")
    assert len((tmp_path / "out" / "trials.csv").read_text().splitlines()) == 1 + 10
    resumed = search("grid", storage, resume=True)
    whole = search("grid", None)
    assert not resumed.interrupted and len(resumed.records) == len(whole.records) == 11 * 5 * 2 - 5 * 5
    assert without_durations(resumed).equals(without_durations(whole))


def test_an_interrupted_optuna_study_resumes_to_its_trial_budget(tmp_path) -> None:
    storage = tmp_path / "optuna.journal"
    partial = search("tpe", storage, n_trials=24, seed=1, progress=stop_after(5))
    assert partial.interrupted and len(partial.records) == 5
    resumed = search("tpe", storage, n_trials=24, seed=1, resume=True)
    assert len(resumed.records) == 24 and not resumed.interrupted
    assert [r.params for r in resumed.records[:5]] == [r.params for r in partial.records]
    assert resumed.best_value >= partial.best_value


def test_a_stored_study_is_never_mixed_or_dropped_silently(tmp_path) -> None:
    storage = tmp_path / "optuna.journal"
    search("random", storage, n_trials=5)
    with pytest.raises(ConfigError, match=r"already has 5 trials.*--resume"):
        search("random", storage, n_trials=5)
    with pytest.raises(ConfigError, match="seed"):
        search("random", storage, n_trials=5, seed=9, resume=True)
    assert len(search("random", storage, n_trials=8, resume=True).records) == 8
    assert len(search("random", storage, n_trials=3, fresh=True).records) == 3
