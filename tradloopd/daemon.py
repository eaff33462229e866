"""`tradloopd run`: load a daemon config, rebuild state from the journal, and trade until stopped.

Startup: config (errors name the file and key) → logging → journal replay and restore → strategy
warm-up from the feed's history → actors (sinks first) → control socket → feed → READY=1 to systemd.
SIGINT/SIGTERM stop the feed, optionally cancel working orders, drain within the grace period,
and exit 0.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
from decimal import Decimal
from pathlib import Path

import msgspec
import structlog
import trio

from tradloopd.broadcast import Broadcaster
from tradloopd.clock import WallClock
from tradloopd.config import RunConfig, load_run_config
from tradloopd.errors import ConfigError, TradloopError
from tradloopd.feeds.timeframes import timeframe_ms
from tradloopd.logs import REDACTOR, TAP, configure_logging
from tradloopd.model import ZERO, Instrument
from tradloopd.node import Node, NodeSettings, StrategySlot, build, run_until_signalled, sd_notify
from tradloopd.node_control import NodeControl
from tradloopd.strategy import load_strategy, make_params, strategy_name

log = structlog.get_logger()


def run_command(config_path: str, state_dir: str | None = None) -> int:
    config = load_run_config(config_path)
    configure_logging(fmt=config.node.log_format, level=config.node.log_level)
    for secret in config.credentials.resolve(os.environ, config_path).values():
        REDACTOR.add(secret)  # a credential can never reach a log line, even by accident
    log.info("config_loaded", path=config_path, config=msgspec.to_builtins(config))
    settings = node_settings(config, Path(state_dir or config.node.state_dir))
    slots = strategy_slots(config, config_path)
    try:
        trio.run(_main, config, settings, slots, config_path)
    except TradloopError:
        raise
    log.info("daemon_exited")
    return 0


def node_settings(config: RunConfig, state_dir: Path) -> NodeSettings:
    instruments = {}
    for symbol in config.feed.symbols:
        own = config.venue.instruments.get(symbol)
        instruments[symbol] = Instrument(
            symbol=symbol,
            price_increment=own.price_increment if own and own.price_increment is not None else ZERO,
            size_increment=own.size_increment if own and own.size_increment is not None
            else Decimal("0.00000001"),
            min_size=own.min_size if own else ZERO)
    node = config.node
    return NodeSettings(
        node_id=node.id, state_dir=state_dir, cash=config.venue.cash,
        simulator=config.venue.simulator, risk=config.risk, instruments=instruments,
        stall_s=node.stall_s, heartbeat_s=node.heartbeat_s, shutdown_grace_s=node.shutdown_grace_s,
        cancel_on_shutdown=node.cancel_on_shutdown, max_orders_per_bar=node.max_orders_per_bar,
        warmup_bars=config.feed.warmup_bars, history_bars=node.history_bars)


def strategy_slots(config: RunConfig, source: str) -> list[StrategySlot]:
    slots = []
    for index, section in enumerate(config.strategies):
        where = f"{source}: strategies[{index}]"
        try:
            cls = load_strategy(section.name)
            params = make_params(cls, section.params)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if not hasattr(cls, "on_bar"):
            raise ConfigError(f"{where}: strategy {section.name} has no on_bar(); the daemon runs "
                              "per-bar strategies")
        symbols = section.symbols or config.feed.symbols
        _check_feed_of(config, where, symbols, section.timeframe)
        timeframe_ns = timeframe_ms(section.timeframe) * 1_000_000
        slots += [StrategySlot(cls, params, symbol, timeframe_ns, strategy_name(cls), section.timeframe)
                  for symbol in symbols]
    return slots


def _check_feed_of(config: RunConfig, where: str, symbols: list[str], timeframe: str) -> None:
    """Every symbol comes from a configured feed that has the strategy's timeframe."""
    owners = {symbol: name for name, section in config.feeds.items() for symbol in section.symbols}
    unknown = sorted(set(symbols) - set(owners))
    if unknown:
        feeds = " or ".join(f"[{name}]" for name in config.feeds)
        raise ConfigError(f"{where}: symbols {unknown} are not in the symbols of {feeds}")
    for symbol in symbols:
        section = config.feeds[owners[symbol]]
        if timeframe not in section.timeframes:
            raise ConfigError(f"{where}: timeframe {timeframe!r} of {symbol} is not among "
                              f"[{owners[symbol]}] timeframes {section.timeframes}")


def build_feed(config: RunConfig, clock: WallClock):  # type: ignore[no-untyped-def]
    """Every configured feed, run as one (`tradloopd.feeds.multi.MultiFeed`)."""
    from tradloopd.feeds.multi import MultiFeed, SourceFeed

    feeds: dict[str, tuple[SourceFeed, list[str]]] = {}
    if config.ccxt_feed is not None:
        from tradloopd.feeds.ccxt_feed import CcxtFeed

        feeds["feed"] = (CcxtFeed(config.ccxt_feed, clock=clock), config.ccxt_feed.symbols)
    if config.ib_feed is not None:
        from tradloopd.feeds.ib_feed import IbFeed

        contracts = config.venue.ib.contracts if config.venue.ib is not None else {}
        feeds["ib-feed"] = (IbFeed(config.ib_feed, clock=clock, contracts=contracts), config.ib_feed.symbols)
    return MultiFeed(feeds)


async def _main(config: RunConfig, settings: NodeSettings, slots: list[StrategySlot], source: str) -> None:
    with _state_lock(settings.state_dir):
        await _serve(config, settings, slots, source)


async def _serve(config: RunConfig, settings: NodeSettings, slots: list[StrategySlot], source: str) -> None:
    from tradloopd.actors.control import serve_control

    clock = WallClock()
    broadcaster = Broadcaster()
    control: NodeControl | None = None

    def publish(messages, equity):  # type: ignore[no-untyped-def]
        if control is not None:
            control.publish_journaled(messages, equity)

    async with open_venue(config, settings, clock, source) as chosen:
        settings, venue = chosen  # live venues bring their own instruments
        wiring = await trio.to_thread.run_sync(build, settings, slots, clock, publish, venue)
        feed = build_feed(config, clock)
        await _warm_up(wiring.strategy.runners, feed, settings.warmup_bars, slots)
        socket_path = settings.state_dir / config.control.socket
        node = Node(settings, wiring, feed)
        control = NodeControl(node, broadcaster)
        node.extra_tasks.append(functools.partial(serve_control, socket_path, control))
        node.on_bar = lambda bar: broadcaster.publish_nowait("bars", _bar_row(bar))
        node.extra_tasks.append(control.publish_status_every)
        TAP.sinks.append(_log_sink(broadcaster))
        # what lives from start-up on (modules, the rebuilt state) is never scanned by the
        # collector again: a full collection then takes ~1 ms instead of ~25 ms mid-pipeline
        gc.freeze()
        try:
            await run_until_signalled(node, on_ready=lambda: _ready(settings, socket_path))
        finally:
            TAP.sinks.clear()
        broadcaster.close()
        sd_notify("STOPPING=1")


@contextlib.asynccontextmanager
async def open_venue(config: RunConfig, settings: NodeSettings, clock: WallClock, source: str):  # type: ignore[no-untyped-def]
    """The venue factory `[venue] kind` asks for (and the settings to build with): the paper venue,
    or the live brokers, connected and reconciled with the journal (`tradloopd.brokers.live`)."""
    if config.venue.kind == "paper":
        from tradloopd.node import paper_venue

        yield settings, paper_venue
        return
    from tradloopd.brokers.live import open_live_venue

    async with open_live_venue(config, settings, clock, source=source) as live:
        yield live.settings, live.factory


def _bar_row(bar):  # type: ignore[no-untyped-def]
    from tradloopd.feeds.timeframes import TIMEFRAME_MS
    from tradloopd.protocol import bar_row

    names = {ms * 1_000_000: name for name, ms in TIMEFRAME_MS.items()}
    return bar_row(bar, timeframe=names.get(bar.ts_event - bar.ts_open, ""))


def _log_sink(broadcaster: Broadcaster):  # type: ignore[no-untyped-def]
    """Log events to the `logs` topic; only from the trio thread (the broadcaster is not
    thread-safe), and never the control server's own per-client chatter."""
    import threading
    import time

    from tradloopd.protocol import log_record

    main = threading.main_thread()

    def sink(event):  # type: ignore[no-untyped-def]
        if threading.current_thread() is main and event.get("actor") != "control":
            broadcaster.publish_nowait("logs", log_record(time.time_ns(), event))

    return sink


@contextlib.contextmanager
def _state_lock(state_dir: Path):  # type: ignore[no-untyped-def]
    """One daemon per state directory: an exclusive lock held while running."""
    import fcntl

    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "daemon.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"{state_dir}: another tradloopd is running with this state "
                              "directory (daemon.lock is held)") from None
        yield


def _ready(settings: NodeSettings, socket_path: Path) -> None:
    sd_notify("READY=1")
    log.info("daemon_ready", node_id=settings.node_id, state_dir=str(settings.state_dir),
             control_socket=str(socket_path))


async def _warm_up(runners, feed, bars: int, slots) -> None:  # type: ignore[no-untyped-def]
    """Indicators start from the feed's recent closed candles (each feed's `warmup-bars`),
    without trading on them."""
    if not bars:
        return
    for runner, slot in zip(runners, slots, strict=True):
        history = await feed.history(runner.symbol, slot.timeframe)
        used = runner.warm_up(history)
        log.info("strategy_warmed_up", strategy_id=runner.ctx.strategy_id, bars=used)
