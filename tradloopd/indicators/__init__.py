"""Technical indicators: vectorised batch functions, O(1) streaming classes, declarations."""

from tradloopd.indicators.inputs import IndicatorError
from tradloopd.indicators.momentum import RSI, rsi
from tradloopd.indicators.moving import (
    DEMA,
    EMA,
    HMA,
    SMA,
    TEMA,
    VWMA,
    WMA,
    dema,
    ema,
    hma,
    sma,
    tema,
    vwma,
    wma,
)
from tradloopd.indicators.registry import REGISTRY
from tradloopd.indicators.spec import Ind, Stream, compute, ind, outputs
from tradloopd.indicators.trend import ADX, adx
from tradloopd.indicators.volatility import (
    ATR,
    HV,
    NATR,
    BBands,
    Donchian,
    Keltner,
    StdDev,
    TrueRange,
    ZScore,
    atr,
    bbands,
    donchian,
    hv,
    keltner,
    natr,
    stddev,
    trange,
    zscore,
)

__all__ = [
    "ADX", "ATR", "DEMA", "EMA", "HMA", "HV", "NATR", "REGISTRY", "RSI", "SMA", "TEMA", "VWMA",
    "WMA", "BBands", "Donchian", "Ind", "IndicatorError", "Keltner", "StdDev", "Stream",
    "TrueRange", "ZScore", "adx", "atr", "bbands", "compute", "dema", "donchian", "ema", "hma",
    "hv", "ind", "keltner", "natr", "outputs", "rsi", "sma", "stddev", "tema", "trange", "vwma",
    "wma", "zscore",
]  # fmt: skip
