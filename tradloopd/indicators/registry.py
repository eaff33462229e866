"""The catalogue of built-in indicators: name -> batch function, streaming class, inputs, outputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tradloopd.indicators import momentum, moving, trend, volatility

Param = int | float | str


@dataclass(frozen=True, slots=True)
class Entry:
    """How to run one indicator: `inputs` name bar columns ("source" = the spec's source)."""

    batch: Callable[..., Any]
    stream: Callable[..., Any]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...] | Callable[[dict[str, Param]], tuple[str, ...]]
    defaults: dict[str, Param] = field(default_factory=dict)


VALUE = ("value",)
HLC = ("high", "low", "close")
BANDS = ("upper", "middle", "lower")


def _single(batch: Callable[..., Any], stream: Callable[..., Any], p: int) -> Entry:
    return Entry(batch, stream, ("source",), VALUE, {"period": p})


REGISTRY: dict[str, Entry] = {
    "sma": _single(moving.sma, moving.SMA, 20),
    "ema": _single(moving.ema, moving.EMA, 20),
    "wma": _single(moving.wma, moving.WMA, 20),
    "dema": _single(moving.dema, moving.DEMA, 20),
    "tema": _single(moving.tema, moving.TEMA, 20),
    "hma": _single(moving.hma, moving.HMA, 20),
    "vwma": Entry(moving.vwma, moving.VWMA, ("source", "volume"), VALUE, {"period": 20}),
    "adx": Entry(trend.adx, trend.ADX, HLC, ("adx", "plus_di", "minus_di"), {"period": 14}),
    "rsi": _single(momentum.rsi, momentum.RSI, 14),
    "trange": Entry(volatility.trange, volatility.TrueRange, HLC, VALUE),
    "atr": Entry(volatility.atr, volatility.ATR, HLC, VALUE, {"period": 14}),
    "natr": Entry(volatility.natr, volatility.NATR, HLC, VALUE, {"period": 14}),
    "bbands": Entry(
        volatility.bbands,
        volatility.BBands,
        ("source",),
        ("upper", "middle", "lower", "bandwidth", "percent_b"),
        {"period": 20, "k": 2.0},
    ),
    "keltner": Entry(
        volatility.keltner,
        volatility.Keltner,
        HLC,
        BANDS,
        {"period": 20, "multiplier": 2.0, "atr_period": 10},
    ),
    "donchian": Entry(volatility.donchian, volatility.Donchian, ("high", "low"), BANDS, {"period": 20}),
    "stddev": _single(volatility.stddev, volatility.StdDev, 20),
    "zscore": _single(volatility.zscore, volatility.ZScore, 20),
    "hv": Entry(volatility.hv, volatility.HV, ("source",), VALUE, {"period": 20, "annualization": 252.0}),
}
