"""The pre-trade risk guard: each limit, each trading state, denials as events, monotone in size."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.account import Account
from tradloopd.data.bars import BarSeries
from tradloopd.messages import Order, OrderAccepted, OrderDenied, OrderFilled, SubmitOrder
from tradloopd.model import Liquidity, OrderType, Side, TradingState
from tradloopd.replay import Replay, ReplaySettings
from tradloopd.risk.guard import RiskGuard, RiskLimits

D = Decimal


def order(side: str = "buy", qty: object = 1, kind: str = "market", cid: str = "o",
          **fields: object) -> Order:
    for name in ("price", "trigger_price", "notional"):
        if name in fields:
            fields[name] = D(str(fields[name]))
    return Order(client_order_id=cid, symbol="X", side=Side(side), kind=OrderType(kind),
                 quantity=None if qty is None else D(str(qty)), **fields)  # type: ignore[arg-type]


def account_holding(qty: int = 0, working: tuple[tuple[str, int], ...] = ()) -> Account:
    """An account holding `qty` of X (negative: short) with working orders (side, qty)."""
    account = Account(D(100_000))
    if qty:
        side = "buy" if qty > 0 else "sell"
        account.add_order(order(side, abs(qty), cid="held"))
        account.mark_submitted("held", 0)
        account.apply(OrderFilled(client_order_id="held", fill_id="h", symbol="X", side=Side(side),
                                  quantity=D(abs(qty)), price=D(100), fee=D(0),
                                  liquidity=Liquidity.TAKER, ts_event=0))
    for i, (side, amount) in enumerate(working):
        account.add_order(order(side, amount, kind="limit", price=90, cid=f"w{i}"))
        account.mark_submitted(f"w{i}", 0)
    return account


def check(limits: RiskLimits, placed: Order, account: Account | None = None,
          last: float | None = 100.0) -> str | None:
    return RiskGuard(limits).check(placed, account or account_holding(), last)


# Each limit -------------------------------------------------------------------------------------


def test_no_limits_allow_any_order():
    assert check(RiskLimits(), order(qty=10**9)) is None


@pytest.mark.parametrize(("qty", "denied"), [(10, None), (11, "order quantity 11 exceeds max-order-qty 10")])
def test_max_order_qty(qty, denied):
    assert check(RiskLimits(max_order_qty=D(10)), order(qty=qty)) == denied


@pytest.mark.parametrize(("placed", "denied"), [
    (order(qty=10), None),  # 10 x last 100 = 1000: at the limit
    (order(qty="10.01"), "order notional 1001.00 exceeds max-order-notional 1000"),
    (order(qty=11, kind="limit", price=90), None),  # a limit is valued at its limit: 990
    (order(qty=11, kind="limit", price=95), "order notional 1045.00 exceeds max-order-notional 1000"),
    (order(qty=10, kind="stop", trigger_price=101), "order notional 1010.00 exceeds max-order-notional 1000"),
    (order(qty=None, notional=1000), None),
    (order(qty=None, notional=1500), "order notional 1500.00 exceeds max-order-notional 1000"),
])
def test_max_order_notional_values_the_order_at_its_own_price_or_the_last(placed, denied):
    assert check(RiskLimits(max_order_notional=D(1000)), placed) == denied


def test_market_order_before_any_price_is_known_passes_the_notional_limit():
    assert check(RiskLimits(max_order_notional=D(1)), order(qty=10**6), last=None) is None


@pytest.mark.parametrize(("placed", "denied"), [
    (order(kind="limit", price=105), None),
    (order(kind="limit", price="94.99"), "price 94.99 is more than 5% away from the last price 100.0"),
    (order("sell", kind="stop", trigger_price="105.5"),
     "trigger_price 105.5 is more than 5% away from the last price 100.0"),
    (order(), None),  # a market order has no price to check
])
def test_price_band_against_the_last_price(placed, denied):
    assert check(RiskLimits(price_band_pct=D(5)), placed) == denied


def test_price_band_is_not_checked_without_a_last_price():
    assert check(RiskLimits(price_band_pct=D(5)), order(kind="limit", price=1), last=None) is None


@pytest.mark.parametrize(("held", "working", "placed", "denied"), [
    (0, (), order(qty=15), None),
    (0, (), order(qty=16), "position quantity would reach 16, above the limit 15"),
    (10, (), order(qty=6), "position quantity would reach 16, above the limit 15"),
    (10, (("buy", 3),), order(qty=3), "position quantity would reach 16, above the limit 15"),
    (10, (("sell", 3),), order(qty=5), None),  # opposite-side orders are not counted
    (-10, (), order("sell", qty=6), "position quantity would reach 16, above the limit 15"),
    (10, (), order("sell", qty=25), None),  # flips to -15: at the limit
    (10, (), order("sell", qty=26), "position quantity would reach 16, above the limit 15"),
])
def test_max_position_qty_counts_the_position_and_same_side_working_orders(held, working, placed,
                                                                            denied):
    assert check(RiskLimits(max_position_qty=D(15)), placed, account_holding(held, working)) == denied


def test_max_position_notional():
    limits = RiskLimits(max_position_notional=D(1000))
    assert check(limits, order(qty=10)) is None
    assert check(limits, order(qty=11)) == "position notional would reach 1100, above the limit 1000"
    assert check(limits, order(qty=None, notional=900), account_holding(2)) == \
        "position notional would reach 1100, above the limit 1000"


def test_a_notional_buy_is_held_to_the_position_quantity_limit():
    placed = order(qty=None, notional=100_000)  # about 1000 units at the last price 100
    assert check(RiskLimits(max_position_qty=D(1)), placed) is not None


def test_amounts_in_reasons_are_written_plainly():
    assert check(RiskLimits(max_order_qty=D(10)), order(qty="11.0")) == \
        "order quantity 11 exceeds max-order-qty 10"  # not 11.0
    assert check(RiskLimits(max_order_qty=D(1)), order(qty=None, notional=100_000),
                 last=92782.39) == "order quantity about 1.0777907 exceeds max-order-qty 1"


def test_a_notional_buy_is_held_to_the_order_quantity_limit_by_its_estimated_quantity():
    placed = order(qty=None, notional=100_000)
    assert check(RiskLimits(max_order_qty=D(10)), placed) == \
        "order quantity about 1000 exceeds max-order-qty 10"
    assert check(RiskLimits(max_order_qty=D(1000)), placed) is None
    assert check(RiskLimits(max_order_qty=D(10)), placed, last=None) is None  # no price yet


def test_reducing_orders_skip_the_position_limits():
    limits = RiskLimits(max_position_qty=D(5), max_position_notional=D(100))
    assert check(limits, order("sell", qty=10), account_holding(10)) is None


@pytest.mark.parametrize(("open_orders", "denied"), [
    (1, None), (2, "2 orders are already open (max-open-orders)")])
def test_max_open_orders(open_orders, denied):
    account = account_holding(0, tuple(("buy", 1) for _ in range(open_orders)))
    assert check(RiskLimits(max_open_orders=2), order(), account) == denied


def test_max_in_flight_counts_orders_the_venue_has_not_acknowledged_yet():
    account = account_holding(0, (("buy", 1), ("buy", 1)))  # both still SUBMITTED
    limits = RiskLimits(max_in_flight=2)
    assert check(limits, order(), account) == \
        "2 orders are in flight to the venue, the most allowed (max-in-flight)"
    account.apply(OrderAccepted(client_order_id="w0", venue_order_id="V", ts_event=1))
    assert check(limits, order(), account) is None


def test_max_in_flight_is_checked_even_without_other_limits():
    account = account_holding(0, (("buy", 1),))
    assert check(RiskLimits(max_in_flight=1), order(), account) is not None


def test_max_open_orders_also_blocks_an_order_that_would_flatten():
    account = account_holding(5, (("buy", 1),))
    assert check(RiskLimits(max_open_orders=1), order("sell", qty=5), account) is not None


def test_an_invalid_order_is_denied_by_the_guard_not_sent_to_the_venue():
    assert check(RiskLimits(), order(qty=-5)) == "quantity must be positive, got -5"


def bracketed_long(qty: int = 2) -> Account:
    """An account long `qty` of X whose entry attached a stop-loss and a take-profit (both live)."""
    account = Account(D(100_000))
    entry = order("buy", qty, cid="e", stop_loss=D(95), take_profit=D(105))
    account.add_order(entry)
    account.mark_submitted("e", 0)
    account.apply(OrderFilled(client_order_id="e", fill_id="e-1", symbol="X", side=Side.BUY,
                              quantity=D(qty), price=D(100), fee=D(0), liquidity=Liquidity.TAKER,
                              ts_event=1))
    assert [t.client_order_id for t in account.orders.open_orders()] == ["e.sl", "e.tp"]
    return account


def test_an_order_that_flattens_a_bracketed_long_is_within_the_position_limit():
    assert check(RiskLimits(max_position_qty=D(3)), order("sell", 2), bracketed_long(2)) is None


def test_reducing_state_lets_a_bracketed_long_be_closed():
    guard = RiskGuard(RiskLimits())
    guard.reduce_only("drawdown")
    assert guard.check(order("sell", 2), bracketed_long(2), 100.0) is None


# Trading states ----------------------------------------------------------------------------------


def test_halted_denies_everything_with_the_reason_and_resume_allows_again():
    guard = RiskGuard(RiskLimits())
    guard.halt("kill switch")
    assert guard.state is TradingState.HALTED
    account = account_holding(10)
    assert guard.check(order("sell", qty=10), account, 100.0) == "trading is halted: kill switch"
    guard.halt("")
    assert guard.check(order(), account, 100.0) == "trading is halted"
    guard.resume()
    assert guard.state is TradingState.ACTIVE and guard.state_reason == ""
    assert guard.check(order(), account, 100.0) is None


@pytest.mark.parametrize(("held", "working", "placed", "allowed"), [
    (10, (), order("sell", qty=10), True),   # closes the long
    (10, (), order("sell", qty=4), True),
    (10, (), order("sell", qty=11), False),  # would flip to short
    (10, (), order("buy", qty=1), False),    # grows the long
    (0, (), order("sell", qty=1), False),    # nothing to reduce
    (-5, (), order("buy", qty=5), True),     # closes the short
    (10, (("sell", 8),), order("sell", qty=3), False),  # with the working sell it would flip
    (-5, (), order("buy", qty=None, notional=100), False),  # a notional order's size is unknown
])
def test_reducing_state_allows_only_orders_that_shrink_a_position(held, working, placed, allowed):
    guard = RiskGuard(RiskLimits())
    guard.reduce_only("drawdown")
    got = guard.check(placed, account_holding(held, working), 100.0)
    assert got == (None if allowed else "trading is reducing-only: the order would not reduce a position")


def test_reducing_state_still_applies_the_order_limits():
    guard = RiskGuard(RiskLimits(max_order_qty=D(3)))
    guard.reduce_only("drawdown")
    assert guard.check(order("sell", qty=5), account_holding(10), 100.0) == \
        "order quantity 5 exceeds max-order-qty 3"


# A denial in a replay -----------------------------------------------------------------------------


class BuysTooMuch:
    name = "buys_too_much"

    def __init__(self, params: object) -> None:
        pass

    def on_bar(self, bar: object, ctx: object) -> None:
        if ctx.i == 0:  # type: ignore[attr-defined]
            ctx.buy(50)  # type: ignore[attr-defined]


def test_a_denied_order_is_an_order_denied_event_in_the_journal_and_never_reaches_the_venue():
    ts = np.arange(5, dtype=np.int64) * 60_000_000_000
    prices = np.full(5, 100.0)
    series = BarSeries.from_arrays(symbol="X", ts=ts, source="test", open=prices, high=prices,
                                   low=prices, close=prices, volume=np.full(5, 1e6))
    settings = ReplaySettings(style="bar", risk=RiskLimits(max_order_qty=D(10)))
    replay = Replay(BuysTooMuch, None, [series], settings).run()
    submitted, denied = replay.journal
    assert isinstance(submitted, SubmitOrder)
    assert denied == OrderDenied(client_order_id=submitted.order.client_order_id,
                                 reason="order quantity 50 exceeds max-order-qty 10",
                                 ts_event=submitted.ts_event)
    assert replay.account.fills == [] and replay.simulator.working_orders() == []


# Property: denial is monotone in size ---------------------------------------------------------------

limits = st.builds(
    RiskLimits,
    max_order_qty=st.none() | st.integers(1, 30).map(D),
    max_order_notional=st.none() | st.integers(100, 3000).map(D),
    max_position_qty=st.none() | st.integers(1, 30).map(D),
    max_position_notional=st.none() | st.integers(100, 3000).map(D),
    max_open_orders=st.none() | st.integers(0, 4),
    price_band_pct=st.none() | st.integers(1, 10).map(D),
    max_in_flight=st.integers(0, 4),
)


@settings(max_examples=200, deadline=None)
@given(limits=limits, held=st.integers(-20, 20),
       working=st.lists(st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 10)), max_size=3),
       side=st.sampled_from(["buy", "sell"]), kind=st.sampled_from(["market", "limit", "stop"]),
       price=st.integers(90, 110), state=st.sampled_from(list(TradingState)),
       sizes=st.lists(st.integers(1, 60), min_size=2, max_size=6, unique=True))
def test_denial_is_monotone_in_size(limits, held, working, side, kind, price, state, sizes):
    guard = RiskGuard(limits)
    if state is TradingState.HALTED:
        guard.halt("test")
    elif state is TradingState.REDUCING:
        guard.reduce_only("test")
    account = account_holding(held, tuple(working))
    fields = {"limit": {"price": price}, "stop": {"trigger_price": price}}.get(kind, {})
    denied = [guard.check(order(side, q, kind=kind, **fields), account, 100.0) is not None
              for q in sorted(sizes)]
    assert denied == sorted(denied), f"denied by size {sorted(sizes)}: {denied}"
