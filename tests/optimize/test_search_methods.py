"""Each search method finds the planted optimum; objectives, constraints and Pareto fronts behave."""

from __future__ import annotations

import numpy as np
import pytest
from planted_strategies import OPTIMUM, Planted, rising_bars, target_fraction

from tradloopd.errors import ConfigError
from tradloopd.optimize import optimize
from tradloopd.optimize.trial import COMPLETE, INVALID, PRUNED

SPACE = {"level": "0:20:1", "scale": "0:1:0.1", "mode": "flat,long"}


def run(method: str, **kwargs: object):
    kwargs = {"space": SPACE, "objective": "total_return", **kwargs}
    return optimize(Planted, [rising_bars()], method=method, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def grid():
    return run("grid")


def test_grid_tries_every_valid_combination_and_finds_the_optimum_exactly(grid) -> None:
    # 21 levels x 11 scales x 2 modes, minus mode=flat with level > 10 (refused by the Params)
    assert len(grid.records) == 21 * 11 * 2 - 10 * 11
    assert grid.best_params == OPTIMUM
    assert {r.state for r in grid.records} == {COMPLETE}
    by_f = sorted(grid.feasible, key=lambda r: target_fraction(**r.params))
    returns = [r.values[0] for r in by_f]
    assert returns == sorted(returns)  # the planted objective really is monotone in f


@pytest.mark.parametrize(("method", "trials"), [("random", 120), ("tpe", 60), ("gp", 30), ("nsga2", 80)])
def test_each_method_gets_near_the_planted_optimum(grid, method: str, trials: int) -> None:
    result = run(method, n_trials=trials, seed=3)
    assert len(result.records) == trials
    best = result.best_params
    assert best["mode"] == "long"
    assert abs(best["level"] - 7) <= 2 and abs(best["scale"] - 0.3) <= 0.2, best
    assert result.best_value >= 0.93 * grid.best_value


def test_a_seeded_search_repeats_itself() -> None:
    first, second = run("tpe", n_trials=20, seed=5), run("tpe", n_trials=20, seed=5)
    assert [r.params for r in first.records] == [r.params for r in second.records]
    assert [r.params for r in run("tpe", n_trials=20, seed=6).records] != [r.params for r in first.records]


def test_multi_objective_search_returns_the_non_dominated_trials() -> None:
    # every exposed trial is in the market the same share of the time, so among them only the
    # highest return is on the front; flat trials (no exposure, no return) are on it too
    result = run("nsga2", n_trials=60, seed=1, objective=["total_return", "min:exposure_time"])
    front = result.pareto
    points = np.array([[r.values[0], -r.values[1]] for r in result.feasible])
    for record in front:
        mine = np.array([record.values[0], -record.values[1]])
        assert not np.any(np.all(points >= mine, axis=1) & np.any(points > mine, axis=1))
    exposed = [r for r in result.feasible if r.values[1] > 0]
    top = max(r.values[0] for r in exposed)
    expected = {r.number for r in result.feasible if r.values[1] == 0 or r.values[0] == top}
    assert {r.number for r in front} == expected
    assert len(front) < len(result.feasible)
    assert [p["number"] for p in result.summary()["pareto"]] == [r.number for r in front]


def test_constraints_prune_trials_that_are_never_chosen() -> None:
    result = run("grid", constraints={"max_drawdown": 0.02})
    pruned = [r for r in result.records if r.state == PRUNED]
    assert pruned and all("drawdown" in r.reason for r in pruned)
    assert all(-r.metrics["max_drawdown"] <= 0.02 for r in result.feasible)
    assert result.best.state == COMPLETE and result.best_params != OPTIMUM
    assert result.trials.loc[result.trials["state"] == "pruned", "value_total_return"].notna().all()


def test_min_trades_constraint_and_an_unreachable_one() -> None:
    result = run("grid", constraints={"min_trades": 1})
    assert result.best is None and result.best_params == {}  # holding never closes a trade
    assert all(r.reason == "0 trades < min 1" for r in result.records)


def exposure_penalised(view) -> float:
    """A custom objective: return minus a penalty on time in the market."""
    return view.metrics["total_return"] - 0.5 * view.metrics["exposure_time"] * view.curve.exposure.mean()


def test_a_callable_objective_sees_metrics_and_the_curve() -> None:
    result = run("grid", objective=exposure_penalised)
    assert result.objectives[0].name == "exposure_penalised"
    best = result.best
    assert best.values[0] == pytest.approx(best.metrics["total_return"] - 0.5 * best.metrics["exposure_time"]
                                           * best.metrics["avg_exposure"])


def test_sampler_proposals_the_params_refuse_are_recorded_as_invalid() -> None:
    result = run("random", n_trials=40, seed=0, space={"level": "0:20:1", "mode": "flat,long"})
    invalid = [r for r in result.records if r.state == INVALID]
    assert not invalid  # random draws are rejection-sampled: never invalid
    tpe = run("tpe", n_trials=40, seed=2, space={"level": "0:20:1", "mode": "flat,long"})
    refused = [r for r in tpe.records if r.state == INVALID]
    assert refused and all("mode flat takes level <= 10" in r.reason for r in refused)
    assert all(r.params["mode"] == "flat" and r.params["level"] > 10 for r in refused)


def test_bad_requests_are_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="--method"):
        run("anneal", n_trials=3)
    with pytest.raises(ConfigError, match="needs --trials"):
        run("tpe")
    with pytest.raises(ConfigError, match="metric key"):
        run("grid", objective="shrape")
    with pytest.raises(ConfigError, match="one objective"):
        run("gp", n_trials=5, objective=["total_return", "sharpe"])
