"""`[ib-feed]` and several feeds in one daemon config: what decodes, and errors naming file and key."""

from __future__ import annotations

import pytest

from tradloopd.config import load_run_config
from tradloopd.daemon import strategy_slots
from tradloopd.errors import ConfigError
from tradloopd.feeds.ib_feed import IbFeedConfig

CCXT = """
[feed]
symbols = ["BTC/USDT"]
timeframes = ["1m"]
"""
IB = """
[ib-feed]
symbols = ["AAPL", "EUR/USD", "ESZ6"]
timeframes = ["5s", "1m"]
what-to-show = { FUT = "MIDPOINT", "EUR/USD" = "BID" }
"""
STRATEGY = """
[[strategies]]
name = "ma_cross"
timeframe = "1m"
"""


def load(tmp_path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "daemon.toml"
    path.write_text(text)
    return load_run_config(path), str(path)


def test_one_daemon_with_a_ccxt_feed_and_an_ib_feed(tmp_path):
    config, source = load(tmp_path, CCXT + IB + STRATEGY)
    assert list(config.feeds) == ["feed", "ib-feed"]
    assert config.feed.symbols == ["BTC/USDT", "AAPL", "EUR/USD", "ESZ6"]
    slots = strategy_slots(config, source)
    assert [slot.symbol for slot in slots] == config.feed.symbols  # a strategy without symbols: all
    ib = config.ib_feed
    assert ib is not None and ib.client_id == 2 and ib.warmup_bars == 200
    assert [ib.what_to_show_for(s, t) for s, t in [("AAPL", "STK"), ("EUR/USD", "CASH"), ("ESZ6", "FUT"),
                                                   ("GBP/USD", "CASH")]] == [
        "TRADES", "BID", "MIDPOINT", "MIDPOINT"]


def test_a_daemon_with_only_an_ib_feed(tmp_path):
    config, _ = load(tmp_path, IB + STRATEGY)
    assert config.ccxt_feed is None and config.feed.symbols == ["AAPL", "EUR/USD", "ESZ6"]


@pytest.mark.parametrize(("text", "message"), [
    (STRATEGY, r"no feed: configure \[feed\] \(ccxt\) or \[ib-feed\]"),
    (CCXT.replace('"BTC/USDT"', '"BTC/USDT", "EUR/USD"') + IB + STRATEGY,
     r"ib-feed.symbols: \['EUR/USD'\] are in feed.symbols too; each symbol comes from one feed"),
    (IB.replace('"1m"]', '"1w"]') + STRATEGY, r"ib-feed: Interactive Brokers has no '1w' bars"),
    (IB.replace('"ESZ6"', '"ES-Z6?"') + STRATEGY, r"ib-feed: cannot tell which IB contract 'ES-Z6\?' is"),
    (IB.replace('"BID"', '"BID_ASK"') + STRATEGY, r"ib-feed: what-to-show.EUR/USD: 'BID_ASK' is not one of"),
    (IB + "client-id = 5\n[venue.ib]\nclient-id = 5\n" + STRATEGY,
     r"ib-feed.client-id: 5 is venue.ib's client id too"),
    (IB + "polling = 1\n" + STRATEGY, r"\[ib-feed\] unknown key 'polling'"),
])
def test_config_errors_name_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as error:
        load(tmp_path, text)
    assert str(error.value).startswith(str(tmp_path / "daemon.toml"))


@pytest.mark.parametrize(("strategy", "message"), [
    ('symbols = ["MSFT"]', r"strategies\[0\]: symbols \['MSFT'\] are not in the symbols of \[feed\] or "
                           r"\[ib-feed\]"),
    ('symbols = ["BTC/USDT", "AAPL"]\ntimeframe = "5s"',
     r"strategies\[0\]: timeframe '5s' of BTC/USDT is not among \[feed\] timeframes \['1m'\]"),
])
def test_each_strategy_symbol_comes_from_one_feed_with_its_timeframe(tmp_path, strategy, message):
    text = CCXT + IB + STRATEGY.replace('timeframe = "1m"\n', "") + strategy + "\n"
    config, source = load(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        strategy_slots(config, source)


def test_ib_feed_defaults_keep_within_ibs_pacing():
    config = IbFeedConfig(symbols=["AAPL"])
    assert config.max_requests_per_10_min == 60 and config.timeframes == ["1m"] and config.settle_s > 0
    with pytest.raises(ValueError, match="symbols: list at least one"):
        IbFeedConfig(symbols=[])
