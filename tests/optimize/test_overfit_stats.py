"""DSR and PBO reproduce the papers' formulas on fixed inputs; stability and verdict."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm, rankdata

from tradloopd.optimize.objective import Constraints, Objective
from tradloopd.optimize.overfit import (
    deflated_sharpe_from_returns,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    parameter_stability,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
    verdict,
)
from tradloopd.optimize.results import SearchResult, TrialRecord
from tradloopd.optimize.space import Dimension, ParamSpace


def test_deflated_sharpe_reproduces_the_papers_numerical_example() -> None:
    # Bailey & Lopez de Prado (2014), section "A numerical example": N = 100 trials, V[SR] = 1/2
    # (annualised), best annualised SR 2.5 over T = 1250 daily returns, skew -3, kurtosis 10:
    # SR0 = 0.1132 per day and DSR = 0.9004.
    days = 250
    result = deflated_sharpe_ratio(2.5 / math.sqrt(days), 1250, 100, 0.5 / days, skew=-3, kurtosis=10)
    assert result.benchmark == pytest.approx(0.1132, abs=5e-5)
    assert result.dsr == pytest.approx(0.9004, abs=5e-5)
    assert expected_max_sharpe(100, 0.5) == pytest.approx(0.1132 * math.sqrt(days), abs=1e-3)


def test_psr_formula_and_edge_cases() -> None:
    assert probabilistic_sharpe_ratio(0.0, 100) == pytest.approx(0.5)
    # normal returns: z = SR sqrt(T - 1) / sqrt(1 + SR^2 / 2)
    z = 0.1 * math.sqrt(251) / math.sqrt(1 + 0.1**2 / 2)
    assert probabilistic_sharpe_ratio(0.1, 252) == pytest.approx(norm.cdf(z))
    assert expected_max_sharpe(1, 0.3) == 0.0  # one trial: no selection, no deflation
    assert deflated_sharpe_ratio(0.1, 252, 1, 0.0).dsr == pytest.approx(norm.cdf(z))


def test_dsr_from_a_returns_matrix_uses_the_trials_sharpe_variance() -> None:
    rng = np.random.default_rng(4)
    matrix = rng.normal(0.0005, 0.01, (500, 40))
    got = deflated_sharpe_from_returns(matrix, 7)
    sharpes = matrix.mean(axis=0) / matrix.std(axis=0, ddof=1)
    assert got.sharpe == pytest.approx(sharpes[7]) and got.n_trials == 40 and got.n_obs == 500
    assert got.sharpe_variance == pytest.approx(np.var(sharpes, ddof=1))
    assert got.benchmark == pytest.approx(expected_max_sharpe(40, np.var(sharpes, ddof=1)))


def cscv_by_hand(matrix: np.ndarray, blocks: int) -> float:
    """The paper's steps, literally: concatenate the chosen blocks, rank, logit, count <= 0."""
    t, n = matrix.shape
    matrix = matrix[t % blocks:]
    parts = np.array_split(matrix, blocks)
    logits = []
    for chosen in itertools.combinations(range(blocks), blocks // 2):
        train = np.concatenate([parts[i] for i in chosen])
        test = np.concatenate([parts[i] for i in range(blocks) if i not in chosen])
        r_is = train.mean(0) / train.std(0, ddof=1)
        r_oos = test.mean(0) / test.std(0, ddof=1)
        omega = rankdata(r_oos)[np.argmax(r_is)] / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
    return float(np.mean(np.array(logits) <= 0))


def test_pbo_worked_examples() -> None:
    # two strategies, two blocks: each wins in one block and loses in the other -> the in-sample
    # winner always ranks last out of sample: omega = 1/3, logit ln(1/2) < 0, PBO = 1
    flip = np.array([[0.02, -0.01], [0.01, -0.02], [-0.01, 0.02], [-0.02, 0.01]])
    result = probability_of_backtest_overfitting(flip, 2)
    assert result.pbo == 1.0 and result.n_combinations == 2
    assert np.allclose(result.logits, math.log(0.5))
    # a strategy better in every block: it wins in sample and ranks first out of sample
    steady = np.array([[0.02, 0.01], [0.03, -0.01], [0.01, 0.00], [0.02, -0.02]])
    result = probability_of_backtest_overfitting(steady, 2)
    assert result.pbo == 0.0 and np.allclose(result.logits, math.log(2.0))
    assert result.prob_oos_loss == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pbo_matches_the_step_by_step_computation(seed: int) -> None:
    matrix = np.random.default_rng(seed).normal(0.0, 0.01, (203, 12))  # 203 % 8 rows dropped
    assert probability_of_backtest_overfitting(matrix, 8).pbo == cscv_by_hand(matrix, 8)


def test_pbo_separates_skill_from_noise() -> None:
    rng = np.random.default_rng(9)
    noise = rng.normal(0, 0.01, (800, 30))
    skilled = noise.copy()
    skilled[:, 3] += 0.004
    assert probability_of_backtest_overfitting(skilled, 16).pbo < 0.05
    result = probability_of_backtest_overfitting(noise, 16)
    assert 0.2 < result.pbo < 0.8  # noise: the in-sample winner is a coin toss out of sample


def search_on(values: dict[tuple[int, int], float]) -> SearchResult:
    space = ParamSpace(object, (Dimension("a", "int", 0, 10, 1), Dimension("b", "int", 0, 10, 1)))
    records = [TrialRecord(i, {"a": a, "b": b}, "complete", (v,), {}, None, 0.0)
               for i, ((a, b), v) in enumerate(values.items())]
    return SearchResult("test", "grid", space, (Objective("sharpe"),), Constraints(), records)


def test_stability_tells_a_plateau_from_a_spike() -> None:
    hill = {(a, b): 2.0 - 0.05 * ((a - 5) ** 2 + (b - 5) ** 2) for a in range(11) for b in range(11)}
    plateau = parameter_stability(search_on(hill))
    assert plateau.shape == "plateau" and plateau.neighbours == 8 and plateau.neighbour_ratio > 0.9
    spike = {(a, b): (3.0 if (a, b) == (5, 5) else (a * 7 + b * 3) % 10 / 10) for a in range(11)
             for b in range(11)}
    assert parameter_stability(search_on(spike)).shape == "spike"


def test_verdict_grades_each_statistic_in_words() -> None:
    good = deflated_sharpe_ratio(0.2, 1000, 10, 0.0001)
    assert verdict(dsr=good).level == "robust"
    assert "Deflated Sharpe ratio 1.00" in verdict(dsr=good).text()
    bad_pbo = probability_of_backtest_overfitting(np.array([[0.02, -0.01], [0.01, -0.02],
                                                            [-0.01, 0.02], [-0.02, 0.01]]), 2)
    judged = verdict(dsr=good, pbo=bad_pbo, degradation=0.7)
    assert judged.level == "likely overfit" and len(judged.reasons) == 3
    assert "100%" in judged.reasons[1]
    assert verdict(degradation=0.3).level == "doubtful"
    assert verdict().level == "unknown"
