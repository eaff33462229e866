"""The per-bar context a strategy acts through: its data so far, the account, and order helpers.

The context never exposes a value beyond the current bar: the bar and indicator series it reads
from are private (in replay they hold the whole run), and `indicator(name, ago)` and
`history(field, n)` only reach back from the current bar. Orders a strategy places are collected
as commands in `ctx.commands`; whoever runs the strategy (the replay driver or the live strategy
actor) takes them from there, so the strategy code is the same in both.
"""

from __future__ import annotations

import array
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

import msgspec
import numpy as np

from tradloopd.account import Account
from tradloopd.clock import NS_PER_SECOND, Clock
from tradloopd.errors import LookAheadError, StrategyError
from tradloopd.messages import (
    Algo,
    AtrTrail,
    BreakEven,
    CancelOrder,
    Combo,
    Iceberg,
    Order,
    Pov,
    ProfitTarget,
    Scale,
    SubmitOrder,
    TimedExit,
    Trail,
    Twap,
    Vwap,
)
from tradloopd.model import ZERO, Instrument, OrderType, Side, TimeInForce, VolumeProfile, to_decimal
from tradloopd.orders.state import TrackedOrder

Number = float | int | Decimal


class OrderIds:
    """Deterministic client order ids: node id and a sequence, so a retry can never duplicate."""

    __slots__ = ("node_id", "seq")

    def __init__(self, node_id: str, start: int = 0) -> None:
        self.node_id = node_id
        self.seq = start

    def next(self) -> str:
        self.seq += 1
        return f"{self.node_id}-{self.seq}"


class Context:
    """What one strategy sees and does on one symbol (see the module docstring)."""

    __slots__ = ("strategy_id", "symbol", "instrument", "account", "clock", "params", "commands",
                 "i", "_columns", "_values", "marks", "_ids")

    def __init__(self, *, strategy_id: str, instrument: Instrument, account: Account, clock: Clock,
                 params: object, columns: Mapping[str, Sequence[float] | np.ndarray],
                 values: Mapping[str, Sequence[float]], marks: dict[str, float],
                 ids: OrderIds) -> None:
        self.strategy_id = strategy_id
        self.symbol = instrument.symbol
        self.instrument = instrument
        self.account = account
        self.clock = clock
        self.params = params
        self.commands: list[SubmitOrder | CancelOrder] = []
        self.i = -1  # index of the current bar in the series
        self._columns = columns
        self._values = values
        self.marks = marks  # last close per symbol, kept by the runner
        self._ids = ids

    # Data up to the current bar ----------------------------------------------------------------

    def attach(self, columns: Mapping[str, Sequence[float] | np.ndarray]) -> None:
        """Read the bar fields from `columns` (for the live runner, whose buffers grow)."""
        self._columns = columns

    def values_as_lists(self) -> None:
        """Hold the indicator series as compact `array('d')`s (for replay): reads as fast as a
        list's (each gives a plain float) at a quarter of a list's memory."""
        self._values = {k: array.array("d", np.ascontiguousarray(v, dtype=np.float64).tobytes())
                        for k, v in self._values.items()}

    def indicator(self, name: str, ago: int = 0) -> float:
        """The declared indicator `name` at this bar (`ago`=1: the bar before); NaN before data."""
        if ago < 0:
            raise LookAheadError(f"indicator({name!r}, ago={ago}): the future is not visible")
        i = self.i - ago
        return self._values[name][i] if i >= 0 else math.nan

    def history(self, field: str, n: int) -> np.ndarray:
        """The last `n` values of a bar field or indicator up to this bar, oldest first (read-only)."""
        return self._read(field, max(0, self.i + 1 - n), self.i + 1)

    def _read(self, field: str, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) of a bar field or indicator, as a read-only array."""
        values = self._values
        source = values.get(field) if field in values else self._columns.get(field)
        if source is None:
            raise StrategyError(f"history({field!r}): no such bar field or declared indicator")
        view = np.asarray(source[start:stop], dtype=np.float64)
        view.flags.writeable = False
        return view

    @property
    def now_ns(self) -> int:
        return self.clock.now_ns()

    # Account ------------------------------------------------------------------------------------

    @property
    def position(self) -> Decimal:
        return self.account.position(self.symbol)

    def position_of(self, symbol: str) -> Decimal:
        return self.account.position(symbol)

    @property
    def cash(self) -> float:
        return float(self.account.portfolio.cash)

    @property
    def equity(self) -> float:
        """Cash plus every position marked at its last close."""
        return self.account.portfolio.marked_equity(self.marks)

    def open_orders(self) -> list[TrackedOrder]:
        return [t for t in self.account.orders.open_orders(self.symbol)
                if t.order.strategy_id == self.strategy_id]

    # Orders -------------------------------------------------------------------------------------

    def buy(self, qty: Number | None = None, **kwargs: object) -> str:
        """Buy `qty` (default: with all available cash, sized at the fill). Keywords as `order`."""
        return self.submit(self.order(Side.BUY, qty, **kwargs))  # type: ignore[arg-type]

    def sell(self, qty: Number | None = None, **kwargs: object) -> str:
        """Sell `qty` (default: the whole long position). Keywords as `order`."""
        if qty is None:
            if self.position <= ZERO:
                raise StrategyError("sell() without qty closes a long position, and none is open")
            qty = self.position
        return self.submit(self.order(Side.SELL, qty, **kwargs))  # type: ignore[arg-type]

    def close(self) -> str | None:
        """Cancel this strategy's open orders on the symbol and flatten the position at market."""
        for tracked in self.open_orders():
            self.cancel(tracked.client_order_id)
        position = self.position
        if not position:
            return None
        side = Side.SELL if position > 0 else Side.BUY
        return self.submit(self.order(side, abs(position), tag="close"))

    def order(self, side: Side, qty: Number | None, *, limit: Number | None = None,
              stop: Number | None = None, stop_loss: Number | None = None,
              take_profit: Number | None = None, tif: TimeInForce | str = TimeInForce.GTC,
              expire_ts: int | None = None, post_only: bool = False, reduce_only: bool = False,
              notional: Number | None = None, tag: str = "", if_touched: bool = False,
              trail: Trail | None = None, algo: Algo | None = None, symbol: str | None = None) -> Order:
        """Build an order for this symbol (or another one's: no rounding then, the context knows
        only its own instrument). Prices are rounded to the tick away from the market (a buy limit
        down, a sell limit up, stops and exits further away, an if-touched trigger too); the
        quantity is rounded down to the lot (less than one lot is a StrategyError). A buy without
        qty spends `notional` (default: all available cash), sized at the fill price. `trail`
        makes a stop (or with `limit` a stop-limit) trailing; `algo` an algorithm order."""
        inst = self.instrument if symbol is None or symbol == self.symbol else Instrument(symbol=symbol)
        buy = side is Side.BUY
        kind = _kind(limit is not None, stop is not None or trail is not None)
        quantity = None if qty is None else self._lots(qty, notional, inst)
        amount = None
        if quantity is None:
            if not buy:
                raise StrategyError("a sell needs a quantity: notional sizing is for buys only")
            amount = self.account.portfolio.cash if notional is None else to_decimal(notional)
        return Order(
            client_order_id=self._ids.next(), symbol=inst.symbol, side=side, kind=kind,
            quantity=quantity, notional=amount,
            price=None if limit is None else inst.round_price(to_decimal(limit), up=not buy),
            trigger_price=None if stop is None else inst.round_price(to_decimal(stop), up=buy != if_touched),
            tif=TimeInForce(tif), expire_ts=expire_ts, post_only=post_only,
            reduce_only=reduce_only,
            stop_loss=None if stop_loss is None else inst.round_price(to_decimal(stop_loss), up=not buy),
            take_profit=None if take_profit is None else inst.round_price(to_decimal(take_profit), up=buy),
            strategy_id=self.strategy_id, tag=tag, ts_init=self.clock.now_ns(), if_touched=if_touched,
            trail=trail, algo=algo,
        )

    def _lots(self, qty: Number, notional: Number | None, instrument: Instrument) -> Decimal:
        """`qty` rounded down to the lot; asking for both a quantity and a notional, or for less
        than one lot, is a mistake in the strategy."""
        if notional is not None:
            raise StrategyError(f"order: give qty ({qty}) or notional ({notional}), not both")
        asked = to_decimal(qty)
        quantity = instrument.floor_size(asked)
        if asked > ZERO and not quantity:
            raise StrategyError(f"quantity {asked} of {instrument.symbol} is less than one lot "
                                f"({instrument.size_increment}): it would round down to 0")
        return quantity

    def submit(self, order: Order) -> str:
        self.commands.append(SubmitOrder(order=order, ts_event=self.clock.now_ns()))
        return order.client_order_id

    # The order catalogue (docs/orders.md) --------------------------------------------------------

    def bracket(self, qty: Number, *, stop_loss: Number, take_profit: Number, side: Side = Side.BUY,
                limit: Number | None = None, **kwargs: Any) -> str:
        """An entry (market, or limit at `limit`) whose stop-loss and take-profit exits start, one
        cancels the other, once it has filled."""
        return self.submit(self.order(side, qty, limit=limit, stop_loss=stop_loss,
                                      take_profit=take_profit, **kwargs))

    def if_touched(self, side: Side, qty: Number, trigger: Number, *, limit: Number | None = None,
                   **kwargs: Any) -> str:
        """Market-if-touched (limit-if-touched with `limit`): a buy when the price falls to
        `trigger`, a sell when it rises to it."""
        return self.submit(self.order(side, qty, stop=trigger, limit=limit, if_touched=True,
                                      **kwargs))

    def trailing_stop(self, qty: Number | None = None, *, amount: Number | None = None,
                      percent: Number | None = None, activation: Number | None = None,
                      limit_offset: Number | None = None, side: Side | None = None,
                      **kwargs: Any) -> str:
        """A trailing stop `amount` (or `percent`) behind the best price, closing the position
        (or `qty` of it) unless `side` is given. It starts from the last close (or, with an
        `activation` price, once the price reaches it); `limit_offset` makes it a stop-limit whose
        limit stays that far beyond the trigger."""
        reduce = bool(kwargs.pop("reduce_only", side is None))
        side, qty = self._exit_terms(side, qty)
        inst = self.instrument
        trail = Trail(amount=None if amount is None else _ceil_to(to_decimal(amount), inst.price_increment),
                      percent=None if percent is None else to_decimal(percent),
                      activation=None if activation is None else inst.round_price(
                          to_decimal(activation), up=side is Side.SELL))
        stop = None
        if activation is None and self.symbol in self.marks:
            stop = _trail_level(to_decimal(self.marks[self.symbol]), trail, side)
        limit = None if limit_offset is None or stop is None else stop + to_decimal(limit_offset) * side.sign
        return self.submit(self.order(side, qty, stop=stop, limit=limit, trail=trail,
                                      reduce_only=reduce, **kwargs))

    def oca(self, *orders: Order) -> str:
        """Submit `orders` as one-cancels-all: the first fill of any cancels the others. Returns
        the group's name (the first order's id)."""
        group = orders[0].client_order_id
        for order in orders:
            self.submit(msgspec.structs.replace(order, oca_group=group))
        return group

    def oco(self, first: Order, second: Order) -> str:
        """One-cancels-other: `oca` of two orders."""
        return self.oca(first, second)

    def oto(self, parent: Order, *children: Order) -> str:
        """Submit `parent`; `children` start only once it has filled (one-triggers-other)."""
        self.submit(parent)
        for child in children:
            self.submit(msgspec.structs.replace(child, oto_parent=parent.client_order_id))
        return parent.client_order_id

    def otoco(self, entry: Order, first: Order, second: Order) -> str:
        """An entry whose two exits start once it has filled and then cancel each other."""
        group = entry.client_order_id
        return self.oto(entry, *(msgspec.structs.replace(o, oca_group=group) for o in (first, second)))

    def multi_leg(self, *legs: Order) -> str:
        """Legs (of any symbols) that fill all or none: sent together once all arrived, each IOC
        (FOK if built so); any leg not filled unwinds the others. Returns the group's name."""
        group = Combo(group=legs[0].client_order_id, legs=len(legs))
        for leg in legs:
            tif = leg.tif if leg.tif is TimeInForce.FOK else TimeInForce.IOC
            self.submit(msgspec.structs.replace(leg, combo=group, tif=tif))
        return group.group

    def twap(self, side: Side, qty: Number, *, duration_s: float, slices: int,
             limit: Number | None = None, **kwargs: Any) -> str:
        """`qty` in `slices` equal parts evenly over `duration_s` (market, or limit at `limit`)."""
        algo = Twap(duration_ns=_ns(duration_s), slices=slices)
        return self.submit(self.order(side, qty, limit=limit, algo=algo, **kwargs))

    def vwap(self, side: Side, qty: Number, *, duration_s: float, profile: VolumeProfile | str = "u",
             max_participation: Number | None = None, limit: Number | None = None,
             **kwargs: Any) -> str:
        """`qty` over `duration_s`, a child each bar sized to the volume `profile` (flat, u, front,
        back), none above `max_participation` of the bar before."""
        algo = Vwap(duration_ns=_ns(duration_s), profile=VolumeProfile(profile),
                    max_participation=None if max_participation is None else to_decimal(max_participation))
        return self.submit(self.order(side, qty, limit=limit, algo=algo, **kwargs))

    def iceberg(self, side: Side, qty: Number, *, limit: Number, display: Number, **kwargs: Any) -> str:
        """A limit order that shows `display` at a time."""
        algo = Iceberg(display_qty=self._lots(display, None, self.instrument))
        return self.submit(self.order(side, qty, limit=limit, algo=algo, **kwargs))

    def pov(self, side: Side, qty: Number, *, participation: Number, limit: Number | None = None,
            end_ts: int | None = None, **kwargs: Any) -> str:
        """`participation` of each bar's volume on the next bar, until `qty` has filled."""
        algo = Pov(participation=to_decimal(participation), end_ts=end_ts)
        return self.submit(self.order(side, qty, limit=limit, algo=algo, **kwargs))

    def scale(self, side: Side, qty: Number, *, start: Number, step: Number, levels: int,
              **kwargs: Any) -> str:
        """Scale in (or out, with reduce_only=True): `levels` limits from `start`, `step` apart."""
        tick = self.instrument.price_increment
        algo = Scale(step=_ceil_to(to_decimal(step), tick), levels=levels)
        return self.submit(self.order(side, qty, limit=start, algo=algo, **kwargs))

    def atr_trailing_stop(self, *, multiple: Number, stop: Number, period: int = 14,
                          qty: Number | None = None) -> str:
        """A stop closing the position, first at `stop`, then `multiple` x ATR(`period`) behind
        the best price of each bar."""
        side, amount = self._exit_terms(None, qty)
        algo = AtrTrail(multiple=to_decimal(multiple), period=period)
        return self.submit(self.order(side, amount, stop=stop, reduce_only=True, algo=algo))

    def profit_target(self, *, offset: Number | None = None, percent: Number | None = None,
                      qty: Number | None = None) -> str:
        """A limit closing the position `offset` (or `percent`) beyond its average entry price."""
        side, amount = self._exit_terms(None, qty)
        algo = ProfitTarget(offset=None if offset is None else to_decimal(offset),
                            percent=None if percent is None else to_decimal(percent))
        return self.submit(self.order(side, amount, reduce_only=True, algo=algo))

    def break_even(self, *, threshold: Number, stop: Number, offset: Number = 0,
                   qty: Number | None = None) -> str:
        """A stop closing the position at `stop`, moved to the entry price plus fees (plus
        `offset`) once the price has reached `threshold`."""
        side, amount = self._exit_terms(None, qty)
        algo = BreakEven(threshold=to_decimal(threshold), offset=to_decimal(offset))
        return self.submit(self.order(side, amount, stop=stop, reduce_only=True, algo=algo))

    def timed_exit(self, *, bars: int | None = None, at_ts: int | None = None,
                   qty: Number | None = None) -> str:
        """A market order closing the position after `bars` bars, or at `at_ts`."""
        side, amount = self._exit_terms(None, qty)
        return self.submit(self.order(side, amount, reduce_only=True,
                                      algo=TimedExit(bars=bars, at_ts=at_ts)))

    def _exit_terms(self, side: Side | None, qty: Number | None) -> tuple[Side, Number]:
        """The side and quantity of an exit: closing the position unless told otherwise."""
        position = self.position
        if side is None:
            if not position:
                raise StrategyError(f"an exit closes a position, and there is none in {self.symbol}")
            side = Side.SELL if position > 0 else Side.BUY
        if qty is None:
            if not position:
                raise StrategyError(f"give a quantity: there is no position in {self.symbol} to size by")
            qty = abs(position)
        return side, qty

    def cancel(self, client_order_id: str) -> None:
        self.commands.append(CancelOrder(client_order_id=client_order_id, symbol=self.symbol,
                                         ts_event=self.clock.now_ns()))


def _ns(seconds: float) -> int:
    return round(seconds * NS_PER_SECOND)


def _ceil_to(value: Decimal, tick: Decimal) -> Decimal:
    """`value` rounded up to the tick (a trail never tighter than asked)."""
    return value if not tick else (value / tick).to_integral_value(ROUND_CEILING) * tick


def _trail_level(close: Decimal, trail: Trail, side: Side) -> Decimal:
    """Where a trailing stop starts from the last close (the venue rounds as it moves it)."""
    if trail.amount is not None:
        return close - trail.amount if side is Side.SELL else close + trail.amount
    assert trail.percent is not None
    factor = trail.percent / 100
    return close * (1 - factor) if side is Side.SELL else close * (1 + factor)


def _kind(limit: bool, stop: bool) -> OrderType:
    if limit and stop:
        return OrderType.STOP_LIMIT
    if stop:
        return OrderType.STOP
    return OrderType.LIMIT if limit else OrderType.MARKET
