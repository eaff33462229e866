"""`python -m tradloopd.monitor [--socket PATH] [--state-dir DIR] [--theme dark|light]`."""

from __future__ import annotations

import argparse
import sys

from tradloopd.monitor import THEME_NAMES, monitor_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradloopd monitor",
                                     description="Watch and steer a running tradloopd from the terminal.")
    parser.add_argument("--socket", metavar="PATH",
                        help="the control socket (default: STATE_DIR/control.sock)")
    parser.add_argument("--state-dir", metavar="DIR",
                        help="the daemon's state directory (default $TRADLOOPD_STATE_DIR or ./state)")
    parser.add_argument("--theme", choices=THEME_NAMES, default=None,
                        help="colours (default dark; t toggles)")
    args = parser.parse_args(argv)
    return monitor_command(args.socket, args.state_dir, args.theme)


if __name__ == "__main__":
    sys.exit(main())
