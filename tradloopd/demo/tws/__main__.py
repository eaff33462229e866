"""`python -m tradloopd.demo.tws`: run the fake TWS until Ctrl-C, optionally with prices moving along
its historical bars (the ones a daemon's IB feed reads)."""

from __future__ import annotations

import argparse
import signal
import sys
from decimal import Decimal

import trio

from tradloopd.demo.tws.server import DEFAULT_ACCOUNT, FakeTws, open_fake_tws


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tradloopd.demo.tws",
                                     description="A fake Interactive Brokers TWS for demos and tests.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7497, help="port (default 7497, TWS paper; 0: any)")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT,
                        help=f"account code (default {DEFAULT_ACCOUNT})")
    parser.add_argument("--cash", type=Decimal, default=Decimal(1_000_000), help="starting USD cash")
    parser.add_argument("--walk-s", type=float, default=0.0,
                        help="move every price along its historical bars this often (0: prices stay put)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic price paths and bars")
    return parser


async def _walk(tws: FakeTws, every_s: float) -> None:
    while True:
        await trio.sleep(every_s)
        tws.follow_bars()


async def _main(args: argparse.Namespace) -> None:
    tws = FakeTws(host=args.host, port=args.port, account=args.account, cash={"USD": args.cash},
                  seed=args.seed)
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_fake_tws(tws), trio.open_nursery() as nursery:
            print(f"fake TWS listening on {tws.host}:{tws.port}, account {tws.account} (Ctrl-C to stop)",
                  flush=True)
            if args.walk_s > 0:
                nursery.start_soon(_walk, tws, args.walk_s)
            async for _ in signals:
                nursery.cancel_scope.cancel()
                break
    print("fake TWS stopped", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        trio.run(_main, args)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
