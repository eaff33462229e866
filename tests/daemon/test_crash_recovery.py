"""kill -9 at random moments, 20+ times: nothing is lost, nothing is duplicated.

After every restart the daemon's positions, cash and open orders must equal what the journaled
fills and events imply, every order id must have been submitted once, every fill must be in the
fills table, and the paper venue must have picked up exactly the orders that were working. To
compare a running daemon with its journal exactly, the exchange's clock is frozen while the
restarted daemon catches up and settles (no new candles, so nothing moves), then let run again.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from decimal import Decimal

import msgspec
import pytest

from tradloopd.account import Account
from tradloopd.messages import OrderFilled, SubmitOrder
from tradloopd.model import Side
from tradloopd.protocol import Fills, Orders, Positions, Status
from tradloopd.store.journal import JournalMessage, _apply

KILLS = 22
DECODER = msgspec.json.Decoder(JournalMessage)


def journal_messages(state_dir) -> list[JournalMessage]:
    db = sqlite3.connect(f"file:{state_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return [DECODER.decode(body) for (body,) in db.execute("SELECT body FROM events ORDER BY seq")]
    finally:
        db.close()


def fills_table(state_dir) -> set[str]:
    db = sqlite3.connect(f"file:{state_dir / 'journal.sqlite'}?mode=ro", uri=True)
    try:
        return {row[0] for row in db.execute("SELECT fill_id FROM fills")}
    finally:
        db.close()


def expected_state(messages: list[JournalMessage]) -> Account:
    account = Account(Decimal(1_000_000))
    for message in messages:
        _apply(account, message)
    return account


def wait_until_settled(daemon, quiet_s: float = 2.5, timeout_s: float = 60.0) -> None:
    """Until the journal has not grown for `quiet_s` (the market is frozen, so it will stop).

    The feed's estimate of the exchange clock keeps running, so the candle that was forming at
    the freeze is still delivered once the estimate passes its close (~1 s later): the quiet
    period is longer than a candle plus a poll."""
    deadline = time.monotonic() + timeout_s
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(journal_messages(daemon.state_dir))
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.1)
    raise AssertionError("the daemon did not settle with the market frozen")


def check_consistent(daemon) -> tuple[int, int]:
    """Compare the restarted daemon with the journal; returns (fills, submits) so far."""
    messages = journal_messages(daemon.state_dir)
    submits = Counter(m.order.client_order_id for m in messages if isinstance(m, SubmitOrder))
    assert all(n == 1 for n in submits.values()), f"submitted twice: {submits.most_common(3)}"
    fills = [m for m in messages if isinstance(m, OrderFilled)]
    assert len({f.fill_id for f in fills}) == len(fills)
    assert fills_table(daemon.state_dir) == {f.fill_id for f in fills}
    expected = expected_state(messages)
    for tracked in expected.orders:  # no order ever filled beyond its quantity
        assert tracked.order.quantity is None or tracked.filled_qty <= tracked.order.quantity
    with daemon.client() as client:
        positions = {p.symbol: p.quantity for p in client.request(Positions()).positions}
        for symbol, position in expected.portfolio.positions.items():
            signed = sum((f.quantity if f.side is Side.BUY else -f.quantity)
                         for f in fills if f.symbol == symbol)
            assert position.qty == signed
            assert positions.get(symbol, Decimal(0)) == signed, symbol
        status = client.request(Status())
        flows = sum(((-1 if f.side is Side.BUY else 1) * f.quantity * f.price - f.fee for f in fills),
                    Decimal(0))
        assert status.cash == Decimal(1_000_000) + flows
        open_ids = {o.client_order_id for o in client.request(Orders(status="open")).orders}
        assert open_ids == {t.client_order_id for t in expected.orders.open_orders()}
        reported = {f.fill_id for f in client.request(Fills(limit=10_000)).fills}
        assert reported == {f.fill_id for f in fills}
    return len(fills), len(submits)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(daemon, exchange):
    rng = random.Random(20261121)
    fills = submits = 0
    clock = exchange.clock
    daemon.start()
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.5, 4.0))
        daemon.kill()
        clock.freeze()
        daemon.start()
        wait_until_settled(daemon)
        fills, submits = check_consistent(daemon)
        clock.resume()
    assert daemon.starts == KILLS + 1
    assert fills > 15 and submits > 30, (fills, submits)  # the kills really landed mid-trading
    assert daemon.stop() == 0
    check_after = journal_messages(daemon.state_dir)
    assert sum(isinstance(m, OrderFilled) for m in check_after) >= fills
