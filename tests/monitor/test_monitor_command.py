"""`monitor_command`: refuses with one line and an exit code before the UI when it cannot attach, and the
monitor never imports the daemon's trio side."""

from __future__ import annotations

import subprocess
import sys

from tests.daemon.daemon_process import ROOT
from tradloopd.monitor import EXIT_DENIED, EXIT_NO_SOCKET, monitor_command, preflight
from tradloopd.protocol import Error


def test_missing_socket_is_refused_before_the_ui(short_dir, capsys):
    code = monitor_command(None, str(short_dir / "nowhere"), None)
    assert code == EXIT_NO_SOCKET
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: no control socket at {short_dir}/nowhere/control.sock: "
                          "is `tradloopd run` running?")


def test_a_refused_user_is_refused_before_the_ui(fake, capsys):
    fake.hello_error = Error(id=None, code="denied", message="user 1001 may not use this daemon (runs as 0)")
    code = monitor_command(str(fake.path), None, "light")
    assert code == EXIT_DENIED
    assert capsys.readouterr().err == "error: user 1001 may not use this daemon (runs as 0)\n"


def test_a_stale_socket_starts_the_ui_to_wait_for_the_daemon(fake):
    fake.stop()
    fake.path.touch()  # the file a killed daemon leaves behind
    assert preflight(fake.path) == ("", 0)


def test_the_monitor_never_imports_the_daemon_or_trio():
    code = ("import sys, tradloopd.monitor; assert 'textual' not in sys.modules, 'textual at import'\n"
            "import tradloopd.monitor.app, tradloopd.monitor.link\n"
            "bad = sorted(m for m in sys.modules if m == 'trio' or m.startswith(('trio.', 'trio_asyncio',"
            " 'tradloopd.node', 'tradloopd.actors', 'tradloopd.daemon')))\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
