"""Positions from fills, exactly: FIFO round trips long, short and flipping, fees split to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.messages import OrderFilled
from tradloopd.model import Liquidity, Side
from tradloopd.positions import Portfolio, Position

D = Decimal


def fill(side: str, qty: object, price: object, fee: object = 0, ts: int = 0,
         symbol: str = "X") -> OrderFilled:
    return OrderFilled(client_order_id="o", fill_id=f"f{ts}", symbol=symbol, side=Side(side),
                       quantity=D(str(qty)), price=D(str(price)), fee=D(str(fee)),
                       liquidity=Liquidity.TAKER, ts_event=ts)


def test_long_round_trip_pnl_is_net_of_both_fees():
    pos = Position("X")
    assert pos.apply(fill("buy", 2, 100, fee="2", ts=1)) == []
    (trade,) = pos.apply(fill("sell", 2, 110, fee="2.2", ts=2))
    assert (trade.side, trade.quantity, trade.entry_price, trade.exit_price) == (Side.BUY, 2, 100, 110)
    assert (trade.entry_ts, trade.exit_ts) == (1, 2)
    assert trade.fees == D("4.2") and trade.pnl == D("15.8")
    assert pos.qty == 0 and pos.realized_pnl == 20 and not pos.lots


def test_short_round_trip_profits_when_the_price_falls():
    pos = Position("X")
    pos.apply(fill("sell", 2, 100, fee="2"))
    assert pos.qty == -2 and pos.avg_price == 100
    (trade,) = pos.apply(fill("buy", 2, 90, fee="1.8"))
    assert trade.side is Side.SELL
    assert trade.pnl == D("16.2") and trade.fees == D("3.8")


def test_exits_close_the_oldest_lot_first():
    pos = Position("X")
    pos.apply(fill("buy", 1, 100, fee="1", ts=1))
    pos.apply(fill("buy", 1, 120, fee="1.2", ts=2))
    (trade,) = pos.apply(fill("sell", 1, 130, fee="1.3", ts=3))
    assert (trade.entry_price, trade.entry_ts, trade.pnl) == (100, 1, D("27.7"))
    assert pos.qty == 1 and pos.avg_price == 120


def test_one_exit_spanning_two_lots_gives_two_trades_with_the_exit_fee_split():
    pos = Position("X")
    pos.apply(fill("buy", 1, 100, fee="1"))
    pos.apply(fill("buy", 3, 110, fee="3"))
    first, second = pos.apply(fill("sell", 2, 120, fee="2"))
    assert (first.quantity, first.fees, first.pnl) == (1, 2, 18)   # fee 1 in + 1 out
    assert (second.quantity, second.fees, second.pnl) == (1, 2, 8)  # 1 of 3 in + 1 out
    assert pos.lots[0].fee == 2 and pos.qty == 2


def test_partial_close_keeps_the_rest_of_the_entry_fee_on_the_open_lot():
    pos = Position("X")
    pos.apply(fill("buy", 3, 100, fee="3"))
    (trade,) = pos.apply(fill("sell", 1, 110, fee="0.9"))
    assert trade.fees == D("1.9") and trade.pnl == D("8.1")
    assert pos.lots[0].fee == 2 and pos.lots[0].qty == 2


def test_flip_closes_the_long_and_opens_a_short_with_the_rest_of_the_fee():
    pos = Position("X")
    pos.apply(fill("buy", 1, 100, fee="1"))
    (closed,) = pos.apply(fill("sell", 3, 110, fee="3", ts=5))
    assert (closed.quantity, closed.fees, closed.pnl) == (1, 2, 8)
    assert pos.qty == -2 and pos.avg_price == 110 and pos.lots[0].fee == 2
    (short,) = pos.apply(fill("buy", 2, 100, fee="2"))
    assert (short.side, short.entry_ts, short.fees, short.pnl) == (Side.SELL, 5, 4, 16)
    assert pos.qty == 0


def test_fees_in_thirds_add_back_up_to_exactly_the_fees_paid():
    portfolio = Portfolio(D(1000))
    portfolio.apply(fill("buy", 3, 10, fee="1"))
    trades = [t for _ in range(3) for t in portfolio.apply(fill("sell", 1, 10, fee="0.01"))]
    assert sum(t.fees for t in trades) == portfolio.fees_paid == D("1.03")
    assert sum(t.pnl for t in trades) == D("-1.03")
    assert portfolio.cash == D(1000) - D("1.03")


def test_trade_pnls_add_up_exactly_to_the_account_result_when_fees_split_in_thirds():
    portfolio = Portfolio(D(1000))
    portfolio.apply(fill("buy", 3, 10, fee="1"))
    trades = portfolio.apply(fill("sell", 1, 11, fee="100")) + portfolio.apply(fill("sell", 2, 12))
    assert portfolio.cash == 904
    assert sum(t.pnl for t in trades) == -96
    assert [t.fees for t in trades] == [D("100.3333333333"), D("0.6666666667")]  # 10 decimals


def test_unrealized_pnl_and_cost_of_the_open_lots():
    pos = Position("X")
    pos.apply(fill("buy", 1, 100))
    pos.apply(fill("buy", 1, 104))
    assert pos.cost == 204 and pos.avg_price == 102
    assert pos.unrealized_pnl(D(110)) == 16
    short = Position("Y")
    short.apply(fill("sell", 2, 50))
    assert short.unrealized_pnl(D(45)) == 10


def test_portfolio_equity_marks_every_position_and_needs_every_mark():
    portfolio = Portfolio(D(1000))
    portfolio.apply(fill("buy", 2, 100, fee="1"))
    portfolio.apply(fill("sell", 3, 10, symbol="Y"))
    assert portfolio.cash == D(1000) - 200 - 1 + 30
    assert portfolio.equity({"X": D(105), "Y": D(12)}) == D(829) + 210 - 36
    assert portfolio.gross_exposure({"X": D(105), "Y": D(12)}) == 210 + 36
    assert portfolio.marked_equity({"X": 105.0, "Y": 12.0}) == pytest.approx(1003.0)
    assert portfolio.traded_notional == 230
    with pytest.raises(KeyError):
        portfolio.equity({"X": D(105)})


def test_flat_symbols_need_no_mark():
    portfolio = Portfolio(D(1000))
    portfolio.apply(fill("buy", 1, 100))
    portfolio.apply(fill("sell", 1, 101))
    assert portfolio.equity({}) == 1001


# Properties --------------------------------------------------------------------------------------

fills = st.lists(
    st.builds(
        fill,
        st.sampled_from(["buy", "sell"]),
        st.decimals(D("0.01"), D(50), places=2),
        st.decimals(D("0.01"), D(500), places=2),
        st.decimals(D(0), D(3), places=4),
        st.integers(0, 10**12),
        st.sampled_from(["X", "Y"]),
    ),
    max_size=40,
)
marks = st.fixed_dictionaries({s: st.decimals(D("0.01"), D(500), places=2) for s in ("X", "Y")})


@settings(max_examples=200, deadline=None)
@given(fills=fills, marks=marks)
def test_books_reconcile_exactly_with_the_fills(fills, marks):
    initial = D(10_000)
    portfolio = Portfolio(initial)
    trades = [t for f in fills for t in portfolio.apply(f)]
    for symbol in ("X", "Y"):
        signed = sum((f.quantity if f.side is Side.BUY else -f.quantity
                      for f in fills if f.symbol == symbol), D(0))
        assert portfolio.qty(symbol) == signed
        pos = portfolio.position(symbol)
        assert sum((lot.qty for lot in pos.lots), D(0)) == pos.qty
        assert all((lot.qty > 0) == (pos.qty > 0) and lot.qty for lot in pos.lots)
    realized = sum((p.realized_pnl for p in portfolio.positions.values()), D(0))
    unrealized = sum((p.unrealized_pnl(marks[s]) for s, p in portfolio.positions.items()), D(0))
    fees = sum((f.fee for f in fills), D(0))
    assert portfolio.fees_paid == fees
    assert portfolio.equity(marks) == initial + realized + unrealized - fees
    # fee pieces are cut to 10 decimals with the remainder on the last piece: exact
    open_fees = sum((lot.fee for p in portfolio.positions.values() for lot in p.lots), D(0))
    attributed = sum((t.fees for t in trades), D(0))
    assert attributed + open_fees == fees
    assert sum((t.pnl for t in trades), D(0)) == realized - attributed
