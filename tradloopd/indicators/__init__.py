"""Technical indicators: vectorised batch functions, O(1) streaming classes, declarations.

Batch functions (lowercase) take float64 arrays and return arrays of the same length,
NaN during warm-up; streaming classes (CamelCase) take one bar per `update`. Strategies
declare indicators with `ind(...)`; the engine runs them with `compute` or `Stream`.
"""

from tradloopd.indicators.adaptive import KAMA, kama
from tradloopd.indicators.inputs import IndicatorError
from tradloopd.indicators.levels import VWAP, Pivots, pivots, vwap
from tradloopd.indicators.momentum import (
    AO,
    MACD,
    MOM,
    ROC,
    RSI,
    TRIX,
    TSI,
    ao,
    macd,
    mom,
    roc,
    rsi,
    trix,
    tsi,
)
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
from tradloopd.indicators.oscillators import (
    CCI,
    KDJ,
    Stoch,
    StochRSI,
    UltOsc,
    WillR,
    cci,
    kdj,
    stoch,
    stochrsi,
    ultosc,
    willr,
)
from tradloopd.indicators.registry import REGISTRY
from tradloopd.indicators.regression import LinReg, linreg
from tradloopd.indicators.reversal import PSAR, Supertrend, psar, supertrend
from tradloopd.indicators.spec import Ind, Stream, compute, ind, outputs
from tradloopd.indicators.trend import ADX, Aroon, Ichimoku, adx, aroon, ichimoku
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
from tradloopd.indicators.volume import (
    AD,
    ADOSC,
    CMF,
    MFI,
    OBV,
    VPT,
    Force,
    ad,
    adosc,
    cmf,
    force,
    mfi,
    obv,
    vpt,
)

__all__ = [
    "AD", "ADOSC", "ADX", "AO", "ATR", "CCI", "CMF", "DEMA", "EMA", "HMA", "HV", "KAMA",
    "KDJ", "MACD", "MFI", "MOM", "NATR", "OBV", "PSAR", "REGISTRY", "ROC", "RSI", "SMA",
    "TEMA", "TRIX", "TSI", "VPT", "VWAP", "VWMA", "WMA", "Aroon", "BBands", "Donchian",
    "Force", "Ichimoku", "Ind", "IndicatorError", "Keltner", "LinReg", "Pivots", "StdDev",
    "Stoch", "StochRSI", "Stream", "Supertrend", "TrueRange", "UltOsc", "WillR", "ZScore",
    "ad", "adosc", "adx", "ao", "aroon", "atr", "bbands", "cci", "cmf", "compute", "dema",
    "donchian", "ema", "force", "hma", "hv", "ichimoku", "ind", "kama", "kdj", "keltner",
    "linreg", "macd", "mfi", "mom", "natr", "obv", "outputs", "pivots", "psar", "roc", "rsi",
    "sma", "stddev", "stoch", "stochrsi", "supertrend", "tema", "trange", "trix", "tsi",
    "ultosc", "vpt", "vwap", "vwma", "willr", "wma", "zscore",
]  # fmt: skip
