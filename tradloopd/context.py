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
from decimal import Decimal

import numpy as np

from tradloopd.account import Account
from tradloopd.clock import Clock
from tradloopd.errors import LookAheadError, StrategyError
from tradloopd.messages import CancelOrder, Order, SubmitOrder
from tradloopd.model import ZERO, Instrument, OrderType, Side, TimeInForce, to_decimal
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
        values = self._values
        source = values.get(field) if field in values else self._columns.get(field)
        if source is None:
            raise StrategyError(f"history({field!r}): no such bar field or declared indicator")
        view = np.asarray(source[max(0, self.i + 1 - n): self.i + 1], dtype=np.float64)
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
              notional: Number | None = None, tag: str = "") -> Order:
        """Build an order for this symbol. Prices are rounded to the tick away from the market (a
        buy limit down, a sell limit up, stops and exits further away); the quantity is rounded
        down to the lot (less than one lot is a StrategyError). A buy without qty spends
        `notional` (default: all available cash), sized at the fill price."""
        inst = self.instrument
        buy = side is Side.BUY
        kind = _kind(limit is not None, stop is not None)
        quantity = None if qty is None else self._lots(qty, notional)
        amount = None
        if quantity is None:
            if not buy:
                raise StrategyError("a sell needs a quantity: notional sizing is for buys only")
            amount = self.account.portfolio.cash if notional is None else to_decimal(notional)
        return Order(
            client_order_id=self._ids.next(), symbol=self.symbol, side=side, kind=kind,
            quantity=quantity, notional=amount,
            price=None if limit is None else inst.round_price(to_decimal(limit), up=not buy),
            trigger_price=None if stop is None else inst.round_price(to_decimal(stop), up=buy),
            tif=TimeInForce(tif), expire_ts=expire_ts, post_only=post_only,
            reduce_only=reduce_only,
            stop_loss=None if stop_loss is None else inst.round_price(to_decimal(stop_loss), up=not buy),
            take_profit=None if take_profit is None else inst.round_price(to_decimal(take_profit), up=buy),
            strategy_id=self.strategy_id, tag=tag, ts_init=self.clock.now_ns(),
        )

    def _lots(self, qty: Number, notional: Number | None) -> Decimal:
        """`qty` rounded down to the lot; asking for both a quantity and a notional, or for less
        than one lot, is a mistake in the strategy."""
        if notional is not None:
            raise StrategyError(f"order: give qty ({qty}) or notional ({notional}), not both")
        asked = to_decimal(qty)
        quantity = self.instrument.floor_size(asked)
        if asked > ZERO and not quantity:
            raise StrategyError(f"quantity {asked} of {self.symbol} is less than one lot "
                                f"({self.instrument.size_increment}): it would round down to 0")
        return quantity

    def submit(self, order: Order) -> str:
        self.commands.append(SubmitOrder(order=order, ts_event=self.clock.now_ns()))
        return order.client_order_id

    def cancel(self, client_order_id: str) -> None:
        self.commands.append(CancelOrder(client_order_id=client_order_id, symbol=self.symbol,
                                         ts_event=self.clock.now_ns()))


def _kind(limit: bool, stop: bool) -> OrderType:
    if limit and stop:
        return OrderType.STOP_LIMIT
    if stop:
        return OrderType.STOP
    return OrderType.LIMIT if limit else OrderType.MARKET
