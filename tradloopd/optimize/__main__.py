"""`python -m tradloopd.optimize COMMAND ...`: the research commands without the main CLI."""

from __future__ import annotations

import argparse
import sys

from tradloopd.errors import TradloopError
from tradloopd.optimize.cli import INTERRUPTED, add_parsers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradloopd.optimize")
    add_parsers(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except TradloopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
