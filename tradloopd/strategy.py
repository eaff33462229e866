"""The strategy API: typed and bounded parameters, declared indicators, and the two styles.

A strategy is a class with a `name`, a frozen msgspec `Params` struct (types and bounds through
`Annotated[..., msgspec.Meta(ge=..., le=...)]`, constraints in `__post_init__`), an optional
`indicators()` declaration, and either or both of:

- `on_bar(self, bar, ctx)`: called once per closed bar with a `Context` that shows only data up
  to that bar and takes orders (`ctx.buy`, `ctx.sell`, `ctx.close`, `ctx.submit`, `ctx.cancel`).
- `signals(self, frame)`: a function of the whole bar frame (OHLCV plus declared indicators)
  returning the target position per bar (`units(...)` or `fraction(...)` of equity, NaN = keep);
  the engine trades the changes at the next bar's open and checks the function never looks ahead.

Optional hooks: `on_start(ctx)`, `on_fill(fill, ctx)`, `on_order(event, ctx)`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import msgspec
import numpy as np

from tradloopd.errors import ParameterError, StrategyNotFound

if TYPE_CHECKING:
    from tradloopd.indicators import Ind


class NoParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Parameters of a strategy that takes none."""


class Strategy:
    """Optional base class: stores the validated parameters as `self.p`."""

    name: ClassVar[str] = ""
    Params: ClassVar[type[msgspec.Struct]] = NoParams

    def __init__(self, params: msgspec.Struct | None = None) -> None:
        self.p: Any = params if params is not None else make_params(type(self), {})

    def indicators(self) -> Mapping[str, Ind]:
        return {}


class Targets(NamedTuple):
    """Target positions per bar from a vectorised strategy: units of the instrument, or a
    fraction of equity (1.0 = all equity long, -0.5 = half of equity short)."""

    values: np.ndarray
    unit: Literal["units", "fraction"]


def units(values: object) -> Targets:
    return Targets(np.asarray(values, dtype=np.float64), "units")


def fraction(values: object) -> Targets:
    return Targets(np.asarray(values, dtype=np.float64), "fraction")


class ParamSpec(NamedTuple):
    """One declared parameter, as the optimizer and `--help` see it. A bound from `gt`/`lt` is
    exclusive (`low_exclusive`, `high_exclusive`): the value itself is invalid, never sample it."""

    name: str
    type: str
    default: object
    low: float | None
    high: float | None
    step: float | None
    log: bool
    choices: tuple[object, ...] | None
    doc: str
    low_exclusive: bool = False
    high_exclusive: bool = False


def strategy_name(cls: type) -> str:
    return getattr(cls, "name", "") or cls.__name__


def make_params(cls: type, values: Mapping[str, object]) -> msgspec.Struct:
    """Validate parameter values (strings are converted) into the strategy's Params struct."""
    params_type: type[msgspec.Struct] = getattr(cls, "Params", NoParams)
    try:
        return msgspec.convert(dict(values), params_type, strict=False)
    except msgspec.ValidationError as exc:
        raise ParameterError(f"strategy {strategy_name(cls)}: {_explain(exc, values)}") from None


def _explain(exc: msgspec.ValidationError, values: Mapping[str, object]) -> str:
    text = str(exc)
    where = re.search(r" - at `\$\.?([^`]*)`$", text)
    message = text[: where.start()] if where else text
    unknown = re.match(r"Object contains unknown field `([^`]+)`", message)
    if unknown:
        return f"unknown parameter {unknown.group(1)!r}"
    name = where.group(1) if where and where.group(1) else ""
    if not name:
        return message
    given = f" (got {values[name]!r})" if name in values else ""
    return f"parameter {name}: {message}{given}"


def parse_assignments(items: list[str]) -> dict[str, object]:
    """`["fast=10", "qty=none"]` -> {"fast": "10", "qty": None}; 'none'/'null' mean None."""
    values: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"--param {item!r}: expected NAME=VALUE, e.g. --param fast=10")
        values[name.strip()] = None if value.strip().lower() in ("none", "null") else value.strip()
    return values


def param_specs(cls: type) -> list[ParamSpec]:
    """The declared parameters with defaults, bounds, step/log hints and choices."""
    info = msgspec.inspect.type_info(getattr(cls, "Params", NoParams))
    assert isinstance(info, msgspec.inspect.StructType)
    return [_spec(field) for field in info.fields]


def _spec(field: msgspec.inspect.Field) -> ParamSpec:
    kind = field.type
    if isinstance(kind, msgspec.inspect.UnionType):
        kind = next((t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)), kind)
    extra: dict[str, Any] = {}
    doc = ""
    if isinstance(kind, msgspec.inspect.Metadata):
        extra, doc = dict(kind.extra or {}), (kind.extra_json_schema or {}).get("description", "")
        kind = kind.type
    low, low_exclusive = _bound(kind, "ge", "gt")
    high, high_exclusive = _bound(kind, "le", "lt")
    choices = tuple(kind.values) if isinstance(kind, msgspec.inspect.LiteralType) else None
    type_name = type(kind).__name__.removesuffix("Type").lower()
    default = None if field.default is msgspec.NODEFAULT else field.default
    return ParamSpec(field.name, type_name, default, low, high, extra.get("step"),
                     bool(extra.get("log", False)), choices, doc, low_exclusive, high_exclusive)


def _bound(kind: object, inclusive: str, exclusive: str) -> tuple[float | None, bool]:
    """A bound and whether it is exclusive: `ge`/`le` include the value, `gt`/`lt` do not."""
    value = getattr(kind, inclusive, None)
    if value is not None:
        return value, False
    value = getattr(kind, exclusive, None)
    return value, value is not None


def styles(cls: type) -> tuple[str, ...]:
    """Which styles the class implements: "bar" (on_bar), "signal" (signals), or both."""
    return tuple(s for s, attr in (("bar", "on_bar"), ("signal", "signals")) if hasattr(cls, attr))


def load_strategy(name_or_path: str) -> type:
    """A built-in strategy by name, or the strategy class defined in a Python file."""
    from strategies import BUILTIN

    if name_or_path in BUILTIN:
        module_name, _, class_name = BUILTIN[name_or_path].partition(":")
        cls: type = getattr(importlib.import_module(module_name), class_name)
        return cls
    path = Path(name_or_path)
    if path.suffix == ".py" and path.is_file():
        return _class_from_file(path)
    known = ", ".join(sorted(BUILTIN))
    raise StrategyNotFound(
        f"unknown strategy {name_or_path!r}: use a built-in name ({known}) or a path to a .py file"
    )


def _class_from_file(path: Path) -> type:
    module_name = f"tradloopd_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise StrategyNotFound(f"{path}: the strategy file failed to import: {exc!r}") from exc
    found = [
        obj for obj in vars(module).values()
        if inspect.isclass(obj) and obj.__module__ == module_name and styles(obj)
    ]
    if len(found) != 1:
        raise StrategyNotFound(
            f"{path}: expected exactly one class with on_bar() or signals(), found {len(found)}"
        )
    return found[0]
