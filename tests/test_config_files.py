"""Every file in config/ decodes into its settings struct: the documented files stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradloopd.config import load_backtest_config, load_run_config

CONFIG = Path(__file__).resolve().parents[1] / "config"
LOADERS = {"backtest.toml": load_backtest_config, "paper.toml": load_run_config,
           "paper-demo.toml": load_run_config, "live-ib.toml": load_run_config,
           "live-ccxt.toml": load_run_config, "paper-ib-demo.toml": load_run_config}


def test_every_config_file_has_a_loader():
    files = {p.name for p in CONFIG.glob("*.toml")}
    assert files <= set(LOADERS), f"no decoder registered for {files - set(LOADERS)}"


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_config_file_decodes(name):
    config = LOADERS[name](CONFIG / name)
    assert config is not None


def test_the_systemd_unit_runs_the_daemon_with_notify_and_restarts():
    unit = (CONFIG / "tradloopd.service").read_text()
    for line in ("Type=notify", "Restart=on-failure", "StateDirectory=tradloopd", "WatchdogSec=",
                 "tradloopd run --config"):
        assert line in unit
