"""The live venue settings in a daemon config: mistakes are caught at start, naming file and key."""

from __future__ import annotations

import pytest

from tradloopd.config import load_run_config
from tradloopd.errors import ConfigError

BASE = '[feed]\nsymbols = ["BTC/USDT"]\n[[strategies]]\nname = "ma_cross"\n'


def config(tmp_path, venue: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "live.toml"
    path.write_text(BASE + venue)
    return path


def test_a_live_venue_decodes_with_its_defaults(tmp_path):
    loaded = load_run_config(config(tmp_path, '[venue]\nkind = "ccxt"\n[venue.ccxt.main]\nexchange = "okx"\n'
                                              'market-type = "swap"\n'))
    venue = loaded.venue
    assert venue.kind == "ccxt" and venue.ccxt["main"].exchange == "okx"
    assert (venue.reconcile.unknown_orders, venue.reconcile.position_changes) == ("report", "refuse")
    assert venue.ccxt["main"].rate_limit and venue.resolve_grace_s == 15


@pytest.mark.parametrize(("venue", "words"), [
    ('[venue]\nkind = "ccxt"\n', 'venue: kind = "ccxt" needs at least one [venue.ccxt.NAME]'),
    ('[venue]\nkind = "ccxt"\n[venue.ccxt.main]\nexchang = "okx"\n', "unknown key 'exchang'"),
    ('[venue]\nkind = "ccxt"\n[venue.ccxt.main]\nmarket-type = "futures"\n',
     "venue.ccxt[...].market-type: Invalid enum value 'futures'"),
    ('[venue]\nkind = "ccxt"\n[venue.ccxt.main]\n[venue.reconcile]\nunknown-orders = "ignore"\n',
     "venue.reconcile.unknown-orders"),
])
def test_live_venue_mistakes_name_the_file_and_key(tmp_path, venue, words):
    path = config(tmp_path, venue)
    with pytest.raises(ConfigError) as refused:
        load_run_config(path)
    assert str(refused.value).startswith(f"{path}: ") and words in str(refused.value)
