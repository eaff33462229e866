"""Positions and cash from fills, exactly: FIFO lots, realised PnL, fees, and closed round trips.

Everything is `Decimal`, so cash + marked positions always reconcile with the sum of fills. A fee
split between trades (a fill closing several lots, a lot closed by several fills) is cut into
pieces of at most 10 decimals, the last piece taking the remainder: trade PnLs add up exactly to
the account's result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from tradloopd.messages import OrderFilled
from tradloopd.model import ZERO, Side


class Lot:
    """An open piece of a position: signed quantity, entry price, and the part of its fee not yet
    attributed to a closed trade."""

    __slots__ = ("qty", "price", "ts", "fee")

    def __init__(self, qty: Decimal, price: Decimal, ts: int, fee: Decimal) -> None:
        self.qty = qty
        self.price = price
        self.ts = ts
        self.fee = fee


_FEE_PLACES = Decimal("1e-10")


def _share(fee: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """The part of a fee that `part` of `whole` carries, to at most 10 decimals (1/3 of a fee is
    0.3333333333); the last piece of a fee takes what is left, so the pieces add up exactly."""
    share = fee * part / whole
    exponent = share.as_tuple().exponent
    return share.quantize(_FEE_PLACES) if isinstance(exponent, int) and exponent < -10 else share


class Trade(msgspec.Struct, frozen=True, kw_only=True):
    """A closed round trip: one entry lot (or the part of it) matched FIFO with one exit fill."""

    symbol: str
    side: Side
    quantity: Decimal
    entry_ts: int
    exit_ts: int
    entry_price: Decimal
    exit_price: Decimal
    fees: Decimal
    pnl: Decimal  # net of the entry and exit fees attributed to this quantity


class Position:
    """The net position in one symbol, as FIFO lots; positive long, negative short."""

    __slots__ = ("symbol", "lots", "qty", "realized_pnl")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.lots: deque[Lot] = deque()
        self.qty = ZERO
        self.realized_pnl = ZERO  # gross of fees

    @property
    def cost(self) -> Decimal:
        """Signed entry value of the open lots (sum of qty x price)."""
        return sum((lot.qty * lot.price for lot in self.lots), ZERO)

    @property
    def avg_price(self) -> Decimal | None:
        return self.cost / self.qty if self.qty else None

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        return self.qty * mark - self.cost

    def apply(self, fill: OrderFilled) -> list[Trade]:
        """Add the fill; return the round trips it closed (FIFO)."""
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        if not self.qty or (signed > 0) == (self.qty > 0):  # opens or adds: nothing closes
            self.lots.append(Lot(signed, fill.price, fill.ts_event, fill.fee))
            self.qty += signed
            return []
        trades: list[Trade] = []
        remaining, fee_left = signed, fill.fee
        while remaining and self.qty and (remaining > 0) != (self.qty > 0):
            lot = self.lots[0]
            closed = min(abs(remaining), abs(lot.qty))
            exit_fee = fee_left if closed == abs(remaining) else _share(fill.fee, closed, fill.quantity)
            entry_fee = lot.fee if closed == abs(lot.qty) else _share(lot.fee, closed, abs(lot.qty))
            trades.append(self._close(lot, closed, fill, entry_fee + exit_fee))
            fee_left -= exit_fee
            lot.fee -= entry_fee
            lot_sign = 1 if lot.qty > 0 else -1
            lot.qty -= closed * lot_sign
            self.qty -= closed * lot_sign
            remaining += closed * lot_sign
            if not lot.qty:
                self.lots.popleft()
        if remaining:
            self.lots.append(Lot(remaining, fill.price, fill.ts_event, fee_left))
            self.qty += remaining
        return trades

    def _close(self, lot: Lot, qty: Decimal, fill: OrderFilled, fees: Decimal) -> Trade:
        direction = 1 if lot.qty > 0 else -1
        gross = (fill.price - lot.price) * qty * direction
        self.realized_pnl += gross
        return Trade(
            symbol=self.symbol, side=Side.BUY if direction > 0 else Side.SELL, quantity=qty,
            entry_ts=lot.ts, exit_ts=fill.ts_event, entry_price=lot.price, exit_price=fill.price,
            fees=fees, pnl=gross - fees,
        )


class Portfolio:
    """Cash and positions of one account, changed only by fills."""

    __slots__ = ("initial_cash", "cash", "positions", "fees_paid", "traded_notional")

    def __init__(self, cash: Decimal) -> None:
        self.initial_cash = cash
        self.cash = cash
        self.positions: dict[str, Position] = {}
        self.fees_paid = ZERO
        self.traded_notional = ZERO

    def position(self, symbol: str) -> Position:
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position(symbol)
        return pos

    def qty(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return pos.qty if pos is not None else ZERO

    def apply(self, fill: OrderFilled) -> list[Trade]:
        notional = fill.quantity * fill.price
        self.cash += -notional if fill.side is Side.BUY else notional
        self.cash -= fill.fee
        self.fees_paid += fill.fee
        self.traded_notional += notional
        return self.position(fill.symbol).apply(fill)

    def marked_equity(self, marks: Mapping[str, float]) -> float:
        """Equity in floats (for sizing decisions): cash plus positions at their last close, or at
        their cost while no close is known yet (just after a restart)."""
        marked = sum(float(p.qty) * marks[s] if s in marks else float(p.cost)
                     for s, p in self.positions.items() if p.qty)
        return float(self.cash) + marked

    def equity(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Cash plus every position marked at `marks` (a symbol without a mark is an error)."""
        return self.cash + sum(
            (pos.qty * marks[sym] for sym, pos in self.positions.items() if pos.qty), ZERO
        )

    def gross_exposure(self, marks: Mapping[str, Decimal]) -> Decimal:
        return sum((abs(pos.qty) * marks[sym] for sym, pos in self.positions.items() if pos.qty),
                   ZERO)
