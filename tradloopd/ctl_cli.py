"""`tradloopctl`: query and steer a running daemon over its control socket, from a shell or a script.

Tables for people by default, `--json` (one protocol result per line) for scripts. Exit codes:
0 done; 1 the daemon refused (an error reply, or an order denied by the risk guard); 2 bad usage;
3 no conversation possible (no daemon, permission, version mismatch, disconnected, timeout).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import msgspec

from tradloopd import __version__
from tradloopd.ctl import BlockingControlClient, ControlError, connect
from tradloopd.model import OrderType, Side, TimeInForce, VolumeProfile
from tradloopd.protocol import (
    TOPICS,
    BarRow,
    BaseRequest,
    Cancel,
    CancelResult,
    Dropped,
    Equity,
    EquityPoint,
    EquityResult,
    FillRow,
    Fills,
    FillsResult,
    Flatten,
    FlattenResult,
    Halt,
    HaltResult,
    LogRecord,
    OrderRow,
    Orders,
    OrdersResult,
    PositionRow,
    Positions,
    PositionsResult,
    Resume,
    ResumeResult,
    Status,
    StatusResult,
    Submit,
    SubmitResult,
    Subscribe,
    SubscriptionsResult,
    Update,
)
from tradloopd.protocol_terms import (
    AlgoTerms,
    AtrTrailAlgo,
    BreakEvenAlgo,
    IcebergAlgo,
    MultiLeg,
    PovAlgo,
    ProfitTargetAlgo,
    ScaleAlgo,
    TimedExitAlgo,
    Trailing,
    TwapAlgo,
    VwapAlgo,
)

if TYPE_CHECKING:  # rich is imported only when a table is printed
    from rich.console import Console
    from rich.table import Table

R = TypeVar("R", bound=msgspec.Struct)
SOCKET_NAME = "control.sock"
EXIT_REFUSED, EXIT_USAGE, EXIT_NO_CONVERSATION = 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        request = args.build(args)
    except (ValueError, msgspec.ValidationError) as exc:
        print(f"tradloopctl: {exc}", file=sys.stderr)
        return EXIT_USAGE
    path = socket_path(args.socket, args.state_dir)
    try:
        client = connect(path, client_name=f"tradloopctl/{__version__}", timeout_s=args.timeout)
    except ControlError as exc:
        print(f"tradloopctl: {exc.message}", file=sys.stderr)
        return EXIT_NO_CONVERSATION
    try:
        with client:
            return _run(client, request, args)
    except ControlError as exc:
        print(f"tradloopctl: {exc.message} ({exc.code})", file=sys.stderr)
        return EXIT_NO_CONVERSATION if exc.code in _CONVERSATION_ENDED else EXIT_REFUSED
    except KeyboardInterrupt:
        return 130


_CONVERSATION_ENDED = frozenset({"disconnected", "protocol", "timeout", "too_large"})


def socket_path(socket: str | None, state_dir: str | None) -> Path:
    """--socket, else --state-dir/control.sock, else $TRADLOOPD_STATE_DIR/control.sock, else state/."""
    if socket:
        return Path(socket)
    return Path(state_dir or os.environ.get("TRADLOOPD_STATE_DIR") or "state") / SOCKET_NAME


def _run(client: BlockingControlClient, request: BaseRequest[msgspec.Struct],
         args: argparse.Namespace) -> int:
    result = client.request(request)
    if isinstance(request, Subscribe):
        return _follow(client, args)
    print_result(result, as_json=args.json)
    if isinstance(result, SubmitResult) and not result.accepted_by_risk:
        return EXIT_REFUSED
    return 0


def _follow(client: BlockingControlClient, args: argparse.Namespace) -> int:
    """Print updates until --count of them, the daemon ends, or Ctrl-C."""
    shown = 0
    while args.count is None or shown < args.count:
        try:
            update = client.receive_update(timeout_s=None)
        except ControlError as exc:
            if exc.code == "disconnected":
                print("tradloopctl: the daemon closed the connection", file=sys.stderr)
                return EXIT_NO_CONVERSATION
            raise
        print_update(update, as_json=args.json)
        shown += 1
    return 0


# Arguments ------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="tradloopctl", description="Query and steer a running tradloopd over its control socket.",
        epilog="Exit codes: 0 done, 1 refused by the daemon or its risk guard, 2 bad usage, "
               "3 no daemon / permission / version mismatch / disconnected.")
    parser.add_argument("--version", action="version", version=f"tradloopctl {__version__}")
    _add_common(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    simple = {"status": (Status, "state, PnL, strategies, venue, feed and actors"),
              "positions": (Positions, "open positions with PnL"), "resume": (Resume, "resume trading")}
    for name, (cls, text) in simple.items():
        commands.add_parser(name, parents=[common], help=text).set_defaults(
            build=lambda _args, cls=cls: cls())
    _add_queries(commands, common)
    _add_commands(commands, common)
    return parser


def _add_common(parser: argparse.ArgumentParser, *, default: object) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--socket", metavar="PATH", default=default, help="the control socket")
    where.add_argument("--state-dir", metavar="DIR", default=default,
                       help="the daemon's state directory (default $TRADLOOPD_STATE_DIR or ./state)")
    parser.add_argument("--json", action="store_true", default=default or False,
                        help="print protocol JSON, one message per line")
    parser.add_argument("--timeout", type=float, metavar="S", default=default or 10.0,
                        help="seconds to wait for an answer (default 10)")


def _add_queries(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("orders", parents=[common], help="working orders (or --all recent ones)")
    p.add_argument("--all", action="store_true", help="include finished orders")
    p.add_argument("--symbol")
    p.add_argument("--limit", type=int, default=500)
    p.set_defaults(build=lambda a: _checked(Orders, status="all" if a.all else "open", symbol=a.symbol,
                                            limit=a.limit))
    p = commands.add_parser("fills", parents=[common], help="recent fills")
    p.add_argument("--symbol")
    p.add_argument("--limit", type=int, default=500)
    p.add_argument("--since", type=_timestamp, help="ns since the epoch, or an ISO time (UTC if no zone)")
    p.set_defaults(build=lambda a: _checked(Fills, symbol=a.symbol, limit=a.limit, since_ts=a.since))
    p = commands.add_parser("equity", parents=[common], help="recent equity points")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--since", type=_timestamp, help="ns since the epoch, or an ISO time (UTC if no zone)")
    p.set_defaults(build=lambda a: _checked(Equity, limit=a.limit, since_ts=a.since))
    p = commands.add_parser("subscribe", parents=[common], help="print live updates of some topics")
    p.add_argument("topics", nargs="+", choices=TOPICS, metavar="TOPIC", help=", ".join(TOPICS))
    p.add_argument("--count", type=int, help="stop after this many updates")
    p.add_argument("--buffer", type=int, help="updates the daemon may queue per topic before dropping")
    p.set_defaults(build=lambda a: _checked(Subscribe, topics=frozenset(a.topics), buffer=a.buffer))


def _add_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("halt", parents=[common], help="stop trading (no new orders)")
    p.add_argument("reason", nargs="*", help="why (default: halted with tradloopctl)")
    p.set_defaults(build=lambda a: _checked(Halt, reason=" ".join(a.reason) or "halted with tradloopctl"))
    p = commands.add_parser("flatten", parents=[common], help="cancel orders and close positions")
    p.add_argument("symbol", nargs="?", help="only this symbol (default: every symbol)")
    p.set_defaults(build=lambda a: _checked(Flatten, symbol=a.symbol))
    p = commands.add_parser("cancel", parents=[common], help="cancel one order, or --all")
    p.add_argument("client_order_id", nargs="?", metavar="ID")
    p.add_argument("--all", action="store_true", help="every working order")
    p.add_argument("--symbol", help="with --all: only this symbol's orders")
    p.set_defaults(build=lambda a: _checked(Cancel, client_order_id=a.client_order_id, all=a.all,
                                            symbol=a.symbol))
    p = commands.add_parser("submit", parents=[common], help="a manual order, through the risk guard")
    p.add_argument("symbol")
    p.add_argument("side", choices=[side.value for side in Side])
    p.add_argument("quantity", type=_amount, metavar="QTY")
    p.add_argument("--limit", type=_amount, metavar="P", help="limit price (a limit order)")
    p.add_argument("--stop", type=_amount, metavar="P",
                   help="trigger price (a stop, or stop-limit with --limit)")
    p.add_argument("--tif", choices=[tif.value for tif in TimeInForce], default="gtc")
    p.add_argument("--expire-ts", type=_timestamp, help="with --tif gtd: ns since the epoch or ISO time")
    p.add_argument("--post-only", action="store_true")
    p.add_argument("--reduce-only", action="store_true")
    p.add_argument("--stop-loss", type=_amount, metavar="P", help="attach a stop-loss exit at this price")
    p.add_argument("--take-profit", type=_amount, metavar="P", help="attach a take-profit exit at this price")
    p.add_argument("--tag", default="", help="free text kept with the order")
    _catalogue_options(p)
    p.set_defaults(build=_build_submit)


def _catalogue_options(p: argparse.ArgumentParser) -> None:
    """The order catalogue beyond plain orders (docs/orders.md): one algorithm at most."""
    g = p.add_argument_group("order catalogue (docs/orders.md)")
    g.add_argument("--if-touched", action="store_true",
                   help="with --stop: market-if-touched (limit-if-touched with --limit)")
    g.add_argument("--trail", type=_distance, metavar="P|P%",
                   help="a trailing stop this far (or this percent) behind the best price")
    g.add_argument("--activation", type=_amount, metavar="P",
                   help="with --trail: trail once the price reaches P")
    g.add_argument("--oca", metavar="GROUP", help="one-cancels-all: the first fill in GROUP cancels the rest")
    g.add_argument("--oto-parent", metavar="ID", help="one-triggers-other: start once order ID has filled")
    g.add_argument("--combo", type=_combo, metavar="GROUP/LEGS",
                   help="multi-leg: the LEGS orders of GROUP (IOC/FOK) fill all or none")
    algos = g.add_mutually_exclusive_group()
    algos.add_argument("--twap", type=_pair, metavar="SECONDS/SLICES", help="in SLICES parts over SECONDS")
    algos.add_argument("--vwap", type=_amount, metavar="SECONDS", help="over SECONDS, following --profile")
    algos.add_argument("--iceberg", type=_amount, metavar="DISPLAY",
                       help="with --limit: show DISPLAY at a time")
    algos.add_argument("--pov", type=_amount, metavar="SHARE", help="SHARE of each bar's volume")
    algos.add_argument("--scale", type=_pair, metavar="STEP/LEVELS",
                       help="with --limit: LEVELS limits STEP apart")
    algos.add_argument("--atr-trail", type=_pair, metavar="MULTIPLE/PERIOD",
                       help="with --stop: a stop MULTIPLE x ATR(PERIOD) behind the best price")
    algos.add_argument("--profit-target", type=_distance, metavar="P|P%",
                       help="a limit exit P (or P%%) beyond the position's average price")
    algos.add_argument("--break-even", type=_amount, metavar="THRESHOLD",
                       help="with --stop: move the stop to entry plus fees once the price reaches THRESHOLD")
    algos.add_argument("--exit-after", type=int, metavar="BARS", help="a market exit after BARS bars")
    algos.add_argument("--exit-at", type=_timestamp, metavar="TIME", help="a market exit at TIME")
    g.add_argument("--profile", choices=[v.value for v in VolumeProfile], default="u", help="with --vwap")
    g.add_argument("--max-participation", type=_amount, metavar="SHARE", help="with --vwap")
    g.add_argument("--until", type=_timestamp, metavar="TIME", help="with --pov: stop at TIME")
    g.add_argument("--break-even-offset", type=_amount, default=Decimal(0), metavar="P",
                   help="with --break-even")


def _build_submit(a: argparse.Namespace) -> Submit:
    kinds = {(False, False): OrderType.MARKET, (True, False): OrderType.LIMIT,
             (False, True): OrderType.STOP, (True, True): OrderType.STOP_LIMIT}
    trail = None
    if a.trail is not None:
        amount, percent = a.trail
        trail = Trailing(amount=amount, percent=percent, activation=a.activation)
    stop = a.stop is not None or trail is not None
    return _checked(
        Submit, symbol=a.symbol, side=Side(a.side), kind=kinds[a.limit is not None, stop],
        quantity=a.quantity, price=a.limit, trigger_price=a.stop, tif=TimeInForce(a.tif),
        expire_ts=a.expire_ts, post_only=a.post_only, reduce_only=a.reduce_only, stop_loss=a.stop_loss,
        take_profit=a.take_profit, tag=a.tag, trail=trail, if_touched=a.if_touched, oca_group=a.oca,
        oto_parent=a.oto_parent, combo=a.combo, algo=_algo(a))


def _algo(a: argparse.Namespace) -> AlgoTerms | None:
    if a.twap is not None:
        return TwapAlgo(duration_ns=_ns(a.twap[0]), slices=int(a.twap[1]))
    if a.vwap is not None:
        return VwapAlgo(duration_ns=_ns(a.vwap), profile=VolumeProfile(a.profile),
                        max_participation=a.max_participation)
    if a.iceberg is not None:
        return IcebergAlgo(display_qty=a.iceberg)
    if a.pov is not None:
        return PovAlgo(participation=a.pov, end_ts=a.until)
    if a.scale is not None:
        return ScaleAlgo(step=a.scale[0], levels=int(a.scale[1]))
    if a.atr_trail is not None:
        return AtrTrailAlgo(multiple=a.atr_trail[0], period=int(a.atr_trail[1]))
    if a.profit_target is not None:
        return ProfitTargetAlgo(offset=a.profit_target[0], percent=a.profit_target[1])
    if a.break_even is not None:
        return BreakEvenAlgo(threshold=a.break_even, offset=a.break_even_offset)
    if a.exit_after is not None or a.exit_at is not None:
        return TimedExitAlgo(bars=a.exit_after, at_ts=a.exit_at)
    return None


def _ns(seconds: Decimal) -> int:
    return int(seconds * 1_000_000_000)


def _distance(text: str) -> tuple[Decimal | None, Decimal | None]:
    """"2.5" (price units) or "1.5%" (percent): as (amount, percent)."""
    if text.endswith("%"):
        return None, _amount(text[:-1])
    return _amount(text), None


def _pair(text: str) -> tuple[Decimal, Decimal]:
    first, sep, second = text.partition("/")
    if not sep:
        raise argparse.ArgumentTypeError(f"give two numbers as A/B, got {text!r}")
    return _amount(first), _amount(second)


def _combo(text: str) -> MultiLeg:
    group, sep, legs = text.rpartition("/")
    if not sep or not group or not legs.isdigit():
        raise argparse.ArgumentTypeError(f"give the group and its number of legs as GROUP/LEGS, got {text!r}")
    return MultiLeg(group=group, legs=int(legs))


def _checked(cls: type[R], **fields: object) -> R:
    """The request, with the field constraints the daemon would check (so errors come early)."""
    return msgspec.convert(fields, cls)


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _timestamp(text: str) -> int:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not ns since the epoch nor an ISO time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1) * 1_000


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# Output ---------------------------------------------------------------------------------------


def print_result(result: msgspec.Struct, *, as_json: bool) -> None:
    """One result as a JSON line, or as tables for a person."""
    if as_json:
        sys.stdout.write(msgspec.json.encode(result).decode() + "\n")
        return
    console = _console()
    match result:
        case StatusResult():
            _print_status(console, result)
        case PositionsResult():
            console.print(_table(
                ["symbol", "quantity", "avg price", "last", "unrealized", "realized"],
                [[p.symbol, p.quantity, p.avg_price, p.last_price, p.unrealized_pnl, p.realized_pnl]
                 for p in result.positions], empty="no open positions"))
        case OrdersResult():
            console.print(_table(
                ["id", "symbol", "side", "kind", "quantity", "filled", "price", "trigger", "status",
                 "reason", "last change"],
                [[o.client_order_id, o.symbol, o.side, o.kind, o.quantity or o.notional, o.filled_qty,
                  o.price, o.trigger_price, o.status, o.reason, _time(o.ts_last)] for o in result.orders],
                empty="no orders"))
        case FillsResult():
            console.print(_table(
                ["time", "order", "symbol", "side", "quantity", "price", "fee", "liquidity"],
                [[_time(f.ts_event), f.client_order_id, f.symbol, f.side, f.quantity, f.price, f.fee,
                  f.liquidity] for f in result.fills], empty="no fills"))
        case EquityResult():
            console.print(_table(["time", "equity", "cash"],
                                 [[_time(e.ts), e.equity, e.cash] for e in result.points],
                                 empty="no equity points"))
        case _:
            console.print(_sentence(result))


def _sentence(result: msgspec.Struct) -> str:
    match result:
        case HaltResult() | ResumeResult():
            reason = f" ({result.state_reason})" if result.state_reason else ""
            already = "" if result.changed else " already"
            return f"trading is{already} {result.trading_state.upper()}{reason}"
        case FlattenResult():
            return (f"cancel sent for {len(result.canceled)} orders {_ids(result.canceled)}; "
                    f"{len(result.submitted)} closing orders submitted {_ids(result.submitted)}")
        case CancelResult():
            return f"cancel sent for {len(result.client_order_ids)} orders {_ids(result.client_order_ids)}"
        case SubmitResult() if result.accepted_by_risk:
            return f"order {result.client_order_id} accepted by the risk guard"
        case SubmitResult():
            return f"order {result.client_order_id} denied by the risk guard: {result.reason}"
        case SubscriptionsResult():
            return f"subscribed to {', '.join(result.topics) or 'nothing'}"
    return repr(result)


def _print_status(console: Console, status: StatusResult) -> None:
    reason = f"  ({status.state_reason})" if status.state_reason else ""
    venue = "connected" if status.venue.connected else "DISCONNECTED"
    console.print(f"[bold]{status.trading_state.upper()}[/bold]{reason}   node {status.node_id} "
                  f"({status.mode}, tradloopd {status.version}), up since {_time(status.started_ts)}")
    console.print(_table(
        ["equity", "cash", "peak", "day pnl", "total pnl", "exposure", "net", "open orders"],
        [[status.equity, status.cash, status.peak_equity, status.day_pnl, status.total_pnl,
          status.exposure, status.net_exposure, status.open_orders]]))
    console.print(f"venue {status.venue.name}: {venue} {status.venue.detail}".rstrip())
    if status.strategies:
        console.print(_table(["strategy", "symbol", "name", "last signal", "params"], [
            [s.strategy_id, s.symbol, s.name, s.last_signal,
             " ".join(f"{k}={v}" for k, v in s.params.items())] for s in status.strategies]))
    if status.feed:
        console.print(_table(["feed", "last bar"], [[k, _time(v)] for k, v in status.feed.items()]))
    if status.risk_limits:
        console.print(_table(["risk limit", "used", "limit", ""],
                             [[r.name, r.used, r.limit, r.detail] for r in status.risk_limits]))
    if status.actors:
        console.print(_table(["actor", "received", "sent", "dropped", "queued"],
                             [[a.name, a.received, a.sent, a.dropped, a.queue_depth] for a in status.actors]))


def print_update(message: Update | Dropped, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(msgspec.json.encode(message).decode() + "\n")
    elif isinstance(message, Dropped):
        print(f"{message.topic}: {message.count} updates dropped (this client read too slowly)")
    else:
        print(f"{message.topic} #{message.seq} {_summary(message.data)}")


def _summary(data: msgspec.Struct) -> str:
    match data:
        case BarRow():
            return (f"{data.symbol} {data.timeframe} {_time(data.ts_open)} o={data.open} h={data.high} "
                    f"l={data.low} c={data.close} v={data.volume}")
        case OrderRow():
            return (f"{data.client_order_id} {data.symbol} {data.side} {data.kind} "
                    f"{data.quantity or data.notional} filled {data.filled_qty} {data.status} {data.reason}")
        case FillRow():
            return (f"{data.client_order_id} {data.side} {data.quantity} {data.symbol} @ {data.price} "
                    f"fee {data.fee} {data.liquidity}")
        case PositionRow():
            return f"{data.symbol} {data.quantity} @ {_cell(data.avg_price)} unrealized {data.unrealized_pnl}"
        case EquityPoint():
            return f"{_time(data.ts)} equity {data.equity} cash {data.cash}"
        case LogRecord():
            fields = " ".join(f"{k}={v}" for k, v in data.fields.items())
            return f"{_time(data.ts)} {data.level} {data.actor} {data.event} {fields}"
        case StatusResult():
            return f"{data.trading_state.upper()} equity {data.equity} day pnl {data.day_pnl}"
    return repr(data)


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 200  # a pipe or file: no wrapping of wide tables
    return console


def _table(headers: list[str], rows: list[list[object]], *, empty: str = "") -> Table | str:
    from rich.table import Table

    if not rows and empty:
        return empty
    table = Table(*headers, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    return table


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return str(value)


def _time(ts_ns: int) -> str:
    moment = EPOCH + timedelta(microseconds=ts_ns // 1_000)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _ids(ids: list[str]) -> str:
    return f"({', '.join(ids)})" if ids else ""


if __name__ == "__main__":
    sys.exit(main())
