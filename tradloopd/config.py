"""Configuration files: TOML decoded into frozen msgspec structs that reject unknown keys.

Every error names the file and the key (`config/backtest.toml: replay.cash: Expected ...`).
Secrets never live in TOML: a config names the environment variable that holds them.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from tradloopd.errors import ConfigError
from tradloopd.replay import ReplaySettings

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


def load_backtest_config(path: str | Path | None) -> BacktestConfig:
    if path is None:
        return BacktestConfig()
    path = Path(path)
    return decode(read_toml(path), BacktestConfig, str(path))
