"""A backtest output directory loaded for reporting: run info, metrics, equity and trades."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tradloopd.analytics.files import Metrics, RunInfo, read_metrics_json
from tradloopd.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

EQUITY_FILE = "equity.csv"
TRADES_FILE = "trades.csv"
CLOSE_PREFIX = "close:"
_NEEDED_TRADE_COLUMNS = ("entry_time", "exit_time", "symbol", "side", "entry_price",
                         "exit_price", "pnl")
TRADE_COLUMNS = ("entry_time", "exit_time", "symbol", "side", "qty", "entry_price",
                 "exit_price", "pnl", "fees", "return_pct", "bars_held")


@dataclass(frozen=True, slots=True, eq=False)
class Run:
    """One backtest's outputs; `equity` is indexed by UTC time, `trades` may be empty."""

    path: Path
    info: RunInfo
    metrics: Metrics
    equity: pd.DataFrame
    trades: pd.DataFrame

    @property
    def name(self) -> str:
        """A short label: the strategy name and the directory name."""
        strategy = self.info.get("strategy")
        return f"{strategy} ({self.path.name})" if strategy else self.path.name

    @property
    def symbols(self) -> list[str]:
        """Symbols with a close column in equity.csv."""
        return [c.removeprefix(CLOSE_PREFIX) for c in self.equity.columns
                if c.startswith(CLOSE_PREFIX)]


def load_run(path: Path) -> Run:
    """Read metrics.json, equity.csv and (optionally) trades.csv from a run directory."""
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: not a directory; give a backtest output directory")
    info, metrics = read_metrics_json(path)
    return Run(path, info, metrics, _read_equity(path / EQUITY_FILE),
               _read_trades(path / TRADES_FILE))


def _read_equity(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: not found; a run directory needs equity.csv")
    try:
        frame = pd.read_csv(path)
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("timestamp"), utc=True,
                                                      format="ISO8601"), name="timestamp")
    except (ValueError, KeyError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: unreadable equity file ({exc})") from exc
    if "equity" not in frame.columns or frame.empty:
        raise DataError(f"{path}: needs a 'timestamp' and an 'equity' column and one row or more")
    return frame


def _read_trades(path: Path) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        return pd.DataFrame(columns=list(TRADE_COLUMNS))
    try:
        frame = pd.read_csv(path)
        missing = [c for c in _NEEDED_TRADE_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
        for column in ("entry_time", "exit_time"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    except (ValueError, KeyError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: unreadable trades file ({exc})") from exc
    return frame
