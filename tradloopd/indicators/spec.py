"""How strategies declare indicators (`ind`) and how the engine runs them (`compute`, `Stream`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec
import numpy as np

from tradloopd.indicators.inputs import IndicatorError
from tradloopd.indicators.registry import REGISTRY, Entry, Param

SOURCES = ("open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4")
_COLUMNS = ("open", "high", "low", "close", "volume")


class Ind(msgspec.Struct, frozen=True, kw_only=True):
    """One indicator declaration: registry name, full parameters, input column."""

    name: str
    params: dict[str, Param] = {}
    source: str = "close"


def ind(name: str, /, *, source: str = "close", **params: Param) -> Ind:
    """Declare an indicator, checking its name, source and every parameter."""
    entry = _entry(name)
    if source not in SOURCES:
        raise IndicatorError(f"source: expected one of {', '.join(SOURCES)}, got {source!r}")
    if source != "close" and "source" not in entry.inputs:
        raise IndicatorError(f"source: {name} reads {'/'.join(entry.inputs)}, not a source column")
    merged = dict(entry.defaults)
    for key, value in params.items():
        merged[key] = _param(name, entry, key, value)
    entry.stream(**merged)
    return Ind(name=name, params=merged, source=source)


def _entry(name: str) -> Entry:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise IndicatorError(f"name: unknown indicator {name!r}; known: {known}") from None


def _param(name: str, entry: Entry, key: str, value: object) -> Param:
    if key not in entry.defaults:
        allowed = ", ".join(entry.defaults) or "none"
        raise IndicatorError(f"{key}: {name} has no parameter {key!r} (parameters: {allowed})")
    default = entry.defaults[key]
    if isinstance(value, bool):
        raise IndicatorError(f"{key}: expected {type(default).__name__}, got {value!r}")
    if isinstance(default, float) and isinstance(value, int | float):
        return float(value)
    if not isinstance(value, type(default)):
        raise IndicatorError(f"{key}: expected {type(default).__name__}, got {value!r}")
    return value  # type: ignore[return-value]


def outputs(spec: Ind) -> tuple[str, ...]:
    """Output names of an indicator, e.g. ("value",) or ("upper", "middle", "lower")."""
    out = _entry(spec.name).outputs
    return out(spec.params) if callable(out) else out


def _source(source: str, bars: Mapping[str, np.ndarray]) -> np.ndarray:
    col = {k: np.asarray(bars[k], dtype=np.float64) for k in _COLUMNS if k in bars}
    match source:
        case "hl2":
            return (col["high"] + col["low"]) / 2.0
        case "hlc3":
            return (col["high"] + col["low"] + col["close"]) / 3.0
        case "ohlc4":
            return (col["open"] + col["high"] + col["low"] + col["close"]) / 4.0
        case _:
            return col[source]


def compute(spec: Ind, bars: Mapping[str, np.ndarray], ts: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Batch form: every output over the whole bar arrays (NaN during warm-up)."""
    entry = _entry(spec.name)
    args: list[np.ndarray] = []
    for name in entry.inputs:
        if name == "ts":
            if ts is None:
                raise IndicatorError(f"ts: {spec.name} needs bar timestamps (int64 ns UTC)")
            args.append(np.asarray(ts, dtype=np.int64))
        elif name == "source":
            args.append(_source(spec.source, bars))
        else:
            args.append(np.asarray(bars[name], dtype=np.float64))
    result = entry.batch(*args, **spec.params)
    values = result if isinstance(result, tuple) else (result,)
    return dict(zip(outputs(spec), values, strict=True))


_Bar = tuple[int, float, float, float, float, float]
_PICK: dict[str, Callable[[_Bar], float | int]] = {
    "ts": lambda b: b[0],
    "open": lambda b: b[1],
    "high": lambda b: b[2],
    "low": lambda b: b[3],
    "close": lambda b: b[4],
    "volume": lambda b: b[5],
    "hl2": lambda b: (b[2] + b[3]) / 2.0,
    "hlc3": lambda b: (b[2] + b[3] + b[4]) / 3.0,
    "ohlc4": lambda b: (b[1] + b[2] + b[3] + b[4]) / 4.0,
}


class Stream:
    """Streaming counterpart of `compute`: one bar in, every output's latest value out."""

    __slots__ = ("_impl", "_names", "_picks")

    def __init__(self, spec: Ind) -> None:
        entry = _entry(spec.name)
        self._impl = entry.stream(**spec.params)
        self._names = outputs(spec)
        self._picks = tuple(_PICK[spec.source if i == "source" else i] for i in entry.inputs)

    def update(
        self, ts: int, open: float, high: float, low: float, close: float, volume: float
    ) -> dict[str, float]:
        """Feed one closed bar; returns {output: value} (NaN during warm-up)."""
        bar = (ts, open, high, low, close, volume)
        result = self._impl.update(*(pick(bar) for pick in self._picks))
        values = result if isinstance(result, tuple) else (result,)
        return dict(zip(self._names, values, strict=True))
