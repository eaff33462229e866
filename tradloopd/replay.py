"""The replay driver: historical bars on a simulated clock, straight into the trading cores.

Deterministic: the same bars, strategy, parameters and settings give the same journal, fills and
files byte for byte. Several symbols are merged by the time each bar becomes known (its close),
ties in symbol order. No channel hop per bar: the driver calls the cores the live daemon wraps as
actors (strategy + context, risk guard, simulator, account) directly, in the order the actors
would see the messages.
"""

from __future__ import annotations

import array
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Literal

import msgspec
import numpy as np

from tradloopd.account import Account
from tradloopd.clock import SimClock
from tradloopd.context import Context, OrderIds
from tradloopd.data.bars import BarSeries
from tradloopd.errors import ConfigError, StrategyError, TradloopError
from tradloopd.messages import Bar, CancelOrder, OrderDenied, OrderEvent, OrderFilled, SubmitOrder
from tradloopd.model import ZERO, Instrument
from tradloopd.risk.guard import RiskGuard, RiskLimits
from tradloopd.simulator import Simulator, SimulatorConfig
from tradloopd.strategy import strategy_name, styles
from tradloopd.targets import TargetFollower, evaluate
from tradloopd.vector import run_vector, unsupported

Message = SubmitOrder | CancelOrder | OrderEvent
_CHUNK = 1 << 15


class InstrumentSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                         rename="kebab"):
    """Per-symbol overrides of the tick (else taken from the data's decimals) and lot size."""

    price_increment: Decimal | None = None
    size_increment: Decimal | None = None
    min_size: Decimal = ZERO


class ReplaySettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
                     rename="kebab"):
    """Everything about a replay except the strategy and the data."""

    cash: Decimal = Decimal(100_000)
    style: Literal["auto", "bar", "signal"] = "auto"
    engine: Literal["auto", "event", "vector"] = "auto"
    check_lookahead: bool = True
    node_id: str = "bt"
    size_increment: Decimal = Decimal("0.00000001")
    simulator: SimulatorConfig = SimulatorConfig()
    risk: RiskLimits = RiskLimits()
    instruments: dict[str, InstrumentSettings] = {}


class Lane:
    """One (strategy, symbol) pair: the strategy instance, its context, and the bars it reads."""

    __slots__ = ("symbol", "series", "strategy", "ctx", "on_bar", "on_fill", "on_order", "follower",
                 "tf_ns")

    def __init__(self, series: BarSeries, strategy: object, ctx: Context,
                 follower: TargetFollower | None) -> None:
        self.symbol = series.symbol
        self.series = series
        self.strategy = strategy
        self.ctx = ctx
        self.follower = follower
        self.on_bar: Callable[[Bar, Context], None] = (
            follower.on_bar if follower is not None else strategy.on_bar  # type: ignore[attr-defined]
        )
        self.on_fill = getattr(strategy, "on_fill", None)
        self.on_order = getattr(strategy, "on_order", None)
        self.tf_ns = series.timeframe_ns


class Replay:
    """One backtest run: build with the strategy, its parameters and the bars, then `run()`."""

    def __init__(self, strategy_cls: type, params: msgspec.Struct, series: Sequence[BarSeries],
                 settings: ReplaySettings) -> None:
        if not series:
            raise ConfigError("replay needs at least one bar series")
        if len({s.symbol for s in series}) != len(series):
            raise ConfigError("replay got two bar series for the same symbol")
        self.strategy_cls = strategy_cls
        self.params = params
        self.series = list(series)
        self.settings = settings
        self.style = _style(strategy_cls, settings.style)
        self.clock = SimClock()
        self.instruments = {s.symbol: _instrument(s, settings) for s in self.series}
        self.account = Account(settings.cash)
        self.risk = RiskGuard(settings.risk)
        self.journal: list[Message] = []
        # per fill: its merged bar position, and the exact cash and position after it as floats
        self.fill_points: list[tuple[int, float, float]] = []
        self.marks: dict[str, float] = {}
        self.simulator = Simulator(settings.simulator, self.instruments, settings.cash, self.marks)
        self.ids = OrderIds(settings.node_id)
        self._position = 0
        self._strategy: Lane | None = None  # the lane whose strategy code is running, if any
        self.lanes = [self._lane(s) for s in self.series]
        self._by_strategy = {lane.ctx.strategy_id: lane for lane in self.lanes}
        self._hooked = any(lane.on_fill or lane.on_order for lane in self.lanes)

    def _lane(self, series: BarSeries) -> Lane:
        strategy = self.strategy_cls(self.params)
        name = strategy_name(self.strategy_cls)
        declared = strategy.indicators() if hasattr(strategy, "indicators") else {}
        values = _indicator_values(declared, series)
        ctx = Context(
            strategy_id=f"{name}:{series.symbol}", instrument=self.instruments[series.symbol],
            account=self.account, clock=self.clock, params=self.params, columns=series.columns(),
            values=values, marks=self.marks, ids=self.ids,
        )
        follower = None
        if self.style == "signal":
            frame = series.to_frame(values)
            check = self.settings.check_lookahead
            follower = TargetFollower(evaluate(strategy.signals, frame, check=check, name=name))
        return Lane(series, strategy, ctx, follower)

    # Running ------------------------------------------------------------------------------------

    def run(self) -> Replay:
        order, ts_event = _merge(self.series)
        self.merged_order, self.merged_ts = order, ts_event
        self.engine = self._choose_engine()
        try:
            for lane in self.lanes:
                hook = getattr(lane.strategy, "on_start", None)
                if hook is not None:
                    self._strategy = lane
                    hook(lane.ctx)
                    self._strategy = None
            if self.engine == "vector":
                run_vector(self, order)
                return self
            for lane in self.lanes:  # plain lists: the fastest per-bar lookups
                lane.ctx.values_as_lists()
            if self.style == "signal":
                self._run_sparse(order)
            else:
                self._run_every_bar(order)
        except TradloopError:
            raise
        except Exception as exc:
            lane = self._strategy
            if lane is None:
                raise  # the engine itself broke: let it crash loudly
            raise StrategyError(
                f"strategy {lane.ctx.strategy_id} raised {exc!r} at bar {lane.ctx.i}"
            ) from exc
        return self

    def _choose_engine(self) -> str:
        wanted = self.settings.engine
        reason = unsupported(self)
        if wanted == "vector" and reason is not None:
            raise ConfigError(f"engine vector cannot run this backtest: {reason}")
        return "vector" if wanted != "event" and reason is None else "event"

    def _run_every_bar(self, order: np.ndarray) -> None:
        """The hot loop: one Bar per merged position, matching first, then the strategy."""
        lanes, clock, marks = self.lanes, self.clock, self.marks
        books, match = self.simulator.books, self.simulator.on_bar
        for start, chunk in Tape(self.series, order).chunks():
            for k, (s, row, ts, o, h, lo, c, v) in enumerate(zip(*chunk, strict=True), start):
                lane = lanes[s]
                symbol = lane.symbol
                ts_event = ts + lane.tf_ns
                bar = Bar(symbol=symbol, ts_open=ts, ts_event=ts_event, open=o, high=h, low=lo,
                          close=c, volume=v)
                clock.set(ts_event)
                marks[symbol] = c
                if books.get(symbol):
                    self._position = k
                    self._dispatch(match(bar))
                ctx = lane.ctx
                ctx.i = row
                self._strategy = lane
                lane.on_bar(bar, ctx)
                self._strategy = None
                if ctx.commands:
                    self._execute(ctx)

    def _run_sparse(self, order: np.ndarray) -> None:
        """Visit only the bars where a target changes, and the bars after them while orders work."""
        position_of = np.empty(len(order), dtype=np.int64)
        position_of[order] = np.arange(len(order))
        offsets = np.cumsum([0] + [len(s) for s in self.series])
        self._lane_positions = [position_of[offsets[s]:offsets[s + 1]] for s in range(len(self.lanes))]
        pending: list[int] = []
        for s, lane in enumerate(self.lanes):
            assert lane.follower is not None
            rows = lane.follower.change_rows()
            rows = np.unique(np.concatenate((rows, rows + 1)))
            pending.extend(position_of[offsets[s] + rows[rows < len(lane.series)]].tolist())
        heapq.heapify(pending)
        done = -1
        while pending:
            k = heapq.heappop(pending)
            if k <= done:
                continue
            done = k
            s = int(np.searchsorted(offsets, order[k], side="right") - 1)
            self._visit(k, s, int(order[k] - offsets[s]), offsets)
            lane = self.lanes[s]
            if self.simulator.has_working(lane.symbol) and order[k] + 1 < offsets[s + 1]:
                heapq.heappush(pending, int(position_of[order[k] + 1]))

    def _visit(self, k: int, s: int, row: int, offsets: np.ndarray) -> None:
        lane = self.lanes[s]
        series = lane.series
        bar = Bar(symbol=lane.symbol, ts_open=int(series.ts[row]),
                  ts_event=int(series.ts[row]) + lane.tf_ns, open=float(series.open[row]),
                  high=float(series.high[row]), low=float(series.low[row]),
                  close=float(series.close[row]), volume=float(series.volume[row]))
        self.clock.set(bar.ts_event)
        self._position = k
        self._refresh_marks(k)
        events = self.simulator.on_bar(bar)
        if events:
            self._dispatch(events)
        self.marks[lane.symbol] = bar.close
        lane.ctx.i = row
        self._strategy = lane
        lane.on_bar(bar, lane.ctx)
        self._strategy = None
        if lane.ctx.commands:
            self._execute(lane.ctx)

    def _refresh_marks(self, k: int) -> None:
        """Sparse replay skips bars: set each symbol's last close to its last bar before k."""
        for s, lane in enumerate(self.lanes):
            row = int(np.searchsorted(self._lane_positions[s], k)) - 1
            if row >= 0:
                self.marks[lane.symbol] = float(lane.series.close[row])

    # The order path -----------------------------------------------------------------------------

    def _execute(self, ctx: Context) -> None:
        """Take the commands a strategy placed: journal, risk check, then the venue."""
        while ctx.commands:
            commands, ctx.commands = ctx.commands, []
            for command in commands:
                self.journal.append(command)
                if isinstance(command, SubmitOrder):
                    self._submit(command)
                else:
                    self._dispatch(self.simulator.cancel(command.client_order_id, command.ts_event))

    def _submit(self, command: SubmitOrder) -> None:
        order = command.order
        reason = self.risk.check(order, self.account, self.marks.get(order.symbol))
        if reason is not None:
            denied = self.account.deny(order, reason, command.ts_event)
            self.journal.append(denied)
            self._notify(denied)
            return
        self.account.add_order(order)
        self.account.mark_submitted(order.client_order_id, command.ts_event)
        self._dispatch(self.simulator.submit(order, command.ts_event))

    def _dispatch(self, events: list[OrderEvent]) -> None:
        for event in events:
            self.journal.append(event)
            self.account.apply(event)
            if isinstance(event, OrderFilled):
                self.record_fill(event)
            self._notify(event)

    def record_fill(self, fill: OrderFilled) -> None:
        """Note where the fill happened and the cash and position it left (for the curve)."""
        portfolio = self.account.portfolio
        self.fill_points.append((self._position, float(portfolio.cash),
                                 float(portfolio.positions[fill.symbol].qty)))

    def _notify(self, event: OrderEvent) -> None:
        if not self._hooked:
            return
        tracked = self.account.orders.get(event.client_order_id)
        lane = self._by_strategy.get(tracked.order.strategy_id) if tracked else None
        if lane is None:
            return
        hook = lane.on_fill if isinstance(event, OrderFilled) else lane.on_order
        if hook is not None:
            outer, self._strategy = self._strategy, lane
            hook(event, lane.ctx)
            self._strategy = outer
            if lane.ctx.commands:
                self._execute(lane.ctx)

    @property
    def denied(self) -> list[OrderDenied]:
        return [m for m in self.journal if isinstance(m, OrderDenied)]


def _style(cls: type, wanted: str) -> str:
    available = styles(cls)
    if not available:
        raise ConfigError(f"strategy {strategy_name(cls)} defines neither on_bar() nor signals()")
    if wanted == "auto":
        return available[0]
    if wanted not in available:
        method = "on_bar()" if wanted == "bar" else "signals()"
        raise ConfigError(f"strategy {strategy_name(cls)} has no {method} for --style {wanted}")
    return wanted


def _instrument(series: BarSeries, settings: ReplaySettings) -> Instrument:
    own = settings.instruments.get(series.symbol, InstrumentSettings())
    tick = own.price_increment
    if tick is None:
        tick = ZERO if series.price_decimals is None else Decimal(1).scaleb(-series.price_decimals)
    lot = own.size_increment if own.size_increment is not None else settings.size_increment
    return Instrument(symbol=series.symbol, price_increment=tick, size_increment=lot,
                      min_size=own.min_size)


def _indicator_values(declared: Mapping[str, object], series: BarSeries) -> dict[str, np.ndarray]:
    from tradloopd.indicators import Ind, compute

    values: dict[str, np.ndarray] = {}
    columns = series.columns()
    for key, spec in declared.items():
        if not isinstance(spec, Ind):
            raise ConfigError(f"indicator {key!r}: declare it with tradloopd.indicators.ind(...)")
        outputs = compute(spec, columns, series.ts)
        if len(outputs) == 1:
            values[key] = next(iter(outputs.values()))
        else:
            values.update({f"{key}.{name}": array for name, array in outputs.items()})
    return values


def _merge(series: Sequence[BarSeries]) -> tuple[np.ndarray, np.ndarray]:
    """Positions into the concatenated bars, ordered by close time then symbol; and those times."""
    ts_event = np.concatenate([s.ts + s.timeframe_ns for s in series])
    if len(series) == 1:
        return np.arange(len(ts_event)), ts_event
    symbol = np.concatenate([np.full(len(s), i) for i, s in enumerate(series)])
    order = np.lexsort((symbol, ts_event))
    return order, ts_event[order]


_FIELDS = ("ts", "open", "high", "low", "close", "volume")


class Tape:
    """The merged bars as columns (lane, row, ts, open, high, low, close, volume), read in chunks
    of Python numbers so a million bars never become a million Python objects at once."""

    def __init__(self, series: Sequence[BarSeries], order: np.ndarray) -> None:
        self.length = len(order)
        if len(series) == 1:
            self.lanes: np.ndarray | None = None
            self.columns = [getattr(series[0], f) for f in _FIELDS]
            return
        offsets = np.cumsum([0] + [len(s) for s in series])
        self.lanes = (np.searchsorted(offsets, order, side="right") - 1).astype(np.int64)
        self.rows = order - offsets[self.lanes]
        self.columns = [np.concatenate([getattr(s, f) for s in series])[order] for f in _FIELDS]

    def chunks(self) -> Iterator[tuple[int, list[Iterable[int] | Iterable[float]]]]:
        for start in range(0, self.length, _CHUNK):
            stop = min(start + _CHUNK, self.length)
            if self.lanes is None:
                head: list[Iterable[int] | Iterable[float]] = [
                    itertools.repeat(0, stop - start), range(start, stop)]
            else:
                head = [_numbers(self.lanes[start:stop]), _numbers(self.rows[start:stop])]
            yield start, head + [_numbers(c[start:stop]) for c in self.columns]


def _numbers(values: np.ndarray) -> array.array:  # type: ignore[type-arg]
    """A compact Python sequence of the values (iterating it yields plain ints or floats)."""
    out = array.array("q" if values.dtype == np.int64 else "d")
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out
