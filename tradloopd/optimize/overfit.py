"""Overfitting statistics: how much of a backtest's best result is luck from trying many things.

- Probabilistic and deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio",
  2014). PSR(SR*) = Φ((SR - SR*) √(T-1) / √(1 - γ3 SR + (γ4 - 1)/4 SR²)) with SR, γ3 (skew) and
  γ4 (kurtosis, 3 for a normal) of the chosen strategy's T per-period returns. The DSR is the PSR
  against SR0 = √V[SR_n] ((1-γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e))), the Sharpe ratio the best of
  N unskilled trials with that variance of Sharpe ratios would show (γ = Euler-Mascheroni).
  All Sharpe ratios here are per period, not annualised.
- Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
  Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", 2015): the T x N
  matrix of per-period returns of N trials is cut into S blocks; for each of the C(S, S/2) ways
  to pick half the blocks as in-sample, the trial with the best in-sample Sharpe is ranked among
  all trials out of sample, ω = rank / (N + 1), λ = ln(ω / (1 - ω)); PBO = share of λ <= 0. The
  same combinations give the performance degradation (OOS vs IS Sharpe of the chosen trial) and
  the probability of an out-of-sample loss.
- Parameter stability: whether the best trial sits on a plateau of good neighbours or on a spike.
- A plain-words verdict combining whichever of these were measured.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from tradloopd.errors import ConfigError

if TYPE_CHECKING:
    from tradloopd.optimize.results import SearchResult

EULER_GAMMA = 0.5772156649015329
_CHUNK = 512


def probabilistic_sharpe_ratio(sharpe: float, n_obs: int, *, benchmark: float = 0.0,
                               skew: float = 0.0, kurtosis: float = 3.0) -> float:
    """P(true Sharpe > benchmark) given the observed per-period Sharpe of n_obs returns."""
    if n_obs < 2:
        raise ConfigError("the probabilistic Sharpe ratio needs at least two returns")
    variance = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if variance <= 0:
        return math.nan
    return float(stats.norm.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(variance)))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """SR0: the expected maximum per-period Sharpe of n_trials unskilled trials (0 for one)."""
    if n_trials <= 1 or variance <= 0:
        return 0.0
    z = stats.norm.ppf
    return float(math.sqrt(variance) * ((1 - EULER_GAMMA) * z(1 - 1 / n_trials)
                                        + EULER_GAMMA * z(1 - 1 / (n_trials * math.e))))


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of a chosen trial, with its inputs."""

    dsr: float
    sharpe: float  # per period
    benchmark: float  # SR0, per period
    n_obs: int
    n_trials: int
    sharpe_variance: float
    skew: float
    kurtosis: float


def deflated_sharpe_ratio(sharpe: float, n_obs: int, n_trials: int, sharpe_variance: float, *,
                          skew: float = 0.0, kurtosis: float = 3.0) -> DeflatedSharpe:
    """PSR of the chosen per-period Sharpe against SR0 of n_trials with that Sharpe variance."""
    sr0 = expected_max_sharpe(n_trials, sharpe_variance)
    dsr = probabilistic_sharpe_ratio(sharpe, n_obs, benchmark=sr0, skew=skew, kurtosis=kurtosis)
    return DeflatedSharpe(dsr, sharpe, sr0, n_obs, n_trials, sharpe_variance, skew, kurtosis)


def deflated_sharpe_from_returns(returns: np.ndarray, chosen: int) -> DeflatedSharpe:
    """The DSR of column `chosen` of a T x N returns matrix, N and V[SR] from all its columns."""
    matrix = np.asarray(returns, dtype=np.float64)
    sharpes = sharpe_ratios(matrix)
    finite = sharpes[np.isfinite(sharpes)]
    variance = float(np.var(finite, ddof=1)) if len(finite) > 1 else 0.0
    column = matrix[:, chosen]
    return deflated_sharpe_ratio(float(sharpes[chosen]), len(column), matrix.shape[1], variance,
                                 skew=float(stats.skew(column)),
                                 kurtosis=float(stats.kurtosis(column, fisher=False)))


def sharpe_ratios(returns: np.ndarray) -> np.ndarray:
    """Per-period Sharpe ratio of each column (mean / std, ddof=1); 0 for a flat column."""
    matrix = np.asarray(returns, dtype=np.float64)
    std = matrix.std(axis=0, ddof=1)
    return np.divide(matrix.mean(axis=0), std, out=np.zeros(matrix.shape[1]), where=std > 1e-15)


@dataclass(frozen=True)
class Overfitting:
    """CSCV results: PBO, the logits, and the chosen trial's IS and OOS Sharpe per combination."""

    pbo: float
    logits: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    n_blocks: int
    n_trials: int
    n_obs: int
    slope: float = field(init=False)
    intercept: float = field(init=False)
    prob_oos_loss: float = field(init=False)

    def __post_init__(self) -> None:
        if len(self.is_sharpe) > 2 and np.ptp(self.is_sharpe) > 0:
            fit = stats.linregress(self.is_sharpe, self.oos_sharpe)
            slope, intercept = float(fit.slope), float(fit.intercept)
        else:
            slope, intercept = math.nan, math.nan
        object.__setattr__(self, "slope", slope)
        object.__setattr__(self, "intercept", intercept)
        object.__setattr__(self, "prob_oos_loss", float(np.mean(self.oos_sharpe < 0)))

    @property
    def n_combinations(self) -> int:
        return len(self.logits)


def probability_of_backtest_overfitting(returns: Any, n_blocks: int = 16) -> Overfitting:
    """PBO by CSCV of a T x N matrix of per-period returns (rows time, columns trials).

    The first T mod S rows are dropped so the S blocks are equal. Ranks among ties are averaged.
    """
    matrix = np.asarray(returns, dtype=np.float64)
    n_obs, n_trials = matrix.shape
    if n_blocks < 2 or n_blocks % 2:
        raise ConfigError(f"CSCV needs an even number of blocks >= 2, got {n_blocks}")
    if n_trials < 2 or n_obs < 2 * n_blocks:
        raise ConfigError(f"CSCV needs >= 2 trials and >= {2 * n_blocks} returns; got {n_trials} "
                          f"trials and {n_obs} returns (use fewer blocks or a shorter period)")
    matrix = matrix[n_obs % n_blocks:]
    blocks = matrix.reshape(n_blocks, -1, n_trials)
    sums = np.stack([blocks.sum(axis=1), (blocks**2).sum(axis=1)])  # (2, S, N)
    per_block = blocks.shape[1]
    combos = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)))
    logits, chosen_is, chosen_oos = [], [], []
    for start in range(0, len(combos), _CHUNK):
        member = np.zeros((len(combos[start:start + _CHUNK]), n_blocks))
        np.put_along_axis(member, combos[start:start + _CHUNK], 1.0, axis=1)
        in_sample = _sharpe_of(member, sums, per_block)
        out_sample = _sharpe_of(1.0 - member, sums, per_block)
        best = np.argmax(in_sample, axis=1)
        rows = np.arange(len(best))
        mine = out_sample[rows, best][:, None]
        rank = (out_sample < mine).sum(axis=1) + ((out_sample == mine).sum(axis=1) + 1) / 2
        omega = rank / (n_trials + 1)
        logits.append(np.log(omega / (1 - omega)))
        chosen_is.append(in_sample[rows, best])
        chosen_oos.append(mine[:, 0])
    lam = np.concatenate(logits)
    return Overfitting(float(np.mean(lam <= 0)), lam, np.concatenate(chosen_is),
                       np.concatenate(chosen_oos), n_blocks, n_trials, len(matrix))


def _sharpe_of(member: np.ndarray, sums: np.ndarray, per_block: int) -> np.ndarray:
    """Sharpe (ddof=1) of each trial over the union of the member blocks, per combination row."""
    count = member.sum(axis=1, keepdims=True) * per_block
    total = member @ sums[0]
    squares = member @ sums[1]
    mean = total / count
    variance = (squares - count * mean**2) / (count - 1)
    std = np.sqrt(np.maximum(variance, 0.0))
    return np.divide(mean, std, out=np.zeros_like(mean), where=std > 1e-15)


@dataclass(frozen=True)
class Stability:
    """How the best trial's neighbours score: a plateau is robust, a spike is luck."""

    shape: str  # "plateau", "moderate", "spike" or "unknown"
    neighbours: int
    neighbour_percentile: float | None  # median neighbour score as a percentile of all trials
    neighbour_ratio: float | None  # median neighbour score / best score (when both positive)
    radius: float


def parameter_stability(result: SearchResult, *, radius: float = 0.1) -> Stability:
    """Compare the best trial with feasible trials within `radius` of it on every dimension
    (measured on [0, 1] per dimension, log scale where declared; at least one step of the tried
    values, so a coarse grid's direct neighbours count; choices must match)."""
    best = result.best
    feasible = [r for r in result.feasible if r.values and r.values[0] is not None]
    if best is None or len(feasible) < 3:
        return Stability("unknown", 0, None, None, radius)
    dims = result.space.dimensions
    sign = 1.0 if result.objectives[0].direction == "maximize" else -1.0
    scores = np.array([sign * r.values[0] for r in feasible])  # type: ignore[operator]
    here = [d.unit(best.params[d.name]) for d in dims]
    reach = [_reach(d, feasible, radius) for d in dims]
    near = [sign * r.values[0] for r in feasible if r.number != best.number  # type: ignore[operator]
            and _close(dims, here, r.params, best.params, reach)]
    if not near:
        return Stability("unknown", 0, None, None, radius)
    median = float(np.median(near))
    percentile = float(np.mean(scores <= median))
    top = sign * best.values[0]  # type: ignore[operator]
    ratio = median / top if top > 0 and median > 0 else None
    shape = "plateau" if percentile >= 0.75 else "spike" if percentile < 0.5 else "moderate"
    return Stability(shape, len(near), percentile, ratio, radius)


def _reach(dim: Any, trials: Sequence[Any], radius: float) -> float:
    """How far a neighbour may be on this dimension: `radius`, or one grid step if coarser."""
    if dim.kind == "choice":
        return 0.0
    units = np.unique([dim.unit(r.params[dim.name]) for r in trials])
    step = float(np.min(np.diff(units))) if len(units) > 1 else 0.0
    return max(radius, step)


def _close(dims: Sequence[Any], here: list[float], params: dict[str, Any], best: dict[str, Any],
           reach: Sequence[float]) -> bool:
    for dim, position, limit in zip(dims, here, reach, strict=True):
        if dim.kind == "choice":
            if params[dim.name] != best[dim.name]:
                return False
        elif abs(dim.unit(params[dim.name]) - position) > limit + 1e-9:
            return False
    return True


@dataclass(frozen=True)
class Verdict:
    """A one-word level and one sentence per statistic, for people."""

    level: str  # "robust", "doubtful" or "likely overfit"
    reasons: tuple[str, ...]

    def text(self) -> str:
        return f"Verdict: {self.level}.\n" + "\n".join(f"- {line}" for line in self.reasons)


def verdict(*, dsr: DeflatedSharpe | None = None, pbo: Overfitting | None = None,
            degradation: float | None = None, stability: Stability | None = None,
            efficiency: float | None = None, drift: float | None = None) -> Verdict:
    """Grade each measured statistic good / caution / bad and explain it in plain words."""
    grades: list[tuple[int, str]] = []
    if dsr is not None and math.isfinite(dsr.dsr):
        grade = 0 if dsr.dsr >= 0.95 else 1 if dsr.dsr >= 0.5 else 2
        grades.append((grade, f"Deflated Sharpe ratio {dsr.dsr:.2f}: after {dsr.n_trials} trials, the "
                       f"chance that the best one's Sharpe beats luck is {dsr.dsr:.0%} (0.95 or more is "
                       "convincing)."))
    if pbo is not None:
        grade = 0 if pbo.pbo < 0.2 else 1 if pbo.pbo < 0.5 else 2
        grades.append((grade, f"Probability of backtest overfitting {pbo.pbo:.0%}: in that share of "
                       f"{pbo.n_combinations} in/out-of-sample splits, the in-sample winner ranked in "
                       f"the bottom half out of sample; it lost money out of sample in "
                       f"{pbo.prob_oos_loss:.0%}."))
    if degradation is not None and math.isfinite(degradation):
        grade = 0 if degradation >= 0.5 else 1 if degradation > 0 else 2
        grades.append((grade, f"Out-of-sample score is {degradation:.0%} of the in-sample score "
                       "(50% or more is a healthy degradation)."))
    if efficiency is not None and math.isfinite(efficiency):
        grade = 0 if efficiency >= 0.5 else 1 if efficiency > 0 else 2
        grades.append((grade, f"Walk-forward efficiency {efficiency:.2f}: out-of-sample annual return "
                       "over in-sample annual return (0.5 or more is good)."))
    if stability is not None and stability.shape != "unknown":
        grade = {"plateau": 0, "moderate": 1, "spike": 2}[stability.shape]
        grades.append((grade, f"The best parameters sit on a {stability.shape}: their "
                       f"{stability.neighbours} neighbours score at the "
                       f"{stability.neighbour_percentile:.0%} percentile of all trials."))
    if drift is not None and math.isfinite(drift):
        grade = 0 if drift < 0.1 else 1 if drift < 0.25 else 2
        grades.append((grade, f"The chosen parameters move by up to {drift:.0%} of their range between "
                       "walk-forward windows (under 10% is stable; over 25%, the optimum keeps moving)."))
    if not grades:
        return Verdict("unknown", ("Nothing was measured.",))
    worst = max(g for g, _ in grades)
    return Verdict(("robust", "doubtful", "likely overfit")[worst], tuple(text for _, text in grades))
