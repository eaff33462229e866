"""Vectorised strategies: evaluate `signals(frame)`, prove it never looks ahead, trade its targets.

The target at bar i is known at that bar's close, so the change it asks for is ordered then and
fills at the next bar's open, exactly like an `on_bar` strategy. An order is sent only where the
target changes (NaN keeps the previous target; before the first value the target is flat).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from tradloopd.context import Context
from tradloopd.errors import LookAheadError, StrategyError
from tradloopd.messages import Bar
from tradloopd.model import Instrument, Side, to_decimal
from tradloopd.strategy import Targets

LOOKAHEAD_CUTS = (0.3, 0.6, 0.85)


def evaluate(signals: Callable[[object], object], frame: object, *, check: bool,
             name: str) -> Targets:
    """Call signals(frame); with `check`, also on three prefixes, which must agree (no peeking)."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    targets = _as_targets(signals(frame), len(frame), name)
    if check:
        for cut in LOOKAHEAD_CUTS:
            stop = int(len(frame) * cut)
            if stop < 2:
                continue
            prefix = _as_targets(signals(frame.iloc[:stop]), stop, name)
            _require_same(targets, prefix, stop, frame.index, name)
    return targets


def _as_targets(raw: object, n: int, name: str) -> Targets:
    targets = raw if isinstance(raw, Targets) else Targets(_values(raw), "units")
    values = np.asarray(targets.values, dtype=np.float64).reshape(-1)
    if len(values) != n:
        raise StrategyError(f"strategy {name}: signals() returned {len(values)} values for {n} bars")
    if np.isinf(values).any():
        raise StrategyError(f"strategy {name}: signals() returned an infinite target")
    return Targets(values, targets.unit)


def _values(raw: object) -> np.ndarray:
    to_numpy = getattr(raw, "to_numpy", None)
    return np.asarray(to_numpy(dtype=np.float64) if to_numpy else raw, dtype=np.float64)


def _require_same(full: Targets, prefix: Targets, stop: int, index: object, name: str) -> None:
    a, b = full.values[:stop], prefix.values
    same = np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True)
    if same.all() and full.unit == prefix.unit:
        return
    bad = int(np.flatnonzero(~same)[0]) if not same.all() else 0
    when = str(index[bad]) if hasattr(index, "__getitem__") else str(bad)  # type: ignore[index]
    raise LookAheadError(
        f"strategy {name} looks ahead: its target at bar {bad} ({when}) is {b[bad]} with data up "
        f"to bar {stop - 1} but {a[bad]} with all data; signals() may only use past and current "
        "rows (no shift(-1), no whole-series statistics)"
    )


def _ffill(values: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(values)
    idx = np.where(valid, np.arange(len(values)), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], 0.0)


class TargetOrder(NamedTuple):
    """The order a target change asks for: a side and either a quantity or a notional."""

    side: Side
    quantity: Decimal | None
    notional: Decimal | None


def target_order(target: float, unit: str, position: Decimal, equity: float, close: float,
                 instrument: Instrument) -> TargetOrder | None:
    """What to order, at a bar's close, to move `position` to `target`.

    Units: the difference in lots. Fraction of equity: growing a long (or going long from flat)
    buys a notional (target x equity minus the position's value), sized at the fill price;
    anything else orders the quantity that `target x equity / close` implies.
    """
    if unit == "units":
        return _difference(_lots(target, instrument) - position)
    value = target * equity
    held = float(position) * close
    if value > held and position >= 0:
        extra = to_decimal(round(value - held, 8))
        return TargetOrder(Side.BUY, None, extra) if extra > 0 else None
    desired = instrument.floor_size(to_decimal(math.trunc(value / close * 1e8) / 1e8))
    return _difference(desired - position)


@functools.lru_cache(maxsize=1024)
def _lots(target: float, instrument: Instrument) -> Decimal:
    """A unit target rounded down to the lot (targets repeat, so this is cached)."""
    return instrument.floor_size(to_decimal(target))


def _difference(difference: Decimal) -> TargetOrder | None:
    if difference > 0:
        return TargetOrder(Side.BUY, difference, None)
    if difference < 0:
        return TargetOrder(Side.SELL, -difference, None)
    return None


class TargetFollower:
    """Turns a target series into orders, as an on_bar strategy (used for the signal style)."""

    def __init__(self, targets: Targets) -> None:
        self.values = _ffill(targets.values)
        self.unit = targets.unit
        self.current = 0.0

    def change_rows(self) -> np.ndarray:
        """Rows whose target differs from the previous row's (flat before row 0)."""
        values = self.values
        changed = np.empty(len(values), dtype=bool)
        changed[0] = values[0] != 0.0
        np.not_equal(values[1:], values[:-1], out=changed[1:])
        return np.flatnonzero(changed)

    def on_bar(self, bar: Bar, ctx: Context) -> None:
        target = float(self.values[ctx.i])
        if target == self.current:
            return
        self.current = target
        for tracked in ctx.open_orders():
            ctx.cancel(tracked.client_order_id)
        wanted = target_order(target, self.unit, ctx.position, ctx.equity, bar.close,
                              ctx.instrument)
        if wanted is not None:
            ctx.submit(ctx.order(wanted.side, wanted.quantity, notional=wanted.notional))
