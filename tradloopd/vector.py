"""Vectorised execution of target positions: the event engine's fills without its per-order walk.

A signal-style run only ever sends market orders at a target change, which fill at the next bar's
open. This module visits just those changes in merged time order and applies the simulator's own
rules (`target_order`, `taker_price`, `notional_quantity`, `buying_power_problem`, lot and minimum
size) to the account, so its fills, trades and cash equal the event engine's exactly (tested on
real data). It skips the order lifecycle, so it is used only when nothing else could affect the
orders: no risk limits and no participation cap; otherwise the event engine runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from tradloopd.messages import OrderFilled
from tradloopd.model import Liquidity, Side, to_decimal
from tradloopd.simulator.fills import buying_power_problem, notional_quantity, taker_price
from tradloopd.targets import TargetOrder, target_order

if TYPE_CHECKING:
    from tradloopd.replay import Lane, Replay


def unsupported(replay: Replay) -> str | None:
    """Why this replay needs the event engine, or None if the vectorised path is exact for it."""
    if replay.style != "signal":
        return "the strategy runs bar by bar"
    if replay.settings.risk.restricts():
        return "risk limits are set"
    if replay.settings.simulator.max_participation is not None:
        return "a participation cap is set"
    return None


def run_vector(replay: Replay, order: np.ndarray) -> None:
    """Fill the replay's account from its lanes' target changes, in merged time order.

    Every value the walk needs (closes and targets at the signal bars, opens and times at the
    fill bars) is read from the arrays in bulk first, so the walk itself touches only Python
    numbers: it runs per target change, not per bar.
    """
    if len(replay.lanes) == 1:
        lane_positions = [order]  # one symbol: merged positions are its rows
    else:
        position_of = np.empty(len(order), dtype=np.int64)
        position_of[order] = np.arange(len(order))
        offsets = np.cumsum([0] + [len(lane.series) for lane in replay.lanes])
        lane_positions = [position_of[offsets[s]:offsets[s + 1]] for s in range(len(replay.lanes))]
    columns: list[list[np.ndarray]] = [[], [], [], [], []]  # key, lane, price, target, ts
    for s, lane in enumerate(replay.lanes):
        assert lane.follower is not None
        signal = lane.follower.change_rows()
        signal = signal[signal < len(lane.series) - 1]
        fill = signal + 1
        n = len(signal)
        positions = lane_positions[s]
        series = lane.series
        # at one bar the fill (matching) comes before the signal (the strategy): key = 2k + kind
        for column, part in zip(columns, (
                (positions[signal] * 2 + 1, positions[fill] * 2), (np.full(2 * n, s),),
                (series.close[signal], series.open[fill]),
                (lane.follower.values[signal], np.zeros(n)), (series.ts[signal], series.ts[fill])),
                strict=True):
            column.extend(part)
    key, lanes, prices, targets, times = (np.concatenate(c) for c in columns)
    sort = np.argsort(key, kind="stable")
    _walk(replay, lane_positions, *(a[sort].tolist() for a in (key, lanes, prices, targets, times)))


def _walk(replay: Replay, lane_positions: list[np.ndarray], keys: list[int], lanes: list[int],
          prices: list[float], targets: list[float], times: list[int]) -> None:
    run = _VectorRun(replay, lane_positions)
    pending: dict[int, tuple[str, TargetOrder]] = {}
    next_id = replay.ids.next
    for k2, s, price, target, ts in zip(keys, lanes, prices, targets, times, strict=True):
        k, is_signal = divmod(k2, 2)
        if is_signal:
            wanted = run.decide(k, s, price, target)
            if wanted is not None:
                pending[s] = (next_id(), wanted)
        elif s in pending:
            run.fill(k, replay.lanes[s], price, ts, *pending.pop(s))


class _VectorRun:
    def __init__(self, replay: Replay, lane_positions: list[np.ndarray]) -> None:
        self.replay = replay
        self.lane_positions = lane_positions
        self.portfolio = replay.account.portfolio
        self.config = replay.settings.simulator
        self.single = len(replay.lanes) == 1
        self.fills = replay.account.fills
        self.trades = replay.account.trades
        self.fill_points = replay.fill_points

    def marks_before(self, k: int) -> dict[str, float]:
        """Each held symbol's close on its last bar merged before position k."""
        marks: dict[str, float] = {}
        if self.single:
            return marks
        positions = self.portfolio.positions
        for s, lane in enumerate(self.replay.lanes):
            held = positions.get(lane.symbol)
            if held is None or not held.qty:
                continue
            row = int(np.searchsorted(self.lane_positions[s], k)) - 1
            if row >= 0:
                marks[lane.symbol] = float(lane.series.close[row])
        return marks

    def decide(self, k: int, s: int, close: float, target: float) -> TargetOrder | None:
        lane = self.replay.lanes[s]
        follower = lane.follower
        assert follower is not None
        equity = 0.0
        if follower.unit == "fraction":
            marks = self.marks_before(k)
            marks[lane.symbol] = close
            equity = self.portfolio.marked_equity(marks)
        return target_order(target, follower.unit, self.portfolio.qty(lane.symbol), equity, close,
                            lane.ctx.instrument)

    def fill(self, k: int, lane: Lane, open_: float, ts: int, client_order_id: str,
             wanted: TargetOrder) -> None:
        config = self.config
        instrument = lane.ctx.instrument
        side = wanted.side
        price = taker_price(to_decimal(open_), side, config.slippage_bps, instrument)
        quantity = wanted.quantity
        if quantity is None:
            assert wanted.notional is not None
            quantity = notional_quantity(wanted.notional, price, config.taker_fee, instrument)
        if quantity <= 0 or quantity < instrument.min_size:
            return
        fee = quantity * price * config.taker_fee
        held = self.portfolio.qty(lane.symbol)
        grows = not held or (held > 0) == (side is Side.BUY)
        if grows:
            marks = {sym: to_decimal(v) for sym, v in self.marks_before(k).items()}
            if buying_power_problem(self.portfolio, marks, lane.symbol, side, quantity, price, fee,
                                    config.leverage):
                return
        fill = OrderFilled(
            client_order_id=client_order_id, fill_id=client_order_id + "-1", symbol=lane.symbol,
            side=side, quantity=quantity, price=price, fee=fee, liquidity=Liquidity.TAKER,
            ts_event=ts,
        )
        self.fills.append(fill)
        portfolio = self.portfolio
        trades = portfolio.apply(fill)
        if trades:
            self.trades.extend(trades)
        self.fill_points.append((k, float(portfolio.cash), float(portfolio.positions[lane.symbol].qty)))
