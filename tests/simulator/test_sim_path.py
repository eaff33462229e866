"""The intra-bar path: open -> nearer extreme -> other extreme -> close, the tie rule, worst mode."""

from __future__ import annotations

import pytest
from venue_builders import D, Paper, fill_prices, fills

from tradloopd.simulator.path import bar_path


@pytest.mark.parametrize(("bar", "path"), [
    ((100.0, 104.0, 99.0, 103.0), (100.0, 99.0, 104.0, 103.0)),   # low nearer: low first
    ((100.0, 101.0, 96.0, 97.0), (100.0, 101.0, 96.0, 97.0)),    # high nearer: high first
    ((100.0, 100.0, 95.0, 96.0), (100.0, 100.0, 95.0, 96.0)),    # opens at the high
    ((100.0, 105.0, 100.0, 104.0), (100.0, 100.0, 105.0, 104.0)),  # opens at the low
])
def test_path_visits_the_nearer_extreme_first(bar, path):
    assert bar_path(*bar, mode="nearest", position_sign=0) == path


@pytest.mark.parametrize(("close", "path"), [
    (103.0, (100.0, 96.0, 104.0, 103.0)),  # closes above the open: down first
    (100.0, (100.0, 96.0, 104.0, 100.0)),  # closes at the open: down first
    (97.0, (100.0, 104.0, 96.0, 97.0)),    # closes below the open: up first
])
def test_open_equally_far_from_both_extremes_goes_away_from_the_close_first(close, path):
    assert bar_path(100.0, 104.0, 96.0, close, mode="nearest", position_sign=0) == path


@pytest.mark.parametrize(("position_sign", "path"), [
    (1, (100.0, 96.0, 103.0, 102.0)),   # long: the low (against it) first, though the high is nearer
    (-1, (100.0, 103.0, 96.0, 102.0)),  # short: the high first
    (0, (100.0, 103.0, 96.0, 102.0)),   # flat: worst has nothing to go against, nearest applies
])
def test_worst_mode_goes_against_the_position_first(position_sign, path):
    assert bar_path(100.0, 103.0, 96.0, 102.0, mode="worst", position_sign=position_sign) == path


def test_nearest_mode_ignores_the_position():
    assert bar_path(100.0, 103.0, 96.0, 102.0, mode="nearest", position_sign=1) == \
        (100.0, 103.0, 96.0, 102.0)


def test_the_path_decides_which_of_two_stops_fills_in_one_bar():
    paper = Paper()
    paper.submit("up", "buy", 1, kind="stop", trigger_price=103)
    paper.submit("down", "sell", 1, kind="stop", trigger_price=97)
    paper.bar(100.0, 104.0, 96.5, 101.0)  # the low is nearer (3.5 vs 4): down first
    assert [f.client_order_id for f in fills(paper.events)] == ["down", "up"]
    assert fill_prices(paper.events) == [D(97), D(103)]


def test_tie_rule_holds_for_prices_with_decimals():
    # open 100.2 is exactly 0.1 from both the high and the low, and the bar closes at its open
    assert bar_path(100.2, 100.3, 100.1, 100.2, mode="nearest", position_sign=0) == \
        (100.2, 100.1, 100.3, 100.2)
