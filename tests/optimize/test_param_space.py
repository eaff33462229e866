"""The searched space comes from the strategy's declared parameters; overrides and constraints."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planted_strategies import Planted

from strategies.ma_cross import MaCross
from strategies.rsi_bollinger import RsiBollinger
from tradloopd.errors import ConfigError, ParameterError
from tradloopd.optimize.space import Dimension, space_for


def test_declared_bounds_choices_and_bools_are_searched_the_rest_fixed() -> None:
    space = space_for(MaCross)
    assert space.names == ["fast", "slow"]  # qty has no upper bound: it keeps its default
    assert space.dimensions[0] == Dimension("fast", "int", 1.0, 1000.0, 1.0)
    rsi = space_for(RsiBollinger)
    assert "allow_short" in rsi.names
    assert rsi.dimensions[rsi.names.index("allow_short")].choices == (False, True)
    planted = space_for(Planted)
    assert planted.dimensions[planted.names.index("mode")].choices == ("flat", "long")


def test_overrides_name_exactly_what_is_searched() -> None:
    space = space_for(MaCross, {"fast": "5:50:5", "slow": [60, 120, 240]}, {"qty": "2"})
    assert space.names == ["fast", "slow"] and space.fixed == {"qty": "2"}
    assert space.dimensions[0].grid() == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]
    assert space.dimensions[1].grid() == [60, 120, 240]
    only_fast = space_for(MaCross, {"fast": "5:9"}, {"slow": 30})
    assert only_fast.names == ["fast"] and only_fast.fixed == {"slow": 30}
    assert only_fast.dimensions[0].grid() == [5, 6, 7, 8, 9]


def test_grid_spacing_linear_log_and_float_steps() -> None:
    log = space_for(RsiBollinger, {"bb_k": "0.5:4:log"}).dimensions[0]
    values = log.grid(4)
    assert values[0] == 0.5 and values[-1] == 4.0
    assert np.allclose(np.diff(np.log(values)), np.log(2))  # equal ratios: 0.5, 1, 2, 4
    stepped = space_for(RsiBollinger, {"bb_k": "1:2:0.25"}).dimensions[0]
    assert stepped.grid() == [1.0, 1.25, 1.5, 1.75, 2.0]
    wide = space_for(MaCross, {"slow": "10:1000"}).dimensions[0]
    assert len(wide.grid(10)) == 10 and wide.grid(10)[0] == 10 and wide.grid(10)[-1] == 1000


def test_the_grid_skips_combinations_the_params_refuse() -> None:
    space = space_for(MaCross, {"fast": "10:50:10", "slow": "20:60:20"})
    combos = list(space.grid())
    assert space.grid_size() == 15
    assert all(c["fast"] < c["slow"] for c in combos)
    assert len(combos) == 1 + 3 + 5  # slow 20: fast 10; slow 40: 10-30; slow 60: 10-50
    assert "fast (40) must be less than slow (20)" in space.problem({"fast": 40, "slow": 20})


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000))
def test_random_draws_are_valid_and_inside_the_bounds(seed: int) -> None:
    space = space_for(MaCross, {"fast": "2:200", "slow": "3:400"})
    params = space.sample(np.random.default_rng(seed))
    assert 2 <= params["fast"] < params["slow"] <= 400
    assert space.problem(params) is None


def test_bad_spaces_are_refused_with_the_parameter_named() -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'fsat'"):
        space_for(MaCross, {"fsat": "1:5"})
    with pytest.raises(ConfigError, match="--space fast=a:b"):
        space_for(MaCross, {"fast": "a:b"})
    with pytest.raises(ConfigError, match="log scale needs low > 0"):
        space_for(RsiBollinger, {"bb_k": "0:4:log"})
    with pytest.raises(ConfigError, match="no valid parameters"):
        space_for(MaCross, {"fast": "50:60", "slow": "10:20"}).sample(np.random.default_rng(0), tries=20)
