"""Live trading for the daemon: connect the configured venues, reconcile, and build the venue actor.

`open_live_venue` is what `tradloopd run` uses when `[venue] kind` is "ccxt" or "ib". Inside one
trio-asyncio loop (the adapters' asyncio libraries run on it), it creates a broker per configured
venue (`[venue.ccxt.NAME]` sections; `[venue.ib]` when the Interactive Brokers adapter is
configured), routes the feed's symbols to them, connects them (wrong keys stop the daemon here),
reconciles the journal with them (`tradloopd.brokers.startup`), and yields the node settings with
the venues' own instruments (tick, lot, minimums) and a `VenueFactory` building the
`BrokerVenueActor`. The brokers are closed when the block ends.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
import trio

from tradloopd.brokers.actor import BrokerVenueActor, WatchSettings
from tradloopd.brokers.aio import open_aio_loop
from tradloopd.brokers.base import Broker
from tradloopd.brokers.router import Family, Router
from tradloopd.brokers.startup import StartupReconciliation
from tradloopd.clock import Clock
from tradloopd.errors import VenueUnavailable
from tradloopd.logs import REDACTOR
from tradloopd.store.journal import Journal

if TYPE_CHECKING:
    from tradloopd.config import RunConfig
    from tradloopd.node import NodeSettings, VenueFactory, VenueParts

log = structlog.get_logger()


@dataclass(frozen=True)
class LiveVenue:
    settings: NodeSettings  # with the venues' instruments for the traded symbols
    factory: VenueFactory
    brokers: dict[str, Broker]


@asynccontextmanager
async def open_live_venue(config: RunConfig, settings: NodeSettings, clock: Clock, *,
                          source: str = "config") -> AsyncIterator[LiveVenue]:
    """Connect and reconcile every live venue of `config`; see the module docstring."""
    venue = config.venue
    symbols = list(config.feed.symbols)
    families = {name: Family.CCXT for name in venue.ccxt}
    if _ib_section(config) is not None:
        families["ib"] = Family.IB
    router = Router(families, venue.routes, source=source)
    table = router.table(symbols)
    log.info("symbols_routed", routes=table)
    watch = WatchSettings(poll_s=venue.poll_s, resolve_grace_s=venue.resolve_grace_s,
                          reconcile=venue.reconcile)
    async with open_aio_loop():
        brokers = _brokers(config, router, clock, settings.state_dir, source)
        try:
            await _connect_and_reconcile(brokers, router, settings, watch, clock)
            instruments = dict(settings.instruments)
            for symbol, name in table.items():
                instruments[symbol] = brokers[name].instruments().get(symbol, instruments[symbol])

            def factory(parts: VenueParts) -> BrokerVenueActor:
                return BrokerVenueActor(brokers, router, parts.account, parts.clock, parts.inbox,
                                        parts.to_journal, parts.to_risk, parts.to_strategy, watch)

            yield LiveVenue(dataclasses.replace(settings, instruments=instruments), factory, brokers)
        finally:
            with trio.CancelScope(shield=True):
                for broker in brokers.values():
                    await broker.close()


async def _connect_and_reconcile(brokers: dict[str, Broker], router: Router, settings: NodeSettings,
                                 watch: WatchSettings, clock: Clock) -> None:
    """Connect every venue and reconcile the journal with it; a venue that cannot be reached
    (after the broker's retries) stops the daemon: it does not trade unreconciled."""
    try:
        for broker in brokers.values():
            await broker.connect()
        journal = Journal(settings.state_dir / "journal.sqlite", initial_cash=settings.cash)
        try:
            await StartupReconciliation(brokers, router, journal, watch, node_id=settings.node_id,
                                        clock=clock).run()
        finally:
            journal.close()
    except VenueUnavailable as exc:
        raise VenueUnavailable(f"cannot reconcile with the venues at start ({exc}); the daemon will not "
                               "trade until it can (systemd restarts it)") from exc


def _brokers(config: RunConfig, router: Router, clock: Clock, state_dir: Path,
             source: str) -> dict[str, Broker]:
    from tradloopd.brokers.ccxt.broker import CcxtBroker
    from tradloopd.brokers.ccxt.commissions import CommissionBook

    symbols = list(config.feed.symbols)
    brokers: dict[str, Broker] = {}
    for name, section in config.venue.ccxt.items():
        credentials = _credentials(config, section, source)
        brokers[name] = CcxtBroker(name, section, symbols=router.symbols_of(name, symbols),
                                   credentials=credentials, clock=clock,
                                   commissions=CommissionBook(state_dir / f"{name}-commissions.jsonl"))
    ib = _ib_section(config)
    if ib is not None:
        from tradloopd.brokers.ib.broker import IbBroker

        brokers["ib"] = IbBroker("ib", ib, symbols=router.symbols_of("ib", symbols), clock=clock,
                                 account=ib.account_id(os.environ, source))
    return brokers


def _credentials(config: RunConfig, section: Any, source: str) -> dict[str, str]:
    """This account's credentials from the environment (the section's variables, else
    `[credentials]`'s), registered with the log redactor."""
    from tradloopd.config import CredentialsSection

    shared = config.credentials
    own = CredentialsSection(api_key_env=section.api_key_env or shared.api_key_env,
                             secret_env=section.secret_env or shared.secret_env,
                             password_env=section.password_env or shared.password_env)
    values = own.resolve(os.environ, source)
    for secret in values.values():
        REDACTOR.add(secret)
    return values


def _ib_section(config: RunConfig) -> Any:
    """The `[venue.ib]` section, once the Interactive Brokers adapter adds it to the config."""
    return getattr(config.venue, "ib", None)

