"""The monitor's text panels: the trading-state bar, the account figures, the system panel (venue, feeds,
actors' heartbeat counters) and the structured log pane with its level filter."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog, Static

from tradloopd.monitor.model import LOG_LEVELS, MonitorState
from tradloopd.monitor.text import amount, clock_time, date_time, indicator, money, percent, signed
from tradloopd.protocol import BarRow, LogRecord, PositionRow, StrategyRow

LEVEL_STYLES = {"debug": "dim", "info": "cyan", "warning": "yellow", "error": "bold red",
                "critical": "bold red"}
LOG_LINES = 500


class StateBar(Static):
    """One line: ACTIVE / REDUCING / HALTED (or DISCONNECTED since ...), the node, the link."""

    def show(self, state: MonitorState) -> None:
        link, status = state.link, state.status
        trading = str(status.trading_state) if status is not None else "unknown"
        for name in ("active", "reducing", "halted", "unknown", "disconnected"):
            self.set_class(name == (trading if link.connected else "disconnected"), f"-{name}")
        text = Text(no_wrap=True, overflow="ellipsis")
        if link.connected:
            text.append(f" {trading.upper()} ", style="bold reverse")
        else:
            text.append(f" DISCONNECTED since {clock_time(link.since_ns)} UTC ", style="bold reverse")
        if not link.connected:
            text.append(f" {link.reason} · retrying")
            if status is not None:
                text.append(f" · last known: {status.node_id} {trading}", style="dim")
            self.update(text)
            return
        if status is not None and status.state_reason:
            text.append(f" {status.state_reason}", style="bold")
        if status is not None:
            text.append(f"  {status.node_id} · {status.mode} · tradloopd {status.version}")
        text.append(f" · connected since {clock_time(link.since_ns)} UTC")
        self.update(text)


class Figures(Static):
    """Equity, cash, today's and total PnL, drawdown, exposure and open orders."""

    def show(self, state: MonitorState) -> None:
        status = state.status
        if status is None:
            self.update(Text("waiting for the daemon's status…", style="dim"))
            return
        text = Text()
        pieces: list[tuple[str, str | Text]] = [
            ("equity", money(status.equity)), ("cash", money(status.cash)),
            ("day", signed(status.day_pnl)), ("total", signed(status.total_pnl)),
            ("drawdown", percent(state.drawdown_now())),
            ("exposure", f"{money(status.exposure)} (net {money(status.net_exposure)})"),
            ("orders", str(status.open_orders)),
        ]
        for index, (label, value) in enumerate(pieces):
            if index:
                text.append("  ")
            text.append(f"{label} ", style="dim")
            text.append(value if isinstance(value, Text) else Text(value, style="bold"))
        self.update(text)


class SystemPanel(Static):
    """The venue connection, each feed's last bar, and the monitor's own link counters."""

    def show(self, state: MonitorState) -> None:
        status = state.status
        text = Text(no_wrap=True, overflow="ellipsis")
        if status is not None:
            venue = status.venue
            text.append("venue ", style="dim")
            text.append(f"{venue.name} ")
            text.append("● connected" if venue.connected else "● down",
                        style="green" if venue.connected else "bold red")
            for feed, ts in sorted(status.feed.items()):
                text.append(f"\nfeed {feed} ", style="dim")
                text.append(f"bar {clock_time(ts)}")
        dropped = ", ".join(f"{topic} {count:,}" for topic, count in sorted(state.dropped.items()))
        text.append("\nmonitor ", style="dim")
        text.append(f"{state.updates_received:,} updates")
        text.append(f"\ndropped {dropped}" if dropped else ", none dropped",
                    style="yellow" if dropped else "")
        self.update(text)


class LogPane(RichLog):
    """The daemon's log lines at or above the chosen level, newest at the bottom."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=LOG_LINES, wrap=False, markup=False, auto_scroll=True)
        self._seen = 0
        self._level = ""

    def show(self, state: MonitorState, level: str) -> None:
        self.border_title = f"log ≥ {level} (l: level)"
        new = state.logs_received - self._seen
        if level != self._level or new >= len(state.logs):
            self.clear()
            records = list(state.log_rows(level))[-LOG_LINES:]
        else:
            recent = list(state.logs)[-new:] if new else []
            records = [r for r in recent if LOG_LEVELS.index(_level(r)) >= LOG_LEVELS.index(level)]
        self._seen, self._level = state.logs_received, level
        for record in records:
            self.write(log_line(record))


def _level(record: LogRecord) -> str:
    level = record.level.lower()
    return level if level in LOG_LEVELS else "critical"


def log_line(record: LogRecord) -> Text:
    text = Text(no_wrap=True)
    text.append(f"{clock_time(record.ts)} ", style="dim")
    text.append(f"{record.level.upper():<7}", style=LEVEL_STYLES.get(_level(record), ""))
    text.append(f" {record.actor:<8} ", style="dim")
    text.append(record.event, style="bold")
    for key, value in record.fields.items():
        text.append(f" {key}=", style="dim")
        text.append(str(value))
    return text


class StrategyDetail(Static):
    """One strategy: its parameters, last signal, indicator values, its symbol's last bar and position."""

    def show(self, strategy: StrategyRow | None, bar: BarRow | None, position: PositionRow | None) -> None:
        if strategy is None:
            self.update(Text("no strategy selected", style="dim"))
            return
        text = Text()
        text.append(f"{strategy.strategy_id}", style="bold")
        text.append(f"  {strategy.name} on {strategy.symbol}  last signal ", style="dim")
        text.append(strategy.last_signal or "–", style="bold")
        text.append("\nparameters  ", style="dim")
        text.append("  ".join(f"{k}={v}" for k, v in strategy.params.items()) or "–")
        text.append("\nindicators  ", style="dim")
        text.append("  ".join(f"{k}={indicator(v)}" for k, v in strategy.indicators.items()) or "–")
        if bar is not None:
            text.append("\nlast bar    ", style="dim")
            text.append(f"{date_time(bar.ts_event)}  O {indicator(bar.open)}  H {indicator(bar.high)}  "
                        f"L {indicator(bar.low)}  C {indicator(bar.close)}  V {indicator(bar.volume)}")
        text.append("\nposition    ", style="dim")
        if position is None or position.quantity == 0:
            text.append("flat")
        else:
            text.append(f"{amount(position.quantity)} @ {amount(position.avg_price)}  unrealized ")
            text.append(signed(position.unrealized_pnl))
        self.update(text)
