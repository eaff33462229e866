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
from tradloopd.model import Liquidity, to_decimal
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
    """Fill the replay's account from its lanes' target changes, in merged time order."""
    position_of = np.empty(len(order), dtype=np.int64)
    position_of[order] = np.arange(len(order))
    offsets = np.cumsum([0] + [len(lane.series) for lane in replay.lanes])
    lane_positions = [position_of[offsets[s]:offsets[s + 1]] for s in range(len(replay.lanes))]
    keys, lanes, rows = [], [], []
    for s, lane in enumerate(replay.lanes):
        assert lane.follower is not None
        signal_rows = lane.follower.change_rows()
        signal_rows = signal_rows[signal_rows < len(lane.series) - 1]
        positions = lane_positions[s]
        # at one bar the fill (matching) comes before the signal (the strategy): key = 2k + kind
        keys += [positions[signal_rows] * 2 + 1, positions[signal_rows + 1] * 2]
        lanes += [np.full(2 * len(signal_rows), s)]
        rows += [signal_rows, signal_rows + 1]
    key = np.concatenate(keys)
    sort = np.argsort(key, kind="stable")
    run = _VectorRun(replay, lane_positions)
    pending: dict[int, tuple[str, TargetOrder]] = {}
    for k2, s, row in zip(key[sort].tolist(), np.concatenate(lanes)[sort].tolist(),
                          np.concatenate(rows)[sort].tolist(), strict=True):
        k, is_signal = divmod(k2, 2)
        if not is_signal:
            if s in pending:
                run.fill(k, replay.lanes[s], row, *pending.pop(s))
            continue
        wanted = run.decide(k, s, row)
        if wanted is not None:
            pending[s] = (replay.ids.next(), wanted)


class _VectorRun:
    def __init__(self, replay: Replay, lane_positions: list[np.ndarray]) -> None:
        self.replay = replay
        self.lane_positions = lane_positions
        self.portfolio = replay.account.portfolio
        self.config = replay.settings.simulator
        self.single = len(replay.lanes) == 1

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

    def decide(self, k: int, s: int, row: int) -> TargetOrder | None:
        lane = self.replay.lanes[s]
        follower = lane.follower
        assert follower is not None
        close = float(lane.series.close[row])
        equity = 0.0
        if follower.unit == "fraction":
            marks = self.marks_before(k)
            marks[lane.symbol] = close
            equity = self.portfolio.marked_equity(marks)
        return target_order(float(follower.values[row]), follower.unit,
                            self.portfolio.qty(lane.symbol), equity, close, lane.ctx.instrument)

    def fill(self, k: int, lane: Lane, row: int, client_order_id: str, wanted: TargetOrder) -> None:
        config = self.config
        instrument = lane.ctx.instrument
        price = taker_price(to_decimal(float(lane.series.open[row])), wanted.side,
                            config.slippage_bps, instrument)
        quantity = wanted.quantity
        if quantity is None:
            assert wanted.notional is not None
            quantity = notional_quantity(wanted.notional, price, config.taker_fee, instrument)
        if quantity <= 0 or quantity < instrument.min_size:
            return
        fee = quantity * price * config.taker_fee
        marks = {sym: to_decimal(v) for sym, v in self.marks_before(k).items()}
        if buying_power_problem(self.portfolio, marks, lane.symbol, wanted.side, quantity, price,
                                fee, config.leverage):
            return
        fill = OrderFilled(
            client_order_id=client_order_id, fill_id=f"{client_order_id}-1", symbol=lane.symbol,
            side=wanted.side, quantity=quantity, price=price, fee=fee,
            liquidity=Liquidity.TAKER, ts_event=int(lane.series.ts[row]),
        )
        account = self.replay.account
        account.fills.append(fill)
        trades = self.portfolio.apply(fill)
        if trades:
            account.trades.extend(trades)
        self.replay.fill_bars.append(k)
