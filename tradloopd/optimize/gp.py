"""Gaussian-process Bayesian optimisation as an Optuna sampler, on numpy and SciPy only.

Optuna's own `GPSampler` needs PyTorch (a gigabyte-class install); this one fits the same model
class on the trials told so far and proposes the candidate with the highest expected improvement:

- parameters are mapped to [0, 1] (log scale where declared; a categorical one-hot);
- a Matérn 5/2 kernel with one length scale per input, a signal variance and a noise variance,
  fitted by maximising the log marginal likelihood (SLSQP within bounds, analytic gradient);
- expected improvement over the best standardised value, maximised over seeded random candidates
  and perturbations of the best points; the winner is snapped to each parameter's step.

Pruned trials (broken constraints) count as the worst value seen, and trials asked but not yet
told as that worst value too ("constant liar"), so a batch spreads out instead of repeating one
point. Until `n_startup_trials` have completed, and for a multi-objective study, it samples at
random. Single objective only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, RandomSampler
from optuna.search_space import IntersectionSearchSpace
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState
from scipy import optimize, stats

_SQRT5 = math.sqrt(5.0)
_JITTER = 1e-8
_BOUNDS_LOG_SCALE = (math.log(0.02), math.log(5.0))
_BOUNDS_LOG_SIGNAL = (math.log(0.05), math.log(20.0))
_BOUNDS_LOG_NOISE = (math.log(1e-6), math.log(0.5))


class GaussianProcessSampler(BaseSampler):
    """GP-EI Bayesian optimisation; seeded runs are reproducible."""

    def __init__(self, *, seed: int | None = None, n_startup_trials: int = 10,
                 n_candidates: int = 2048) -> None:
        self._rng = np.random.default_rng(seed)
        self._random = RandomSampler(seed=seed)
        self._space = IntersectionSearchSpace()
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._random.reseed_rng()

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if len(study.directions) > 1:
            return {}
        return {name: d for name, d in sorted(self._space.calculate(study).items()) if not d.single()}

    def sample_relative(self, study: Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if not search_space:
            return {}
        coder = _Coder(search_space)
        x, y = self._observations(study, trial, coder)
        if x is None:
            return {}
        model = _fit(x, y)
        candidates = self._candidates(coder, x, y)
        mean, std = model.predict(candidates)
        best = candidates[int(np.argmax(_expected_improvement(mean, std, float(y.max()))))]
        return coder.decode(best)

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def _observations(self, study: Study, trial: FrozenTrial,
                      coder: _Coder) -> tuple[np.ndarray | None, np.ndarray]:
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        trials = [t for t in study.get_trials(deepcopy=False, states=states)
                  if t.number != trial.number and coder.covers(t.params)]
        done = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
        if len(done) < self.n_startup_trials:
            return None, np.empty(0)
        values = np.array([sign * t.values[0] for t in done])
        worst = float(values.min())
        others = [t for t in trials if t.state != TrialState.COMPLETE]
        x = np.array([coder.encode(t.params) for t in done + others])
        y = np.concatenate((values, np.full(len(others), worst)))
        spread = float(y.std())
        if spread <= 0:
            return None, np.empty(0)
        return x, (y - y.mean()) / spread

    def _candidates(self, coder: _Coder, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        uniform = coder.random(self._rng, self.n_candidates)
        top = x[np.argsort(y)[-5:]]
        local = np.repeat(top, 64, axis=0) + self._rng.normal(0.0, 0.08, (len(top) * 64, x.shape[1]))
        return coder.snap(np.clip(np.vstack((uniform, local)), 0.0, 1.0))


class _Coder:
    """Parameters <-> points of [0, 1]^d (numbers scaled, categoricals one-hot)."""

    def __init__(self, space: dict[str, BaseDistribution]) -> None:
        self.space = space
        self.slices: dict[str, slice] = {}
        width = 0
        for name, dist in space.items():
            size = len(dist.choices) if isinstance(dist, CategoricalDistribution) else 1
            self.slices[name] = slice(width, width + size)
            width += size
        self.width = width

    def covers(self, params: dict[str, Any]) -> bool:
        return all(name in params for name in self.space)

    def encode(self, params: dict[str, Any]) -> np.ndarray:
        point = np.zeros(self.width)
        for name, dist in self.space.items():
            if isinstance(dist, CategoricalDistribution):
                point[self.slices[name].start + dist.to_internal_repr(params[name])] = 1.0
            else:
                point[self.slices[name]] = _unit(dist, params[name])
        return point

    def decode(self, point: np.ndarray) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for name, dist in self.space.items():
            part = point[self.slices[name]]
            if isinstance(dist, CategoricalDistribution):
                params[name] = dist.choices[int(np.argmax(part))]
            else:
                params[name] = _value(dist, float(part[0]))
        return params

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(0.0, 1.0, (n, self.width))

    def snap(self, points: np.ndarray) -> np.ndarray:
        """Each point moved onto what it decodes to (one-hot categoricals, steps, ints)."""
        out = points.copy()
        for name, dist in self.space.items():
            part = self.slices[name]
            if isinstance(dist, CategoricalDistribution):
                block = np.zeros((len(points), part.stop - part.start))
                block[np.arange(len(points)), np.argmax(points[:, part], axis=1)] = 1.0
                out[:, part] = block
            else:
                out[:, part.start] = _snap_units(dist, points[:, part.start])
        return out


def _unit(dist: BaseDistribution, value: float) -> float:
    assert isinstance(dist, FloatDistribution | IntDistribution)
    low, high, v = float(dist.low), float(dist.high), float(value)
    if dist.log:
        low, high, v = math.log(low), math.log(high), math.log(v)
    return 0.0 if high == low else (v - low) / (high - low)


def _snap_units(dist: BaseDistribution, units: np.ndarray) -> np.ndarray:
    """Vectorised _unit(_value(u)): units moved onto the distribution's steps and integers."""
    assert isinstance(dist, FloatDistribution | IntDistribution)
    low, high = float(dist.low), float(dist.high)
    if high == low:
        return np.zeros_like(units)
    if dist.log:
        values = np.exp(np.log(low) + units * (np.log(high) - np.log(low)))
    else:
        values = low + units * (high - low)
    if dist.step is not None:
        values = low + np.round((values - low) / dist.step) * dist.step
    values = np.clip(values, low, high)
    if isinstance(dist, IntDistribution):
        values = np.round(values)
    if dist.log:
        return (np.log(values) - np.log(low)) / (np.log(high) - np.log(low))
    return (values - low) / (high - low)


def _value(dist: BaseDistribution, unit: float) -> float | int:
    assert isinstance(dist, FloatDistribution | IntDistribution)
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        value = math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
    else:
        value = low + unit * (high - low)
    if dist.step is not None:
        value = low + round((value - low) / dist.step) * dist.step
    value = min(max(value, low), high)
    return round(value) if isinstance(dist, IntDistribution) else value


class _Model:
    def __init__(self, x: np.ndarray, theta: np.ndarray, y: np.ndarray) -> None:
        self.x, self.theta = x, theta
        gram = _kernel(x, x, theta) + (math.exp(theta[-1]) + _JITTER) * np.eye(len(x))
        self.chol = np.linalg.cholesky(gram)
        self.alpha = _solve(self.chol, y)

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cross = _kernel(points, self.x, self.theta)
        mean = cross @ self.alpha
        v = np.linalg.solve(self.chol, cross.T)
        var = np.maximum(math.exp(self.theta[-2]) - np.sum(v * v, axis=0), 1e-12)
        return mean, np.sqrt(var)


def _fit(x: np.ndarray, y: np.ndarray) -> _Model:
    d = x.shape[1]
    start = np.concatenate((np.full(d, math.log(0.3)), [0.0, math.log(1e-3)]))
    bounds = [_BOUNDS_LOG_SCALE] * d + [_BOUNDS_LOG_SIGNAL, _BOUNDS_LOG_NOISE]
    found = optimize.minimize(_nll, start, args=(x, y), jac=True, method="SLSQP", bounds=bounds,
                              options={"maxiter": 100})
    return _Model(x, found.x if np.all(np.isfinite(found.x)) else start, y)


def _nll(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood and its gradient in the log hyperparameters."""
    n, d = x.shape
    diff2 = (x[:, None, :] - x[None, :, :]) ** 2
    scales = np.exp(theta[:d])
    signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
    r = np.sqrt(np.sum(diff2 / scales**2, axis=2))
    shape = (1.0 + _SQRT5 * r + 5.0 / 3.0 * r**2) * np.exp(-_SQRT5 * r)
    gram = signal * shape + (noise + _JITTER) * np.eye(n)
    try:
        chol = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = _solve(chol, y)
    value = 0.5 * y @ alpha + np.sum(np.log(np.diag(chol))) + 0.5 * n * math.log(2 * math.pi)
    inner = np.outer(alpha, alpha) - _solve(chol, np.eye(n))
    radial = signal * 5.0 / 3.0 * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r)
    grad = np.empty(d + 2)
    for k in range(d):
        grad[k] = -0.5 * np.sum(inner * radial * diff2[:, :, k] / scales[k] ** 2)
    grad[d] = -0.5 * np.sum(inner * signal * shape)
    grad[d + 1] = -0.5 * noise * np.trace(inner)
    return float(value), grad


def _kernel(a: np.ndarray, b: np.ndarray, theta: np.ndarray) -> np.ndarray:
    d = a.shape[1]
    scaled = np.exp(theta[:d])
    r = np.sqrt(np.sum(((a[:, None, :] - b[None, :, :]) / scaled) ** 2, axis=2))
    return math.exp(theta[d]) * (1.0 + _SQRT5 * r + 5.0 / 3.0 * r**2) * np.exp(-_SQRT5 * r)


def _solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    from scipy.linalg import cho_solve

    return cho_solve((chol, True), rhs)


def _expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, xi: float = 0.01) -> np.ndarray:
    gain = mean - best - xi
    z = gain / std
    return gain * stats.norm.cdf(z) + std * stats.norm.pdf(z)

