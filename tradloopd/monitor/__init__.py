"""`tradloopd monitor`: the Textual terminal UI attached to a running daemon over its control socket.

This module stays light (Textual is imported inside `monitor_command`) so `tradloopd --help` is fast.
The monitor is its own asyncio process and speaks only the control protocol (docs/protocol.md); it
never imports the daemon's trio actors. docs/monitor.md describes the screens and keys.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Exit codes: the UI ran and was quit; the socket is missing; the user may not connect.
EXIT_OK, EXIT_NO_SOCKET, EXIT_DENIED = 0, 2, 3
THEME_NAMES = ("dark", "light")


def monitor_command(socket: str | None, state_dir: str | None, theme: str | None) -> int:
    """Run the monitor until the user quits; refuse with one line when it cannot attach at all."""
    from tradloopd.ctl_cli import socket_path

    path = socket_path(socket, state_dir)
    problem, code = preflight(path)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return code
    from tradloopd.monitor.app import MonitorApp

    app = MonitorApp(path, theme=theme or "dark")
    app.run()
    return EXIT_OK if app.return_code in (None, 0) else app.return_code or 1


def preflight(path: Path) -> tuple[str, int]:
    """Why the monitor must not start ("" when it may), and the exit code.

    A missing socket or one the user may not open is refused before the UI starts. A socket file
    with no daemon behind it (a restart, a crash) starts the UI, which waits and reconnects.
    """
    from tradloopd.ctl import ControlError, connect

    if not path.exists():
        return (f"no control socket at {path}: is `tradloopd run` running? "
                "(pass --state-dir DIR or --socket PATH)", EXIT_NO_SOCKET)
    try:
        with connect(path, timeout_s=5.0):
            pass
    except ControlError as exc:
        if exc.code in ("permission", "denied"):
            return exc.message, EXIT_DENIED
        if exc.code == "unsupported_version":
            return exc.message, EXIT_DENIED
    return "", EXIT_OK
