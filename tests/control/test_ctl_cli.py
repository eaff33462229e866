"""`tradloopctl` against the real server: as a real process, and in-process for the other outputs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from control_harness import HANG_GUARD_S, ServerThread
from fake_backend import T0, FakeBackend

from tradloopd.ctl_cli import main, print_update
from tradloopd.model import TradingState
from tradloopd.protocol import (
    BarRow,
    Dropped,
    Error,
    LogRecord,
    OrdersResult,
    StatusResult,
    Update,
    encode_line,
)


def tradloopctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tradloopd.ctl_cli", *args], capture_output=True, text=True,
                          timeout=HANG_GUARD_S * 3, env=env, check=False)


def test_status_as_a_table_and_as_json(served: ServerThread) -> None:
    shown = tradloopctl("--socket", str(served.path), "status")
    assert shown.returncode == 0, shown.stderr
    assert "ACTIVE" in shown.stdout and "node test-node (paper" in shown.stdout
    assert "ma_cross" in shown.stdout and "100500.50" in shown.stdout and "max_order_qty" in shown.stdout
    as_json = tradloopctl("status", "--json", "--socket", str(served.path))
    status = msgspec.json.decode(as_json.stdout.encode(), type=StatusResult)
    assert (status.node_id, status.equity) == ("test-node", Decimal("100500.50"))


def test_halt_from_the_shell_halts_the_node(served: ServerThread, backend: FakeBackend) -> None:
    done = tradloopctl("--socket", str(served.path), "halt", "fed", "at", "14:00")
    assert (done.returncode, done.stdout.strip()) == (0, "trading is HALTED (fed at 14:00)")
    assert served.call(lambda: (backend.trading_state, backend.state_reason)) == (TradingState.HALTED,
                                                                                  "fed at 14:00")


def test_the_state_directory_can_come_from_the_environment(socket_path: Path, backend: FakeBackend) -> None:
    state_dir = socket_path.parent
    with ServerThread(state_dir / "control.sock", backend):
        done = tradloopctl("positions", "--json", env=dict(os.environ, TRADLOOPD_STATE_DIR=str(state_dir)))
    assert done.returncode == 0, done.stderr
    assert '"symbol":"BTC/USDT"' in done.stdout


def test_a_denied_order_exits_1_with_the_reason(served: ServerThread) -> None:
    done = tradloopctl("--socket", str(served.path), "submit", "BTC/USDT", "buy", "11", "--limit", "60000")
    assert done.returncode == 1
    assert "denied by the risk guard: quantity above the maximum 10" in done.stdout


def test_a_refusal_exits_1_with_the_code(served: ServerThread) -> None:
    done = tradloopctl("--socket", str(served.path), "cancel", "nope-1")
    assert (done.returncode, done.stderr.strip()) == (1, "tradloopctl: no working order nope-1 (not_found)")


def test_a_malformed_order_is_refused_before_connecting(tmp_path: Path) -> None:
    done = tradloopctl("--socket", str(tmp_path / "none.sock"), "submit", "BTC/USDT", "buy", "1",
                       "--post-only")
    assert (done.returncode, done.stderr.strip()) == (
        2, "tradloopctl: post-only applies to limit orders only")


def test_no_daemon_exits_3_with_a_hint(tmp_path: Path) -> None:
    done = tradloopctl("--state-dir", str(tmp_path), "status")
    assert done.returncode == 3
    assert done.stderr.strip() == (f"tradloopctl: no daemon at {tmp_path}/control.sock — is `tradloopd run` "
                                   "running?")


def test_a_foreign_user_is_told_so(socket_path: Path, backend: FakeBackend) -> None:
    with ServerThread(socket_path, backend, allowed_uid=os.geteuid() + 1):
        done = tradloopctl("--socket", str(socket_path), "status")
    assert (done.returncode, done.stderr.strip()) == (
        3, f"tradloopctl: only uid {os.geteuid() + 1} may connect")


@pytest.fixture
def daemon_of_another_version(socket_path: Path) -> Iterator[Path]:
    """A listener that answers every hello as a protocol-2 daemon would."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen()

    def answer() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(encode_line(Error(id=None, code="unsupported_version", message=(
                "this daemon speaks protocol 2, the client 1: use a tradloopctl (or client) of the "
                "daemon's version"))))

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield socket_path
    thread.join(HANG_GUARD_S)
    listener.close()


def test_a_version_mismatch_is_explained(daemon_of_another_version: Path) -> None:
    done = tradloopctl("--socket", str(daemon_of_another_version), "status")
    assert done.returncode == 3
    assert "this daemon speaks protocol 2, the client 1" in done.stderr


def test_subscribe_prints_updates_as_json_lines(served: ServerThread, backend: FakeBackend) -> None:
    process = subprocess.Popen([sys.executable, "-m", "tradloopd.ctl_cli", "--socket", str(served.path),
                                "subscribe", "orders", "--count", "2", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(HANG_GUARD_S * 100):  # bounded polling: until the process has subscribed
            if served.call(lambda: backend.broadcaster.statistics().subscribers):
                break
            time.sleep(0.01)
        for order in list(backend.orders.values())[:2]:
            served.call(backend.broadcaster.publish_nowait, "orders", order)
        out, err = process.communicate(timeout=HANG_GUARD_S)
    finally:
        process.kill()
    assert process.returncode == 0, err
    updates = [msgspec.json.decode(line.encode(), type=Update) for line in out.splitlines()]
    assert [(u.topic, u.seq) for u in updates] == [("orders", 1), ("orders", 2)]


# In-process, for every other output ----------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_tables_for_people(served: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--socket", str(served.path)]
    code, out = run(capsys, *where, "positions")
    assert code == 0 and "BTC/USDT" in out and "60000.10" in out and "449.95" in out
    code, out = run(capsys, *where, "orders", "--all")
    assert code == 0 and all(cid in out for cid in ("n1-1", "n1-2", "n1-3")) and "filled" in out
    code, out = run(capsys, *where, "fills", "--since", "2026-01-01T00:00:00")
    assert code == 0 and "n1-1" in out and "2026-01-01 00:00:00" in out and "taker" in out
    code, out = run(capsys, *where, "equity", "--limit", "2")
    assert code == 0 and "100004" in out and "100002" not in out
    code, out = run(capsys, *where, "fills", "--symbol", "ETH/USDT")
    assert (code, out.strip()) == (0, "no fills")


def test_sentences_for_commands(served: ServerThread, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--socket", str(served.path)]
    assert run(capsys, *where, "resume") == (0, "trading is already ACTIVE\n")
    assert run(capsys, *where, "cancel", "--all", "--symbol", "ETH/USDT") == (
        0, "cancel sent for 1 orders (n1-3)\n")
    assert run(capsys, *where, "flatten") == (
        0, "cancel sent for 1 orders (n1-2); 1 closing orders submitted (manual-101)\n")
    assert run(capsys, *where, "submit", "ETH/USDT", "sell", "2", "--stop", "1900", "--limit", "1890") == (
        0, "order manual-102 accepted by the risk guard\n")
    code, out = run(capsys, *where, "--json", "orders", "--all", "--symbol", "ETH/USDT")
    orders = msgspec.json.decode(out.encode(), type=OrdersResult).orders
    assert code == 0
    assert [(o.client_order_id, o.status) for o in orders] == [("n1-3", "canceled"),
                                                                ("manual-102", "submitted")]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["cancel", "--all", "--bogus"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
    assert run(capsys, "--socket", "x", "cancel") == (
        2, "tradloopctl: give exactly one of client_order_id and all=true\n")
    assert run(capsys, "--socket", "x", "orders", "--limit", "0")[0] == 2


def test_one_line_per_update_for_people(capsys: pytest.CaptureFixture[str], backend: FakeBackend) -> None:
    bar = BarRow(symbol="BTC/USDT", timeframe="1m", ts_open=T0, ts_event=T0 + 60, open=1.0, high=2.0,
                 low=0.5, close=1.5, volume=3.0)
    log = LogRecord(ts=T0, level="warning", event="trading_halted", actor="risk", fields={"reason": "news"})
    for topic, data in [("bars", bar), ("orders", backend.orders["n1-2"]), ("fills", backend.fills[0]),
                        ("positions", backend.positions["BTC/USDT"]), ("equity", backend.equity[0]),
                        ("logs", log), ("status", backend.status())]:
        print_update(Update(topic=topic, seq=1, data=data), as_json=False)  # type: ignore[arg-type]
    print_update(Dropped(topic="bars", count=3), as_json=False)
    assert capsys.readouterr().out.splitlines() == [
        "bars #1 BTC/USDT 1m 2026-01-01 00:00:00 o=1.0 h=2.0 l=0.5 c=1.5 v=3.0",
        "orders #1 n1-2 BTC/USDT buy limit 0.5 filled 0 accepted ",
        "fills #1 n1-1 buy 0.5 BTC/USDT @ 60000.10 fee 0.03 taker",
        "positions #1 BTC/USDT 0.5 @ 60000.10 unrealized 449.95",
        "equity #1 2026-01-01 00:00:00 equity 100000 cash 70000",
        "logs #1 2026-01-01 00:00:00 warning risk trading_halted reason=news",
        "status #1 ACTIVE equity 100500.50 day pnl -12.5",
        "bars: 3 updates dropped (this client read too slowly)",
    ]
