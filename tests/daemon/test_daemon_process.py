"""The paper daemon as a user runs it: a real process, the fake exchange, the control socket."""

from __future__ import annotations

import time
from decimal import Decimal

from tests.daemon.daemon_process import Daemon, daemon_toml, run_to_exit
from tradloopd.model import Side, TradingState
from tradloopd.protocol import Fills, Flatten, Halt, Orders, Positions, Resume, Status, Submit


def wait_for(predicate, timeout_s: float = 20.0, every_s: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError("condition not met in time")


def test_paper_daemon_trades_halts_flattens_and_stops_cleanly(daemon):
    daemon.start()
    with daemon.client() as client:
        wait_for(lambda: client.request(Fills()).fills)
        status = client.request(Status())
        assert status.trading_state is TradingState.ACTIVE
        assert {s.symbol for s in status.strategies} == {"BTC/USDT", "ETH/USDT"}

        halted = client.request(Halt(reason="operator test"))
        assert halted.trading_state is TradingState.HALTED and halted.changed
        denied = client.request(Submit(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("0.01")))
        assert not denied.accepted_by_risk and "halted" in denied.reason

        client.request(Flatten())
        wait_for(lambda: all(p.quantity == 0 for p in client.request(Positions()).positions))
        assert client.request(Orders()).orders == []  # flatten canceled every working order
        resumed = client.request(Resume())
        assert resumed.trading_state is TradingState.ACTIVE

        manual = client.request(Submit(symbol="BTC/USDT", side=Side.BUY, quantity=Decimal("0.0100")))
        assert manual.accepted_by_risk
        wait_for(lambda: any(f.client_order_id == manual.client_order_id
                             for f in client.request(Fills()).fills))
    assert daemon.stop() == 0
    log = daemon.log()
    assert '"event": "node_stopped"' in log and "Traceback" not in log


def test_restart_resumes_halted_state_and_positions(daemon):
    daemon.start()
    with daemon.client() as client:
        wait_for(lambda: any(p.quantity for p in client.request(Positions()).positions))
        client.request(Halt(reason="before restart"))
        time.sleep(0.5)  # let the venue settle a fill or two after the halt (none may be placed)
        before = {p.symbol: p.quantity for p in client.request(Positions()).positions}
    daemon.kill()
    daemon.start()
    with daemon.client() as client:
        status = client.request(Status())
        assert status.trading_state is TradingState.HALTED
        assert status.state_reason == "before restart"
        after = {p.symbol: p.quantity for p in client.request(Positions()).positions}
        # halted: no new orders, but working exits may still fill between the kill and now
        assert set(after) == set(before)
    assert daemon.stop() == 0


def test_a_second_daemon_on_the_same_state_directory_is_refused(daemon):
    daemon.start()
    second = run_to_exit(daemon.config)
    assert second.returncode == 2
    assert "another tradloopd is running with this state directory" in second.stderr
    with daemon.client() as client:  # the first one is unharmed
        assert client.request(Status()).node_id == "t"
    assert daemon.stop() == 0


def test_config_errors_name_the_file_and_key(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[feed]\nsymbols = ["BTC/USDT"]\npoll-s = -1\n[[strategies]]\nname = "ma_cross"\n')
    done = run_to_exit(config)
    assert done.returncode == 2
    assert f"{config}: feed.poll-s" in done.stderr and "Traceback" not in done.stderr


def test_a_secret_from_the_environment_never_reaches_logs_journal_or_socket(tmp_path, exchange):
    secret, key = "s3cr3t-ZXCVBNM-0987654321", "k3y-QWERTYUIOP-1234567890"
    state = tmp_path / "state"
    config = tmp_path / "daemon.toml"
    config.write_text(daemon_toml(state, exchange.url, extra=(
        '\n[credentials]\napi-key-env = "TEST_TRADLOOPD_KEY"\nsecret-env = "TEST_TRADLOOPD_SECRET"\n')))
    daemon = Daemon(config, state, tmp_path / "daemon.log",
                    env={"TEST_TRADLOOPD_KEY": key, "TEST_TRADLOOPD_SECRET": secret})
    daemon.start()
    try:
        with daemon.client() as client:
            wait_for(lambda: client.request(Fills()).fills)
            replies = repr(client.request(Status())) + repr(client.request(Orders(status="all")))
    finally:
        assert daemon.stop() == 0
    log = daemon.log()
    assert '"event": "config_loaded"' in log and "TEST_TRADLOOPD_SECRET" in log  # the name, yes
    for value in (secret, key):
        assert value not in log and value not in replies
        for path in state.iterdir():
            if path.is_file():
                assert value.encode() not in path.read_bytes(), path


def test_a_missing_credential_variable_is_a_clear_config_error(tmp_path, exchange):
    config = tmp_path / "daemon.toml"
    config.write_text(daemon_toml(tmp_path / "state", exchange.url,
                                  extra='\n[credentials]\nsecret-env = "TEST_TRADLOOPD_UNSET"\n'))
    done = run_to_exit(config)
    assert done.returncode == 2
    assert "credentials.secret-env names $TEST_TRADLOOPD_UNSET, which is not set" in done.stderr
