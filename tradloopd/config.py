"""Configuration files: TOML decoded into frozen msgspec structs that reject unknown keys.

Every error names the file and the key (`config/backtest.toml: replay.cash: Expected ...`).
Secrets never live in TOML: a config names the environment variable that holds them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from tradloopd.brokers.ccxt.config import CcxtVenueConfig
from tradloopd.brokers.ib.config import IbVenueConfig
from tradloopd.brokers.reconcile import ReconcileSettings
from tradloopd.errors import ConfigError
from tradloopd.feeds.ccxt_feed import CcxtFeedConfig
from tradloopd.feeds.ib_feed import IbFeedConfig
from tradloopd.replay import InstrumentSettings, ReplaySettings
from tradloopd.risk.guard import RiskLimits
from tradloopd.simulator import SimulatorConfig

T = TypeVar("T")


class BacktestSection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                      rename="kebab"):
    """What to run: strategy, parameters, data, and where the outputs go."""

    strategy: str = "ma_cross"
    params: dict[str, Any] = {}
    data: list[str] = msgspec.field(default_factory=lambda: ["sample"])
    symbols: list[str] = []
    out: str = "out/backtest"
    report: bool = False
    clean: bool = False


class BacktestConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                     rename="kebab"):
    backtest: BacktestSection = BacktestSection()
    replay: ReplaySettings = ReplaySettings()


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def decode(raw: dict[str, Any], kind: type[T], source: str) -> T:
    """Convert a parsed TOML document into `kind`, naming the source and key on error."""
    try:
        return msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {_where(str(exc))}") from None


def _where(message: str) -> str:
    unknown = re.match(r"Object contains unknown field `([^`]+)`(?: - at `\$\.?([^`]*)`)?", message)
    if unknown:
        section = f"[{unknown.group(2)}] " if unknown.group(2) else ""
        return f"{section}unknown key {unknown.group(1)!r} (check the spelling against the documented file)"
    at = re.search(r" - at `\$\.?([^`]*)`$", message)
    if at:
        return f"{at.group(1)}: {message[: at.start()]}"
    return message


class NodeSection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                  rename="kebab"):
    """The daemon itself: identity, state directory, timings and logging."""

    id: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_]{1,16}$")] = "paper"
    state_dir: str = "state"
    heartbeat_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    shutdown_grace_s: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    cancel_on_shutdown: bool = False
    stall_s: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    max_orders_per_bar: Annotated[int, msgspec.Meta(ge=1)] = 64
    # bars each live strategy keeps (bar fields and indicator values); older ones are dropped so
    # a daemon running for months stays in bounded memory. At least this many are always readable.
    history_bars: Annotated[int, msgspec.Meta(ge=10)] = 10_000
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"


class StrategySection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                      rename="kebab"):
    """One strategy to run: built-in name or file, parameters, symbols (default: the feed's)."""

    name: str
    params: dict[str, Any] = {}
    symbols: list[str] = []
    timeframe: str = "1m"


class VenueSection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                   rename="kebab"):
    """Where orders go. "paper": the order simulator on live data (no keys needed). "ccxt" / "ib":
    live trading through the broker actor on every venue configured here (`[venue.ccxt.NAME]`
    exchanges; `[venue.ib]` for Interactive Brokers), symbols routed by kind and `routes`
    (`tradloopd.brokers`; every key documented in config/live-ccxt.toml). `cash` is the journal's
    starting cash either way: live, the quote-currency budget the daemon trades with.
    """

    kind: Literal["paper", "ccxt", "ib"] = "paper"
    cash: Decimal = Decimal(100_000)
    simulator: SimulatorConfig = SimulatorConfig()
    instruments: dict[str, InstrumentSettings] = {}
    ccxt: dict[str, CcxtVenueConfig] = {}
    ib: IbVenueConfig | None = None  # [venue.ib]: Interactive Brokers (every key in config/live-ib.toml)
    routes: list[str] = []
    poll_s: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    resolve_grace_s: Annotated[float, msgspec.Meta(ge=0)] = 15.0
    reconcile: ReconcileSettings = ReconcileSettings()

    def __post_init__(self) -> None:
        if self.kind == "ccxt" and not self.ccxt:
            raise ValueError('kind = "ccxt" needs at least one [venue.ccxt.NAME] exchange section')


class CredentialsSection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                         rename="kebab"):
    """Names of the environment variables holding the exchange credentials (never the values).

    Paper trading on public data needs none; live venues read them at start.
    """

    api_key_env: str = ""
    secret_env: str = ""
    password_env: str = ""

    def resolve(self, environ: Mapping[str, str], source: str) -> dict[str, str]:
        """{"api_key": ..., "secret": ..., "password": ...} for the configured variables."""
        values = {}
        for field, variable in (("api_key", self.api_key_env), ("secret", self.secret_env),
                                ("password", self.password_env)):
            if not variable:
                continue
            value = environ.get(variable)
            if not value:
                raise ConfigError(f"{source}: credentials.{field.replace('_', '-')}-env names "
                                  f"${variable}, which is not set in the environment")
            values[field] = value
        return values


class ControlSection(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                     rename="kebab"):
    socket: str = "control.sock"  # relative to the state directory


@dataclass(frozen=True)
class AllFeeds:
    """Every configured feed section together (`RunConfig.feed`): what the daemon trades."""

    symbols: list[str]
    warmup_bars: int


class RunConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                rename="kebab"):
    """A daemon configuration file (config/paper.toml).

    Bars come from one feed section or both: `[feed]` (ccxt, crypto) and `[ib-feed]` (Interactive
    Brokers); each symbol from exactly one. `feed` is all of them together; `feeds` each by name.
    """

    node: NodeSection = NodeSection()
    ccxt_feed: CcxtFeedConfig | None = msgspec.field(default=None, name="feed")
    ib_feed: IbFeedConfig | None = msgspec.field(default=None, name="ib-feed")
    strategies: list[StrategySection]
    venue: VenueSection = VenueSection()
    risk: RiskLimits = RiskLimits()
    control: ControlSection = ControlSection()
    credentials: CredentialsSection = CredentialsSection()

    @property
    def feeds(self) -> dict[str, CcxtFeedConfig | IbFeedConfig]:
        """The configured feed sections by their name in the file ("feed", "ib-feed")."""
        sections = {"feed": self.ccxt_feed, "ib-feed": self.ib_feed}
        return {name: section for name, section in sections.items() if section is not None}

    @property
    def feed(self) -> AllFeeds:
        feeds = list(self.feeds.values())
        return AllFeeds(symbols=[s for f in feeds for s in f.symbols],
                        warmup_bars=max((f.warmup_bars for f in feeds), default=0))


def load_run_config(path: str | Path) -> RunConfig:
    path = Path(path)
    config = decode(read_toml(path), RunConfig, str(path))
    if config.venue.cash <= 0:
        raise ConfigError(f"{path}: venue.cash: must be positive, got {config.venue.cash}")
    if not config.strategies:
        raise ConfigError(f"{path}: [[strategies]] is empty; configure at least one strategy")
    _check_feeds(config, str(path))
    return config


def _check_feeds(config: RunConfig, source: str) -> None:
    """At least one feed; each symbol in one feed; the IB feed's own API client id."""
    if not config.feeds:
        raise ConfigError(f"{source}: no feed: configure [feed] (ccxt) or [ib-feed] (Interactive Brokers)")
    if config.ccxt_feed is not None and config.ib_feed is not None:
        both = sorted(set(config.ccxt_feed.symbols) & set(config.ib_feed.symbols))
        if both:
            raise ConfigError(f"{source}: ib-feed.symbols: {both} are in feed.symbols too; each symbol "
                              "comes from one feed")
    ib, venue = config.ib_feed, config.venue.ib
    if ib is not None and venue is not None and (ib.host, ib.port, ib.client_id) == (
            venue.host, venue.port, venue.client_id):
        raise ConfigError(f"{source}: ib-feed.client-id: {ib.client_id} is venue.ib's client id too; give "
                          "the feed its own (each connection to one TWS needs one)")


def load_backtest_config(path: str | Path | None) -> BacktestConfig:
    if path is None:
        return BacktestConfig()
    path = Path(path)
    return decode(read_toml(path), BacktestConfig, str(path))
