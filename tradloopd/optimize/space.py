"""The parameter space a search explores: one `Dimension` per searched parameter, from `param_specs`.

A parameter is searched when it has both bounds (int or float, with the declared step and log
hints), a `Literal` of choices, or is a bool; every other parameter keeps its default or the fixed
value given. Overrides narrow or replace a dimension: `"5:50:5"` (low:high:step), `"0.1:10:log"`,
`"sma,ema"` (explicit values). Cross-parameter rules (fast < slow) stay in the strategy's Params
and are checked with `make_params`, so a space never proposes a combination the engine refuses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tradloopd.errors import ConfigError, ParameterError
from tradloopd.strategy import ParamSpec, make_params, param_specs, strategy_name

if TYPE_CHECKING:
    from optuna.distributions import BaseDistribution

GRID_POINTS = 10
"""Values per continuous dimension in a grid when neither a step nor an override says more."""


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: a numeric range (`int`/`float`, optional step, log scale) or choices."""

    name: str
    kind: str  # "int", "float" or "choice"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    every_step: bool = False  # a grid tries every step (a step the user gave), not `points` values

    def __post_init__(self) -> None:
        if self.kind == "choice":
            if not self.choices:
                raise ConfigError(f"parameter {self.name}: no values to choose from")
            return
        if self.low is None or self.high is None or not self.low <= self.high:
            raise ConfigError(f"parameter {self.name}: needs low <= high, got {self.low}:{self.high}")
        if self.log and (self.low <= 0 or self.step is not None):
            raise ConfigError(f"parameter {self.name}: a log scale needs low > 0 and no step")

    def grid(self, points: int = GRID_POINTS) -> list[Any]:
        """The values a grid search tries: every choice, every step, or `points` spaced values."""
        if self.kind == "choice":
            return list(self.choices)
        assert self.low is not None and self.high is not None
        if self.step is not None:
            count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
            if count <= max(points, 1) or self.every_step:
                return [self.cast(self.low + i * self.step) for i in range(count)]
        values = (np.geomspace if self.log else np.linspace)(self.low, self.high, max(points, 1))
        return list(dict.fromkeys(self.snap(float(v)) for v in values))

    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn uniformly (on the log scale when `log`), snapped to the step."""
        if self.kind == "choice":
            return self.choices[int(rng.integers(len(self.choices)))]
        assert self.low is not None and self.high is not None
        if self.log:
            return self.snap(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        if self.kind == "int":
            return self.snap(rng.integers(int(self.low), int(self.high) + 1))
        return self.snap(rng.uniform(self.low, self.high))

    def snap(self, value: float) -> Any:
        """The nearest allowed value: on the step grid, inside the bounds, of the right type."""
        assert self.low is not None and self.high is not None
        if self.step is not None:
            value = self.low + round((value - self.low) / self.step) * self.step
        return self.cast(min(max(value, self.low), self.high))

    def cast(self, value: float) -> Any:
        if self.kind == "int":
            return round(value)
        digits = _decimals(self.step) if self.step is not None else 12
        return round(float(value), digits)

    def unit(self, value: Any) -> float:
        """The value mapped to [0, 1] (log scale when `log`; a choice by its position)."""
        if self.kind == "choice":
            index = self.choices.index(value)
            return index / (len(self.choices) - 1) if len(self.choices) > 1 else 0.0
        assert self.low is not None and self.high is not None
        if self.high == self.low:
            return 0.0
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (float(value) - self.low) / (self.high - self.low)

    def distribution(self) -> BaseDistribution:
        """The Optuna distribution of this dimension."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "choice":
            return CategoricalDistribution(self.choices)
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            step = 1 if self.log else int(self.step or 1)
            high = int(self.low + (int(self.high) - int(self.low)) // step * step)
            return IntDistribution(int(self.low), high, log=self.log, step=step)
        return FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def describe(self) -> str:
        if self.kind == "choice":
            return ",".join(str(c) for c in self.choices)
        tail = ":log" if self.log else f":{_number(self.step)}" if self.step is not None else ""
        return f"{_number(self.low)}:{_number(self.high)}{tail}"


@dataclass(frozen=True)
class ParamSpace:
    """The searched dimensions of one strategy, plus the parameters held fixed."""

    strategy: type
    dimensions: tuple[Dimension, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def problem(self, params: Mapping[str, Any]) -> str | None:
        """Why the strategy refuses these values (its bounds and constraints), or None."""
        try:
            make_params(self.strategy, {**self.fixed, **params})
        except ParameterError as exc:
            return str(exc)
        return None

    def grid(self, points: int = GRID_POINTS) -> Iterator[dict[str, Any]]:
        """Every combination of the dimensions' grid values the strategy accepts, in order."""
        axes = [d.grid(points) for d in self.dimensions]
        for values in itertools.product(*axes):
            params = dict(zip(self.names, values, strict=True))
            if self.problem(params) is None:
                yield params

    def grid_size(self, points: int = GRID_POINTS) -> int:
        return math.prod(len(d.grid(points)) for d in self.dimensions)

    def sample(self, rng: np.random.Generator, tries: int = 1000) -> dict[str, Any]:
        """A random combination the strategy accepts (rejection sampling)."""
        for _ in range(tries):
            params = {d.name: d.sample(rng) for d in self.dimensions}
            if self.problem(params) is None:
                return params
        raise ConfigError(f"no valid parameters of {strategy_name(self.strategy)} found in "
                          f"{tries} random draws: check the space against the strategy's constraints")

    def distributions(self) -> dict[str, BaseDistribution]:
        return {d.name: d.distribution() for d in self.dimensions}

    def describe(self) -> dict[str, str]:
        return {d.name: d.describe() for d in self.dimensions}


def space_for(strategy: type, overrides: Mapping[str, Any] | None = None,
              fixed: Mapping[str, Any] | None = None) -> ParamSpace:
    """The space of a strategy: its bounded parameters, or exactly those named in `overrides`.

    An override value is a `Dimension`, a text form (`"5:50:5"`, `"0.1:10:log"`, `"a,b,c"`,
    `"5:50"`), a `range`, or a list of values.
    """
    specs = {spec.name: spec for spec in param_specs(strategy)}
    fixed = dict(fixed or {})
    unknown = sorted((set(overrides or {}) | set(fixed)) - set(specs))
    if unknown:
        raise ParameterError(f"strategy {strategy_name(strategy)}: unknown parameter "
                             f"{unknown[0]!r} (parameters: {', '.join(specs)})")
    if overrides:
        dims = [_override(specs[name], value) for name, value in overrides.items()]
    else:
        dims = [d for spec in specs.values() if spec.name not in fixed
                for d in [_declared(spec)] if d is not None]
    if not dims:
        raise ConfigError(f"strategy {strategy_name(strategy)}: nothing to search (no parameter has "
                          "both bounds or choices); name ranges, e.g. --space fast=5:50:5")
    searched = {d.name for d in dims}
    return ParamSpace(strategy, tuple(dims), {k: v for k, v in fixed.items() if k not in searched})


def _declared(spec: ParamSpec) -> Dimension | None:
    if spec.choices:
        return Dimension(spec.name, "choice", choices=spec.choices)
    if spec.type == "bool":
        return Dimension(spec.name, "choice", choices=(False, True))
    if spec.type in ("int", "float") and spec.low is not None and spec.high is not None:
        return Dimension(spec.name, spec.type, float(spec.low), float(spec.high),
                         None if spec.step is None else float(spec.step), spec.log)
    return None


def _override(spec: ParamSpec, value: Any) -> Dimension:
    if isinstance(value, Dimension):
        return value
    if isinstance(value, range):
        return Dimension(spec.name, "int", value.start, value[-1], value.step, every_step=True)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return Dimension(spec.name, "choice", choices=tuple(_typed(spec, v) for v in value))
    text = str(value).strip()
    if ":" not in text:
        return Dimension(spec.name, "choice", choices=tuple(_typed(spec, v) for v in text.split(",")))
    parts = [p.strip() for p in text.split(":")]
    log = parts[-1].lower() == "log"
    if log:
        parts = parts[:-1]
    if len(parts) not in (2, 3) or spec.type not in ("int", "float"):
        raise ConfigError(f"--space {spec.name}={text}: expected LOW:HIGH[:STEP|:log] for a number "
                          "or a,b,c for choices")
    try:
        low, high, *step = (float(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--space {spec.name}={text}: LOW, HIGH and STEP must be numbers") from None
    if spec.type == "int" and not step and not log:
        step = [1.0]
    return Dimension(spec.name, spec.type, low, high, step[0] if step else None, log,
                     every_step=bool(step) and len(parts) == 3)


def _typed(spec: ParamSpec, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if spec.type == "bool":
        return text.lower() in ("1", "true", "yes", "on")
    number = {"int": int, "float": float}.get(spec.type)
    if number is None:
        return text
    try:
        return number(text)
    except ValueError:
        raise ConfigError(f"--space {spec.name}: {text!r} is not a valid {spec.type}") from None


def _decimals(step: float) -> int:
    text = f"{step:.12f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
