"""The strategy API: typed, bounded parameters and their messages; loading by name or file."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import pytest
from msgspec import Meta

from strategies import BUILTIN
from tradloopd.errors import ParameterError, StrategyNotFound
from tradloopd.strategy import (
    NoParams,
    Strategy,
    load_strategy,
    make_params,
    param_specs,
    parse_assignments,
    styles,
)


class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    period: Annotated[int, Meta(ge=2, le=200, extra={"step": 2}, description="lookback")] = 20
    k: Annotated[float, Meta(gt=0, lt=5, extra={"log": True})] = 2.0
    mode: Literal["fast", "slow"] = "fast"
    size: Annotated[float, Meta(gt=0)] | None = None
    short: bool = False

    def __post_init__(self) -> None:
        if self.mode == "slow" and self.period < 10:
            raise ValueError(f"mode slow needs period >= 10, got {self.period}")


class Demo(Strategy):
    name = "demo"
    Params = Params

    def on_bar(self, bar: object, ctx: object) -> None:
        pass


@pytest.mark.parametrize(("values", "message"), [
    ({"period": "abc"}, "strategy demo: parameter period: Expected `int`, got `str` (got 'abc')"),
    ({"period": 1}, "strategy demo: parameter period: Expected `int` >= 2 (got 1)"),
    ({"period": "201"}, "strategy demo: parameter period: Expected `int` <= 200 (got '201')"),
    ({"k": "0"}, "strategy demo: parameter k: Expected `float` > 0.0 (got '0')"),
    ({"mode": "medium"}, "strategy demo: parameter mode: Invalid enum value 'medium' (got 'medium')"),
    ({"speed": 3}, "strategy demo: unknown parameter 'speed'"),
    ({"mode": "slow", "period": 4}, "strategy demo: mode slow needs period >= 10, got 4"),
])
def test_bad_parameters_are_refused_with_one_line_naming_the_parameter(values, message):
    with pytest.raises(ParameterError) as caught:
        make_params(Demo, values)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_parameter_strings_from_the_command_line_are_converted():
    params = make_params(Demo, {"period": "30", "k": "1.5", "mode": "slow", "short": "true",
                                "size": None})
    assert params == Params(period=30, k=1.5, mode="slow", short=True, size=None)


def test_defaults_fill_what_is_not_given_and_the_base_class_keeps_them():
    assert make_params(Demo, {}) == Params()
    assert Demo().p == Params()
    assert Demo(Params(period=50)).p.period == 50


def test_a_strategy_without_params_takes_none():
    class Bare:
        def on_bar(self, bar: object, ctx: object) -> None:
            pass

    assert make_params(Bare, {}) == NoParams()
    with pytest.raises(ParameterError, match="strategy Bare: unknown parameter 'x'"):
        make_params(Bare, {"x": 1})


def test_param_specs_show_types_defaults_bounds_hints_choices_and_docs():
    specs = {s.name: s for s in param_specs(Demo)}
    assert list(specs) == ["period", "k", "mode", "size", "short"]
    period = specs["period"]
    assert (period.type, period.default, period.low, period.high, period.step, period.log,
            period.doc) == ("int", 20, 2, 200, 2, False, "lookback")
    assert (specs["k"].low, specs["k"].high, specs["k"].log) == (0, 5, True)
    assert (specs["k"].low_exclusive, specs["k"].high_exclusive) == (True, True)  # gt=0, lt=5
    assert (period.low_exclusive, period.high_exclusive) == (False, False)  # ge=2, le=200
    assert specs["size"].low_exclusive and not specs["size"].high_exclusive
    assert specs["mode"].choices == ("fast", "slow")
    assert (specs["size"].type, specs["size"].default, specs["size"].low) == ("float", None, 0)
    assert (specs["short"].type, specs["short"].default) == ("bool", False)


def test_parse_assignments():
    assert parse_assignments(["fast=10", " slow = 40 ", "qty=none", "x=NULL", "eq=a=b"]) == \
        {"fast": "10", "slow": "40", "qty": None, "x": None, "eq": "a=b"}


@pytest.mark.parametrize("item", ["fast", "=10", " =3"])
def test_parse_assignments_refuses_items_without_a_name_or_value(item):
    with pytest.raises(ParameterError, match=r"expected NAME=VALUE, e\.g\. --param fast=10"):
        parse_assignments([item])


# Loading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_builtin_loads_by_name_has_a_style_and_valid_defaults(name):
    cls = load_strategy(name)
    assert styles(cls)
    assert make_params(cls, {}) is not None
    assert cls.name == name


def test_styles_tell_which_methods_a_class_has():
    class Both:
        def on_bar(self, bar: object, ctx: object) -> None: ...
        def signals(self, frame: object) -> object: ...

    class Vector:
        def signals(self, frame: object) -> object: ...

    assert styles(Both) == ("bar", "signal")
    assert styles(Vector) == ("signal",)
    assert styles(object) == ()


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_a_user_strategy_loads_from_its_file(tmp_path):
    path = write(tmp_path, "mine.py", """
        from tradloopd.strategy import Strategy

        class Helper:
            pass

        class Mine(Strategy):
            name = "mine"
            def on_bar(self, bar, ctx):
                pass
    """)
    cls = load_strategy(str(path))
    assert cls.__name__ == "Mine" and styles(cls) == ("bar",)


def test_a_file_with_two_strategies_is_refused(tmp_path):
    path = write(tmp_path, "two.py", """
        class A:
            def on_bar(self, bar, ctx): pass
        class B:
            def signals(self, frame): pass
    """)
    with pytest.raises(StrategyNotFound, match="expected exactly one class with on_bar\\(\\) or "
                       "signals\\(\\), found 2"):
        load_strategy(str(path))


def test_a_file_that_fails_to_import_names_the_file_and_the_error(tmp_path):
    path = write(tmp_path, "broken.py", "import no_such_module_anywhere\n")
    with pytest.raises(StrategyNotFound) as caught:
        load_strategy(str(path))
    assert str(caught.value).startswith(f"{path}: the strategy file failed to import:")
    assert "no_such_module_anywhere" in str(caught.value)


@pytest.mark.parametrize("name", ["nope", "missing.py", "strategies/ma_cross"])
def test_unknown_strategy_lists_the_builtins(name):
    with pytest.raises(StrategyNotFound) as caught:
        load_strategy(name)
    assert str(caught.value) == (f"unknown strategy {name!r}: use a built-in name "
                                 f"({', '.join(sorted(BUILTIN))}) or a path to a .py file")
