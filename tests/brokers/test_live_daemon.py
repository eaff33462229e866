"""The daemon as a real process trading live (kind = "ccxt") on the fake Binance.

It trades, is killed with SIGKILL a few times and restarted; after each restart, with the venue's
clock frozen so nothing moves, the journal must equal the venue: positions equal the balances,
every fill of ours at the venue is journaled once, open orders match, no order was ever sent twice
(the venue's request log), and the API key and secret appear in no log or state file. Last, a
position changed by hand while it is stopped makes the next start refuse to trade, saying why.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import msgspec
import pytest

from tests.brokers.live_daemon import ENV, KEY, SECRET, live_exchange, live_toml
from tests.daemon.daemon_process import ROOT, Daemon
from tradloopd.account import Account
from tradloopd.messages import OrderFilled, SubmitOrder
from tradloopd.model import Side
from tradloopd.protocol import Fills, Positions
from tradloopd.store.journal import JournalMessage, _apply

KILLS = 3
DECODER = msgspec.json.Decoder(JournalMessage)


def journal(state_dir) -> list[JournalMessage]:  # type: ignore[no-untyped-def]
    db = sqlite3.connect(f"file:{state_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return [DECODER.decode(body) for (body,) in db.execute("SELECT body FROM events ORDER BY seq")]
    finally:
        db.close()


def wait_for(predicate, timeout_s: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def settled(daemon, quiet_s: float = 1.0) -> list[JournalMessage]:  # type: ignore[no-untyped-def]
    """The journal once it has stopped growing (the venue's clock is frozen: nothing trades)."""
    last, since = -1, time.monotonic()

    def quiet() -> bool:
        nonlocal last, since
        count = len(journal(daemon.state_dir))
        if count != last:
            last, since = count, time.monotonic()
        return time.monotonic() - since >= quiet_s

    wait_for(quiet)
    return journal(daemon.state_dir)


def check_against_venue(messages: list[JournalMessage], exchange) -> int:  # type: ignore[no-untyped-def]
    submits = Counter(m.order.client_order_id for m in messages if isinstance(m, SubmitOrder))
    assert all(n == 1 for n in submits.values()), submits.most_common(2)
    posted = Counter(r.params.get("newClientOrderId") for r in exchange.requests("/api/v3/order")
                     if r.method == "POST" and r.status == 200)
    assert all(n == 1 for n in posted.values()), f"sent twice: {posted.most_common(2)}"
    account = Account(Decimal(10_000))
    for message in messages:
        _apply(account, message)
    venue = exchange.venue.account
    for asset, symbol in (("BTC", "BTC/USDT"), ("ETH", "ETH/USDT")):
        assert account.position(symbol) == venue.free[asset] + venue.locked[asset], symbol
    fills = [m for m in messages if isinstance(m, OrderFilled)]
    trades = {f"binance:{o.market.symbol}:{fill.trade_id}" for m in exchange.venue.markets.values()
              for o, fill in venue.trades(m)}
    assert sorted(f.fill_id for f in fills) == sorted(trades)
    flows = sum(((-1 if f.side is Side.BUY else 1) * f.quantity * f.price for f in fills), Decimal(0))
    assert venue.free["USDT"] + venue.locked["USDT"] == Decimal(10_000) + flows  # fees were paid in BNB
    assert {t.client_order_id for t in account.orders.open_orders()} == \
        {o.client_order_id for o in venue.open_orders()}
    return len(fills)


@pytest.mark.slow
def test_live_daemon_survives_sigkill_with_nothing_lost_or_sent_twice(tmp_path):
    rng = random.Random(6)
    state = tmp_path / "state"
    config = tmp_path / "live.toml"
    with live_exchange() as exchange:
        config.write_text(live_toml(state, exchange.url))
        daemon = Daemon(config, state, tmp_path / "daemon.log", env=ENV)
        try:
            daemon.start()
            fills = 0
            for _ in range(KILLS):
                with daemon.client() as client:
                    wait_for(lambda c=client, seen=fills: len(c.request(Fills(limit=1000)).fills) > seen)
                time.sleep(rng.uniform(0.1, 1.0))  # let it run into the middle of something
                daemon.kill()
                exchange.clock.freeze()
                daemon.start()
                fills = check_against_venue(settled(daemon), exchange)
                with daemon.client() as client:
                    reported = {p.symbol: p.quantity for p in client.request(Positions()).positions}
                assert reported.get("BTC/USDT", 0) == exchange.venue.account.free["BTC"] + \
                    exchange.venue.account.locked["BTC"]
                exchange.clock.resume()
            assert fills >= 3
            assert daemon.stop() == 0
            exchange.set_balances({"ETH": "7"})  # someone bought ETH by hand while it was stopped
            refused = subprocess.run([sys.executable, "-m", "tradloopd", "run", "--config", str(config)],
                                     check=False, capture_output=True, text=True, timeout=60, cwd=ROOT,
                                     env=daemon.env)
        finally:
            if daemon.process is not None and daemon.process.poll() is None:
                daemon.kill()
    assert exchange.internal_errors == []
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "reconciliation with the venues failed, so the daemon will not trade: binance ETH/USDT: " \
           "the journal holds" in refused.stderr and "the venue 7" in refused.stderr
    log = daemon.log()
    assert '"event": "venue_reconciled"' in log and "Traceback" not in log
    for value in (KEY, SECRET):
        assert value not in log
        for path in state.iterdir():
            if path.is_file():
                assert value.encode() not in path.read_bytes(), path
