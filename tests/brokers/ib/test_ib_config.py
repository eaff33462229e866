"""The IB venue settings: config/live-ib.toml documents and sets every one, and bad values are named."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import msgspec
import pytest

from tradloopd.brokers.ib.config import IbVenueConfig
from tradloopd.brokers.ib.contracts import ContractSpec, contract_for
from tradloopd.config import decode, load_run_config
from tradloopd.errors import ConfigError

LIVE_IB = Path(__file__).resolve().parents[3] / "config" / "live-ib.toml"


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def test_live_ib_toml_sets_and_explains_every_ib_setting():
    section = tomllib.loads(LIVE_IB.read_text())["venue"]["ib"]
    assert {_kebab(f) for f in IbVenueConfig.__struct_fields__} == set(section)
    lines = LIVE_IB.read_text().splitlines()
    start = lines.index("[venue.ib]")
    for key in set(section) - {"contracts"}:
        at = next(n for n, line in enumerate(lines) if n > start and line.startswith(f"{key} = "))
        while at > 0 and lines[at - 1].strip() and not lines[at - 1].startswith("#"):
            at -= 1  # keys grouped under one comment
        assert lines[at - 1].startswith("#"), f"{key} has no comment explaining it"
    contract_keys = {_kebab(f) for f in ContractSpec.__struct_fields__}
    assert {key for spec in section["contracts"].values() for key in spec} <= contract_keys


def test_the_daemon_config_carries_the_ib_venue():
    config = load_run_config(LIVE_IB)
    ib = config.venue.ib
    assert config.venue.kind == "ib" and isinstance(ib, IbVenueConfig)
    assert (ib.port, ib.client_id, ib.max_messages_per_s) == (7497, 17, 45)
    assert contract_for("BMW", ib.contracts) == ContractSpec(sec_type="STK", symbol="BMW", exchange="SMART",
                                                             primary_exchange="IBIS", currency="EUR")
    assert contract_for("DAX 202612", ib.contracts).exchange == "EUREX"


def test_the_account_comes_from_the_file_or_the_named_variable():
    assert IbVenueConfig(account="U1").account_id({"IB_ACCOUNT": "U2"}) == "U1"
    assert IbVenueConfig(account_env="IB_ACCOUNT").account_id({"IB_ACCOUNT": "U2"}) == "U2"
    assert IbVenueConfig().account_id({}) == ""
    with pytest.raises(ConfigError, match=r"live-ib.toml: account-env names \$IB_ACCOUNT, which is not set"):
        IbVenueConfig(account_env="IB_ACCOUNT").account_id({}, "live-ib.toml")


@pytest.mark.parametrize(("raw", "message"), [
    ({"max-messages-per-s": 60}, "max-messages-per-s"),
    ({"port": 0}, "port"),
    ({"client-id": -1}, "client-id"),
    ({"reconnect-initial-s": 5, "reconnect-max-s": 1}, "reconnect-max-s must be at least"),
    ({"contracts": {"X": {"symbol": "X", "exchange": "SMART"}}}, "sec-type"),
    ({"clientid": 3}, "unknown key 'clientid'"),
])
def test_a_bad_setting_is_refused_naming_it(raw, message):
    with pytest.raises(ConfigError, match=message):
        decode(raw, IbVenueConfig, "live-ib.toml")


def test_reading_the_config_does_not_import_ib_async():
    check = "import sys, tradloopd.config; assert 'ib_async' not in sys.modules, 'ib_async imported'"
    subprocess.run([sys.executable, "-c", check], check=True, timeout=60)
    assert msgspec.convert({"port": 4002}, IbVenueConfig).port == 4002
