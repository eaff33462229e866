"""Contract of every indicator: no look-ahead, NaN warm-up, errors that name the argument."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from tradloopd.indicators import REGISTRY, IndicatorError, compute, ind, outputs

NAMES = sorted(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_values_never_depend_on_later_bars(name: str, make_bars: Callable[..., dict]) -> None:
    bars = make_bars(n=400, seed=5)
    spec = ind(name)
    full = compute(spec, bars, bars["ts"])
    cut = {k: v[:250] for k, v in bars.items()}
    head = compute(spec, cut, cut["ts"])
    for key in outputs(spec):
        np.testing.assert_array_equal(head[key], full[key][:250], err_msg=key)
        valid = ~np.isnan(full[key])
        assert valid[-50:].all(), f"{name}.{key} has NaN after its warm-up"


@pytest.mark.parametrize("name", NAMES)
def test_period_longer_than_data_is_refused(name: str, make_bars: Callable[..., dict]) -> None:
    int_params = [k for k, v in REGISTRY[name].defaults.items() if isinstance(v, int)]
    if not int_params or int_params == ["session_gap_min"]:
        pytest.skip("no window length")
    bars = make_bars(n=30)
    key = "period" if "period" in int_params else "slow" if "slow" in int_params else int_params[0]
    with pytest.raises(IndicatorError, match=key):
        compute(ind(name, **{key: 31}), bars, bars["ts"])


@pytest.mark.parametrize("name", NAMES)
def test_nan_inside_the_series_is_refused(name: str, make_bars: Callable[..., dict]) -> None:
    bars = make_bars(n=100)
    column = "volume" if "volume" in REGISTRY[name].inputs else "close"
    if REGISTRY[name].inputs[-1] in ("low",):
        column = "high"
    bars[column] = bars[column].copy()
    bars[column][40] = math.nan
    with pytest.raises(IndicatorError, match="NaN"):
        compute(ind(name), bars, bars["ts"])


@pytest.mark.parametrize("name", NAMES)
def test_non_positive_periods_are_refused(name: str) -> None:
    for key, value in REGISTRY[name].defaults.items():
        if isinstance(value, int) and key != "displacement":
            with pytest.raises(IndicatorError, match=key):
                ind(name, **{key: 0})


def test_mismatched_lengths_name_the_columns(make_bars: Callable[..., dict]) -> None:
    bars = make_bars(n=50)
    bars["low"] = bars["low"][:-1]
    with pytest.raises(IndicatorError, match="low=49"):
        compute(ind("atr"), bars)


def test_declarations_are_checked() -> None:
    with pytest.raises(IndicatorError, match="name"):
        ind("smaa")
    with pytest.raises(IndicatorError, match="perod"):
        ind("sma", perod=3)
    with pytest.raises(IndicatorError, match="period"):
        ind("sma", period=2.5)
    with pytest.raises(IndicatorError, match="source"):
        ind("atr", source="hl2")
    with pytest.raises(IndicatorError, match="anchor"):
        ind("vwap", anchor="month")
    with pytest.raises(IndicatorError, match="fast"):
        ind("macd", fast=30, slow=20)
    assert isinstance(IndicatorError("x"), ValueError)


def test_declaration_fills_defaults_and_names_outputs() -> None:
    assert ind("rsi") == ind("rsi", period=14)
    assert ind("bbands", k=2).params == {"period": 20, "k": 2.0}
    assert outputs(ind("sma")) == ("value",)
    assert outputs(ind("bbands")) == ("upper", "middle", "lower", "bandwidth", "percent_b")
    assert outputs(ind("pivots", method="camarilla"))[-1] == "s4"
    assert outputs(ind("pivots"))[-1] == "s3"


def test_vwap_needs_timestamps(make_bars: Callable[..., dict]) -> None:
    bars = make_bars(n=20)
    with pytest.raises(IndicatorError, match="ts"):
        compute(ind("vwap"), bars)
