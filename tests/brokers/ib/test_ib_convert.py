"""Our orders as IB orders, and IB's trades and fills as ours (no connection needed)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import ib_async
import pytest

from tradloopd.brokers.ib import convert
from tradloopd.brokers.ib.convert import Trail
from tradloopd.messages import Order
from tradloopd.model import Liquidity, OrderType, Side, TimeInForce

UNSET = ib_async.util.UNSET_DOUBLE


def _ib(order: Order, trail: Trail | None = None) -> list[ib_async.Order]:
    ids = itertools.count(100)
    return [ib for _, ib in convert.ib_orders(order, trail=trail, account="DU1", outside_rth=True,
                                               next_id=lambda: next(ids))]


def _order(kind: OrderType = OrderType.MARKET, **fields: object) -> Order:
    return Order(client_order_id="n1-7", symbol="AAPL", side=Side.SELL, quantity=Decimal(3), kind=kind,
                 **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("order", "trail", "expected"), [
    (_order(), None, ("MKT", UNSET, UNSET, UNSET, UNSET)),
    (_order(OrderType.LIMIT, price=Decimal("201.5")), None, ("LMT", 201.5, UNSET, UNSET, UNSET)),
    (_order(OrderType.STOP, trigger_price=Decimal(190)), None, ("STP", UNSET, 190.0, UNSET, UNSET)),
    (_order(OrderType.STOP_LIMIT, trigger_price=Decimal(190), price=Decimal("189.5")), None,
     ("STP LMT", 189.5, 190.0, UNSET, UNSET)),
    (_order(OrderType.STOP, trigger_price=Decimal(190)), Trail(amount=Decimal(2)),
     ("TRAIL", UNSET, 2.0, 190.0, UNSET)),
    (_order(OrderType.STOP, trigger_price=Decimal(190)), Trail(percent=Decimal("1.5")),
     ("TRAIL", UNSET, UNSET, 190.0, 1.5)),
    (_order(OrderType.STOP_LIMIT, trigger_price=Decimal(190), price=Decimal(189)), Trail(amount=Decimal(2)),
     ("TRAIL LIMIT", UNSET, 2.0, 190.0, UNSET)),
])
def test_each_order_type_maps_to_its_ib_type_and_prices(order, trail, expected):
    [ib] = _ib(order, trail)
    assert (ib.orderType, ib.lmtPrice, ib.auxPrice, ib.trailStopPrice, ib.trailingPercent) == expected
    assert (ib.action, ib.totalQuantity, ib.orderRef, ib.account, ib.outsideRth, ib.transmit) == (
        "SELL", 3.0, "n1-7", "DU1", True, True)


def test_a_trailing_stop_limit_sends_its_limit_offset():
    [ib] = _ib(_order(OrderType.STOP_LIMIT, trigger_price=Decimal(190), price=Decimal(189)),
               Trail(amount=Decimal(2)))
    assert ib.lmtPriceOffset == 1.0


@pytest.mark.parametrize(("tif", "ib_tif"), [(TimeInForce.GTC, "GTC"), (TimeInForce.DAY, "DAY"),
                                            (TimeInForce.IOC, "IOC"), (TimeInForce.FOK, "FOK")])
def test_time_in_force(tif, ib_tif):
    assert _ib(_order(OrderType.LIMIT, price=Decimal(1), tif=tif))[0].tif == ib_tif


def test_good_till_date_is_sent_in_utc():
    expire = int(datetime(2026, 12, 1, 15, 30, tzinfo=UTC).timestamp()) * 1_000_000_000
    [ib] = _ib(_order(OrderType.LIMIT, price=Decimal(1), tif=TimeInForce.GTD, expire_ts=expire))
    assert (ib.tif, ib.goodTillDate) == ("GTD", "20261201 15:30:00 UTC")


def test_a_bracket_is_a_parent_and_two_children_the_last_transmitting():
    parent, stop, target = _ib(Order(client_order_id="b", symbol="AAPL", side=Side.BUY, quantity=Decimal(5),
                                     stop_loss=Decimal(190), take_profit=Decimal(210)))
    legs = (parent, stop, target)
    assert [(o.orderId, o.parentId, o.transmit, o.orderRef, o.orderType, o.action) for o in legs] == [
        (100, 0, False, "b", "MKT", "BUY"), (101, 100, False, "b.sl", "STP", "SELL"),
        (102, 100, True, "b.tp", "LMT", "SELL")]
    assert (stop.auxPrice, target.lmtPrice, stop.totalQuantity) == (190.0, 210.0, 5.0)


def test_ib_numbers_become_exact_decimals():
    assert convert.decimal(1.1) == Decimal("1.1") and str(convert.decimal(10.0)) == "10"
    assert convert.decimal(UNSET) == 0 and convert.decimal_or_none(UNSET) is None
    assert convert.decimal_or_none(None) is None


def test_a_fill_converts_with_its_commission_side_and_liquidity():
    contract = ib_async.Future(conId=5, symbol="ES", localSymbol="ESZ6",
                               lastTradeDateOrContractMonth="20261218")
    execution = ib_async.Execution(execId="e.1", time=datetime(2026, 11, 18, 9, 30, 1, 250000, tzinfo=UTC),
                                   side="SLD", shares=2.0, price=6000.25, permId=77, orderRef="x-1",
                                   lastLiquidity=1)
    fill = ib_async.Fill(contract, execution, ib_async.CommissionReport("e.1", 4.5, "USD"), execution.time)
    report = convert.execution_report(fill, {})
    assert report is not None
    ours = report.fill
    assert (ours.client_order_id, ours.fill_id, ours.symbol, ours.side, ours.quantity, ours.price, ours.fee,
            ours.liquidity, report.venue_order_id) == (
        "x-1", "e.1", "ESZ6", Side.SELL, 2, Decimal("6000.25"), Decimal("4.5"), Liquidity.MAKER, "77")
    assert ours.ts_event == 1_794_994_201_250_000_000  # 2026-11-18 09:30:01.25 UTC
    unset = ib_async.Fill(contract, execution, ib_async.CommissionReport("e.1", UNSET, "USD"), execution.time)
    assert convert.execution_report(unset, {}).fill.fee == 0  # type: ignore[union-attr]
    theirs = ib_async.Execution(execId="e.2", orderRef="")
    anothers = ib_async.Fill(contract, theirs, ib_async.CommissionReport(), execution.time)
    assert convert.execution_report(anothers, {}) is None


@pytest.mark.parametrize(("contract", "symbol"), [
    (ib_async.Stock("MSFT", "SMART", "USD", conId=1), "MSFT"),
    (ib_async.Forex("GBPUSD", conId=2), "GBP/USD"),
    (ib_async.Future(conId=3, symbol="NQ", localSymbol="NQZ6"), "NQZ6"),
    (ib_async.Option("AAPL", "20261218", 200.0, "C", "SMART", conId=4), "AAPL 261218C00200000"),
    (ib_async.Index("SPX", "CBOE", conId=6), "SPX"),
])
def test_an_unconfigured_contract_gets_a_symbol_in_our_syntax(contract, symbol):
    assert convert.symbol_of(contract, {}) == symbol
    assert convert.symbol_of(contract, {contract.conId: "mine"}) == "mine"


def test_a_completed_trade_converts_with_what_it_filled():
    order = ib_async.Order(orderId=0, permId=55, action="BUY", totalQuantity=10, orderType="TRAIL",
                           auxPrice=2.0, trailStopPrice=195.0, orderRef="t-1", tif="DAY", filledQuantity=10.0)
    trade = ib_async.Trade(ib_async.Stock("AAPL", "SMART", "USD", conId=9), order,
                           ib_async.OrderStatus(status="Filled"))
    state = convert.order_state(trade, {9: "AAPL"})
    assert state is not None
    assert (state.client_order_id, state.venue_order_id, state.filled, state.status, state.kind, state.tif,
            state.trigger_price, state.price) == (
        "t-1", "55", 10, "Filled", OrderType.STOP, TimeInForce.DAY, Decimal(195), None)
