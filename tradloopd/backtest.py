"""`backtest()`: the Python API behind `tradloopd backtest` — strategy, data, settings in, result out.

    from tradloopd.backtest import backtest
    result = backtest("ma_cross", data="sample", params={"fast": 20, "slow": 50}, fee=0.001)
    result.metrics["sharpe"], result.curve.equity, result.fills
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from tradloopd.errors import ConfigError, DataError
from tradloopd.replay import InstrumentSettings, Replay, ReplaySettings
from tradloopd.strategy import load_strategy, make_params, strategy_name

if TYPE_CHECKING:
    from tradloopd.data.bars import BarSeries
    from tradloopd.results import BacktestResult

SAMPLE = "sample"


def backtest(
    strategy: str | type,
    *,
    data: str | Path | Sequence[str | Path] | Sequence[BarSeries] = SAMPLE,
    symbols: Sequence[str] = (),
    params: Mapping[str, object] | None = None,
    settings: ReplaySettings | None = None,
    cash: float | None = None,
    fee: float | None = None,
    slippage_bps: float | None = None,
    clean: bool = False,
) -> BacktestResult:
    """Run one backtest and summarise it. `fee` (fraction per fill) sets maker and taker fees."""
    from tradloopd.results import summarize

    if not isinstance(data, str | Path) and len(data) == 1 and _is_sample(data[0]):
        data = SAMPLE
    cls = load_strategy(strategy) if isinstance(strategy, str) else strategy
    chosen = make_params(cls, params or {})
    settings = with_overrides(settings or ReplaySettings(), cash=cash, fee=fee,
                              slippage_bps=slippage_bps)
    series = load_data(data, symbols, clean=clean)
    if _is_sample(data):
        settings = whole_shares(settings, series)
    replay = Replay(cls, chosen, series, settings).run()
    return summarize(replay, _run_info(cls, chosen, series, settings, data))


def with_overrides(settings: ReplaySettings, *, cash: float | None, fee: float | None,
                   slippage_bps: float | None) -> ReplaySettings:
    """Settings with the command-line style overrides applied (None keeps the setting)."""
    simulator = settings.simulator
    if fee is not None:
        if not 0 <= fee < 1:
            raise ConfigError(f"--fee {fee}: expected a fraction per fill in [0, 1), e.g. 0.001")
        simulator = msgspec.structs.replace(simulator, maker_fee=_dec(fee), taker_fee=_dec(fee))
    if slippage_bps is not None:
        if slippage_bps < 0:
            raise ConfigError(f"--slippage-bps {slippage_bps}: must not be negative")
        simulator = msgspec.structs.replace(simulator, slippage_bps=_dec(slippage_bps))
    changes: dict[str, Any] = {"simulator": simulator}
    if cash is not None:
        if cash <= 0:
            raise ConfigError(f"--cash {cash}: must be positive")
        changes["cash"] = _dec(cash)
    return msgspec.structs.replace(settings, **changes)


def load_data(data: str | Path | Sequence[Any], symbols: Sequence[str], *,
              clean: bool) -> list[BarSeries]:
    """Bar series from 'sample', a file, a directory, several paths, or BarSeries themselves."""
    from tradloopd.data import BarSeries, load_bars, load_many, load_sample

    if _is_sample(data):
        return [load_sample(s) for s in (symbols or ["AAPL"])]
    items = [data] if isinstance(data, str | Path) else list(data)
    absent = [str(item) for item in items if isinstance(item, str | Path) and not Path(item).exists()]
    if absent:
        raise DataError(f"data {', '.join(absent)}: not found (no such file or directory)")
    if items and all(isinstance(item, BarSeries) for item in items):
        series = list(items)
    elif len(items) == 1 and Path(items[0]).is_file():
        series = [load_bars(items[0], symbol=symbols[0] if len(symbols) == 1 else None, clean=clean)]
        return series
    else:
        series = load_many(items if len(items) > 1 else items[0], clean=clean)
    if symbols:
        wanted = set(symbols)
        missing = wanted - {s.symbol for s in series}
        if missing:
            raise ConfigError(f"--symbol {', '.join(sorted(missing))}: not in the data "
                              f"({', '.join(s.symbol for s in series)})")
        series = [s for s in series if s.symbol in wanted]
    return series


def _is_sample(data: object) -> bool:
    return isinstance(data, str) and data == SAMPLE


def whole_shares(settings: ReplaySettings, series: Sequence[BarSeries]) -> ReplaySettings:
    """The sample is US stocks: trade whole shares unless the settings say otherwise."""
    instruments = dict(settings.instruments)
    for s in series:
        own = instruments.get(s.symbol, InstrumentSettings())
        if own.size_increment is None:
            instruments[s.symbol] = msgspec.structs.replace(own, size_increment=Decimal(1))
    return msgspec.structs.replace(settings, instruments=instruments)


def _run_info(cls: type, params: msgspec.Struct, series: Sequence[BarSeries],
              settings: ReplaySettings, data: object) -> dict[str, Any]:
    from tradloopd.results import iso

    return {
        "strategy": strategy_name(cls),
        "params": msgspec.to_builtins(params),
        "data": SAMPLE if _is_sample(data) else ", ".join(s.source for s in series),
        "symbols": [s.symbol for s in series],
        "start": iso(min(int(s.ts[0]) for s in series)),
        "end": iso(max(int(s.ts[-1]) for s in series)),
        "bars": sum(len(s) for s in series),
        "cash": float(settings.cash),
        "fee": float(settings.simulator.taker_fee),
        "slippage_bps": float(settings.simulator.slippage_bps),
    }


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))
