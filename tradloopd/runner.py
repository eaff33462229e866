"""Running a strategy live, one closed bar at a time: the same Context as replay, fed by streams.

In replay the driver precomputes every indicator (batch form) and moves the context's index; here
each bar is appended to growing columns and every declared indicator is updated by its streaming
form, then `on_bar` is called. The strategy code cannot tell the difference (tested: a replay through
the live wiring journals the same events as the replay driver). A daemon runs for months, so the
columns and indicator values keep only the latest bars (`keep_bars`, at least that many readable):
`ctx.i` still counts every bar since the start, and reading further back than what is kept is a
clear `StrategyError`, never a wrong value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from tradloopd.account import Account
from tradloopd.clock import Clock
from tradloopd.context import Context, OrderIds
from tradloopd.errors import LookAheadError, StrategyError
from tradloopd.indicators import Ind, Stream, outputs
from tradloopd.messages import Bar, CancelOrder, OrderEvent, OrderFilled, SubmitOrder
from tradloopd.model import Instrument

FIELDS = ("open", "high", "low", "close", "volume")


class Columns:
    """Bar fields as numpy arrays that grow by doubling; only [:length] is ever exposed. Once full
    with at least twice `keep` rows, the rows before the last `keep` are dropped instead (`base`
    counts every row dropped so far)."""

    def __init__(self, capacity: int = 1024, keep: int | None = None) -> None:
        self._data = {name: np.zeros(capacity) for name in ("ts", *FIELDS)}
        self._data["ts"] = self._data["ts"].astype(np.int64)
        self.length = 0
        self.keep = keep
        self.base = 0

    def append(self, bar: Bar) -> int:
        """Add the bar; returns how many of the oldest rows were dropped to make room (mostly 0)."""
        dropped = 0
        if self.length == len(self._data["close"]):
            if self.keep is not None and self.length >= 2 * self.keep:
                dropped = self.length - self.keep
                for column in self._data.values():
                    column[:self.keep] = column[dropped:self.length]
                self.length, self.base = self.keep, self.base + dropped
            else:
                self._data = {k: np.concatenate((v, np.zeros_like(v))) for k, v in self._data.items()}
        n = self.length
        data = self._data
        data["ts"][n] = bar.ts_open
        data["open"][n], data["high"][n], data["low"][n] = bar.open, bar.high, bar.low
        data["close"][n], data["volume"][n] = bar.close, bar.volume
        self.length = n + 1
        return dropped

    def view(self) -> dict[str, np.ndarray]:
        """The raw buffers (the context slices them up to its index, never beyond)."""
        return self._data


class WindowContext(Context):
    """The live context over kept bars: `i` counts every bar since the start (as in replay);
    row `i` is at `i - _base` in the buffers, and rows before `_base` are gone. The offset lives
    here, not in `Context`, whose `indicator` is on the replay's per-bar hot path."""

    __slots__ = ("_base", "_keep")

    def __init__(self, *, keep: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._base = 0
        self._keep = keep

    def indicator(self, name: str, ago: int = 0) -> float:
        if ago < 0:
            raise LookAheadError(f"indicator({name!r}, ago={ago}): the future is not visible")
        i = self.i - ago
        if i < 0:
            return math.nan
        if i < self._base:
            raise self._gone(f"indicator({name!r}, ago={ago})")
        return self._values[name][i - self._base]

    def history(self, field: str, n: int) -> np.ndarray:
        start = max(0, self.i + 1 - n)
        if start < self._base:
            raise self._gone(f"history({field!r}, {n})")
        return self._read(field, start - self._base, self.i + 1 - self._base)

    def forget_before(self, base: int) -> None:
        """Rows before `base` were dropped from the buffers."""
        self._base = base

    def _gone(self, call: str) -> StrategyError:
        return StrategyError(f"{call}: reaches back past the {self._keep:,} bars kept live "
                             f"([node] history-bars)")


class StrategyRunner:
    """One strategy on one symbol and timeframe: streams, columns, context, and its hooks."""

    def __init__(self, strategy: object, *, strategy_id: str, instrument: Instrument,
                 timeframe_ns: int, account: Account, clock: Clock, ids: OrderIds,
                 marks: dict[str, float], keep_bars: int = 10_000) -> None:
        self.strategy = strategy
        self.timeframe_ns = timeframe_ns
        declared: Mapping[str, Ind] = strategy.indicators() if hasattr(strategy, "indicators") else {}
        self.streams = [(key, Stream(spec), len(outputs(spec)) > 1) for key, spec in declared.items()]
        self.columns = Columns(keep=keep_bars)
        values: dict[str, list[float]] = {}
        for key, spec in declared.items():
            names = outputs(spec)
            for name in names:
                values[key if len(names) == 1 else f"{key}.{name}"] = []
        self.values = values
        self.ctx = WindowContext(keep=keep_bars, strategy_id=strategy_id, instrument=instrument,
                                 account=account, clock=clock, params=getattr(strategy, "p", None),
                                 columns=self.columns.view(), values=values, marks=marks, ids=ids)
        self.enabled = True
        self.last_bar_ts = 0
        self.last_signal = ""  # the last order the strategy placed, for status screens

    @property
    def symbol(self) -> str:
        return self.ctx.symbol

    def wants(self, bar: Bar) -> bool:
        return bar.symbol == self.ctx.symbol and bar.ts_event - bar.ts_open == self.timeframe_ns

    def warm_up(self, bars: Iterable[Bar]) -> int:
        """Feed history through the indicators without calling the strategy; returns bars used."""
        count = 0
        for bar in bars:
            if bar.ts_open > self.last_bar_ts or not self.columns.length:
                self._absorb(bar)
                count += 1
        return count

    def on_bar(self, bar: Bar) -> list[SubmitOrder | CancelOrder]:
        """Absorb the bar and run `on_bar`; returns the commands the strategy placed."""
        if bar.ts_open <= self.last_bar_ts and self.columns.length:
            return []  # already seen (a back-filled duplicate)
        self._absorb(bar)
        if not self.enabled:
            return []
        return self._call(self.strategy.on_bar, bar)  # type: ignore[attr-defined]

    def on_event(self, event: OrderEvent) -> list[SubmitOrder | CancelOrder]:
        name = "on_fill" if isinstance(event, OrderFilled) else "on_order"
        hook = getattr(self.strategy, name, None)
        if hook is None or not self.enabled:
            return []
        return self._call(hook, event)

    def _absorb(self, bar: Bar) -> None:
        dropped = self.columns.append(bar)
        self.ctx.attach(self.columns.view())
        values = self.values
        if dropped:
            for series in values.values():
                del series[:dropped]
            self.ctx.forget_before(self.columns.base)
        for key, stream, multi in self.streams:
            out = stream.update(bar.ts_open, bar.open, bar.high, bar.low, bar.close, bar.volume)
            if multi:
                for name, value in out.items():
                    values[f"{key}.{name}"].append(value)
            else:
                values[key].append(next(iter(out.values())))
        self.ctx.i = self.columns.base + self.columns.length - 1
        self.last_bar_ts = bar.ts_open

    def _call(self, hook: object, argument: object) -> list[SubmitOrder | CancelOrder]:
        ctx = self.ctx
        try:
            hook(argument, ctx)  # type: ignore[operator]
        except Exception as exc:
            ctx.commands.clear()
            self.enabled = False
            raise StrategyError(f"strategy {ctx.strategy_id} raised {exc!r}; it is disabled") from exc
        commands, ctx.commands = ctx.commands, []
        for command in commands:
            if isinstance(command, SubmitOrder):
                ctx.account.add_order(command.order)
                order = command.order
                amount = order.quantity if order.quantity is not None else f"{order.notional} notional"
                self.last_signal = f"{order.side} {amount} {order.kind} ({order.client_order_id})"
        return commands
