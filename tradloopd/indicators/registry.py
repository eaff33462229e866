"""The catalogue of built-in indicators: name -> batch function, streaming class, inputs, outputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tradloopd.indicators import (
    adaptive,
    levels,
    momentum,
    moving,
    oscillators,
    regression,
    reversal,
    trend,
    volatility,
    volume,
)

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
SRC = ("source",)
HL = ("high", "low")
HLC = ("high", "low", "close")
HLCV = ("high", "low", "close", "volume")
CV = ("source", "volume")
BANDS = ("upper", "middle", "lower")
KD = ("k", "d")


def _one(batch: Callable[..., Any], stream: Callable[..., Any], **defaults: Param) -> Entry:
    return Entry(batch, stream, SRC, VALUE, defaults)


REGISTRY: dict[str, Entry] = {
    # moving averages
    "sma": _one(moving.sma, moving.SMA, period=20),
    "ema": _one(moving.ema, moving.EMA, period=20),
    "wma": _one(moving.wma, moving.WMA, period=20),
    "dema": _one(moving.dema, moving.DEMA, period=20),
    "tema": _one(moving.tema, moving.TEMA, period=20),
    "hma": _one(moving.hma, moving.HMA, period=20),
    "kama": _one(adaptive.kama, adaptive.KAMA, period=10, fast=2, slow=30),
    "vwma": Entry(moving.vwma, moving.VWMA, CV, VALUE, {"period": 20}),
    # trend
    "trix": _one(momentum.trix, momentum.TRIX, period=15),
    "linreg": Entry(
        regression.linreg,
        regression.LinReg,
        SRC,
        ("value", "slope", "intercept", "r2", "zscore"),
        {"period": 14},
    ),
    "psar": Entry(reversal.psar, reversal.PSAR, HL, VALUE, {"acceleration": 0.02, "maximum": 0.2}),
    "supertrend": Entry(
        reversal.supertrend,
        reversal.Supertrend,
        HLC,
        ("value", "direction"),
        {"period": 10, "multiplier": 3.0},
    ),
    "adx": Entry(trend.adx, trend.ADX, HLC, ("adx", "plus_di", "minus_di"), {"period": 14}),
    "aroon": Entry(trend.aroon, trend.Aroon, HL, ("up", "down", "oscillator"), {"period": 25}),
    "ichimoku": Entry(
        trend.ichimoku,
        trend.Ichimoku,
        HLC,
        ("tenkan", "kijun", "senkou_a", "senkou_b", "chikou"),
        {"tenkan": 9, "kijun": 26, "senkou": 52, "displacement": 26},
    ),
    # momentum
    "rsi": _one(momentum.rsi, momentum.RSI, period=14),
    "macd": Entry(
        momentum.macd,
        momentum.MACD,
        SRC,
        ("macd", "signal", "histogram"),
        {"fast": 12, "slow": 26, "signal": 9},
    ),
    "stoch": Entry(
        oscillators.stoch,
        oscillators.Stoch,
        HLC,
        KD,
        {"k_period": 14, "k_smooth": 3, "d_period": 3},
    ),
    "stochrsi": Entry(
        oscillators.stochrsi,
        oscillators.StochRSI,
        SRC,
        KD,
        {"period": 14, "k_period": 14, "k_smooth": 3, "d_period": 3},
    ),
    "willr": Entry(oscillators.willr, oscillators.WillR, HLC, VALUE, {"period": 14}),
    "cci": Entry(oscillators.cci, oscillators.CCI, HLC, VALUE, {"period": 20}),
    "roc": _one(momentum.roc, momentum.ROC, period=10),
    "mom": _one(momentum.mom, momentum.MOM, period=10),
    "ultosc": Entry(
        oscillators.ultosc,
        oscillators.UltOsc,
        HLC,
        VALUE,
        {"short": 7, "medium": 14, "long": 28},
    ),
    "kdj": Entry(
        oscillators.kdj,
        oscillators.KDJ,
        HLC,
        ("k", "d", "j"),
        {"period": 9, "k_smooth": 3, "d_smooth": 3},
    ),
    "tsi": Entry(
        momentum.tsi,
        momentum.TSI,
        SRC,
        ("tsi", "signal"),
        {"long": 25, "short": 13, "signal": 13},
    ),
    "ao": Entry(momentum.ao, momentum.AO, HL, VALUE, {"fast": 5, "slow": 34}),
    # volatility
    "trange": Entry(volatility.trange, volatility.TrueRange, HLC, VALUE),
    "atr": Entry(volatility.atr, volatility.ATR, HLC, VALUE, {"period": 14}),
    "natr": Entry(volatility.natr, volatility.NATR, HLC, VALUE, {"period": 14}),
    "bbands": Entry(
        volatility.bbands,
        volatility.BBands,
        SRC,
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
    "donchian": Entry(volatility.donchian, volatility.Donchian, HL, BANDS, {"period": 20}),
    "stddev": _one(volatility.stddev, volatility.StdDev, period=20),
    "hv": _one(volatility.hv, volatility.HV, period=20, annualization=252.0),
    "zscore": _one(volatility.zscore, volatility.ZScore, period=20),
    # volume
    "obv": Entry(volume.obv, volume.OBV, CV, VALUE),
    "ad": Entry(volume.ad, volume.AD, HLCV, VALUE),
    "cmf": Entry(volume.cmf, volume.CMF, HLCV, VALUE, {"period": 20}),
    "adosc": Entry(volume.adosc, volume.ADOSC, HLCV, VALUE, {"fast": 3, "slow": 10}),
    "mfi": Entry(volume.mfi, volume.MFI, HLCV, VALUE, {"period": 14}),
    "vwap": Entry(
        levels.vwap,
        levels.VWAP,
        ("ts", *HLCV),
        VALUE,
        {"anchor": "none", "session_gap_min": 60},
    ),
    "vpt": Entry(volume.vpt, volume.VPT, CV, VALUE),
    "force": Entry(volume.force, volume.Force, CV, VALUE, {"period": 13}),
    # levels
    "pivots": Entry(
        levels.pivots,
        levels.Pivots,
        ("ts", *HLC),
        levels.pivot_outputs,
        {"method": "classic", "anchor": "day"},
    ),
}
