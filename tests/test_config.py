"""Backtest configuration files: kebab-case TOML into frozen settings; every error names file and key."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from tradloopd.config import BacktestConfig, load_backtest_config
from tradloopd.errors import ConfigError
from tradloopd.risk.guard import RiskLimits
from tradloopd.simulator import SimulatorConfig


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bt.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_no_file_means_the_documented_defaults():
    config = load_backtest_config(None)
    assert config == BacktestConfig()
    assert config.backtest.strategy == "ma_cross" and config.backtest.data == ["sample"]
    assert config.replay.cash == 100_000 and config.replay.simulator == SimulatorConfig()


def test_a_full_file_decodes_with_kebab_case_keys(tmp_path):
    path = toml(tmp_path, """
        [backtest]
        strategy = "donchian"
        params = { entry = 20, exit = 10 }
        data = ["a.csv", "b.csv"]
        symbols = ["BTC"]
        out = "runs/one"

        [replay]
        cash = "2500.50"
        check-lookahead = false
        node-id = "n1"

        [replay.simulator]
        maker-fee = 0.0002
        taker-fee = "0.001"
        slippage-bps = 2
        intrabar = "worst"
        limit-fill = "through"
        max-participation = 0.1

        [replay.risk]
        max-order-qty = 5
        max-open-orders = 3

        [replay.instruments.BTC]
        price-increment = "0.01"
        size-increment = "0.0001"
    """)
    config = load_backtest_config(path)
    assert config.backtest.params == {"entry": 20, "exit": 10}
    assert config.backtest.out == "runs/one"
    replay = config.replay
    assert (replay.cash, replay.check_lookahead, replay.node_id) == (Decimal("2500.50"), False, "n1")
    assert replay.simulator == SimulatorConfig(
        maker_fee=Decimal("0.0002"), taker_fee=Decimal("0.001"), slippage_bps=Decimal(2),
        intrabar="worst", limit_fill="through", max_participation=Decimal("0.1"))
    assert replay.risk == RiskLimits(max_order_qty=Decimal(5), max_open_orders=3)
    assert replay.instruments["BTC"].size_increment == Decimal("0.0001")


@pytest.mark.parametrize(("text", "message"), [
    ("[replay]\nbogus = 1\n",
     "[replay] unknown key 'bogus' (check the spelling against the documented file)"),
    ("[replay.simulator]\ntaker_fee = 0.1\n",  # snake_case is not the documented spelling
     "[replay.simulator] unknown key 'taker_fee' (check the spelling against the documented file)"),
    ("[nonsense]\n", "unknown key 'nonsense' (check the spelling against the documented file)"),
    ("[replay]\ncash = \"lots\"\n", "replay.cash: Invalid decimal string"),
    ("[replay.simulator]\nintrabar = \"best\"\n", "replay.simulator.intrabar: Invalid enum value 'best'"),
    ("[backtest]\ndata = \"sample\"\n", "backtest.data: Expected `array`, got `str`"),
    ("[replay.risk]\nmax-open-orders = \"three\"\n",
     "replay.risk.max-open-orders: Expected `int | null`, got `str`"),
])
def test_a_bad_key_or_value_names_the_file_and_the_key(tmp_path, text, message):
    path = toml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_backtest_config(path)
    assert str(caught.value) == f"{path}: {message}"


def test_invalid_toml_names_the_file_and_the_line(tmp_path):
    path = toml(tmp_path, "[replay]\ncash = = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_backtest_config(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
    assert "line 2" in str(caught.value)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere\.toml: config file not found"):
        load_backtest_config(tmp_path / "nowhere.toml")


def test_the_settings_are_frozen():
    config = load_backtest_config(None)
    with pytest.raises(AttributeError):
        config.replay.cash = Decimal(1)  # type: ignore[misc]
