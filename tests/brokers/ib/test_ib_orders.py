"""Order flows through the real ib_async against the fake TWS: accept, fill, partial fill, cancel, reject."""

from __future__ import annotations

from decimal import Decimal

from tests.brokers.ib.ib_helpers import events_until, kinds, limit, market
from tradloopd.demo.tws.faults import PartialFill, Reject
from tradloopd.messages import OrderAccepted, OrderCanceled, OrderFilled, OrderRejected
from tradloopd.model import Liquidity, OrderType, Side


async def test_a_market_order_is_accepted_then_filled_with_the_commission_as_fee(broker, tws):
    accepted = await broker.submit(market("m-1", qty="100"))
    assert kinds(accepted) == ["OrderAccepted"]
    assert accepted[0].venue_order_id == str(tws.exchange.orders[(7, tws.exchange.next_order_id - 1)].perm_id)

    [fill] = await events_until(broker, 1)
    assert isinstance(fill, OrderFilled)
    assert (fill.client_order_id, fill.side, fill.quantity) == ("m-1", Side.BUY, 100)
    assert fill.price == Decimal(200)
    assert fill.fee == Decimal("1.00")  # IB fixed rate: 0.005/share, at least 1.00
    assert fill.liquidity is Liquidity.TAKER
    assert fill.fill_id.endswith(".01.01")  # IB's execution id, stable across sessions
    [placed] = tws.requests.named("placeOrder")
    assert "m-1" in placed.fields  # our client order id travels as IB's orderRef


async def test_a_partial_fill_then_the_rest_are_two_fills_that_add_up(broker, tws):
    tws.faults.inject(PartialFill(parts=[Decimal(40)]))
    assert kinds(await broker.submit(market("m-2", qty="100"))) == ["OrderAccepted"]
    [first] = await events_until(broker, 1)
    assert first.quantity == 40
    tws.set_price("AAPL", "201.50")  # the rest fills at the next price
    [second] = await events_until(broker, 1)
    assert (second.quantity, second.price) == (60, Decimal("201.5"))
    assert first.fill_id != second.fill_id
    assert first.fee + second.fee == Decimal("2.00")  # each execution has its own commission


async def test_a_resting_limit_fills_at_its_limit_as_maker_when_the_price_reaches_it(broker, tws):
    assert kinds(await broker.submit(limit("l-1", "195.00", qty="10"))) == ["OrderAccepted"]
    tws.set_price("AAPL", "196.00")
    assert await broker.poll() == []
    tws.set_price("AAPL", "194.00")
    [fill] = await events_until(broker, 1)
    assert (fill.price, fill.liquidity) == (Decimal("195"), Liquidity.MAKER)


async def test_a_stop_triggers_at_its_price_and_fills_at_the_market(broker, tws):
    stop = market("s-1", Side.SELL, qty="10", kind=OrderType.STOP, trigger_price=Decimal("190.00"))
    assert kinds(await broker.submit(stop)) == ["OrderAccepted"]
    tws.set_price("AAPL", "190.50")
    tws.set_price("AAPL", "189.80")
    [fill] = await events_until(broker, 1)
    assert (fill.side, fill.price) == (Side.SELL, Decimal("189.8"))


async def test_a_stop_limit_becomes_a_limit_when_triggered(broker, tws):
    order = market("sl-1", Side.BUY, qty="10", kind=OrderType.STOP_LIMIT, trigger_price=Decimal("205.00"),
                   price=Decimal("205.50"))
    await broker.submit(order)
    tws.set_price("AAPL", "206.00")  # triggered, but above the limit: rests
    assert await broker.poll() == []
    tws.set_price("AAPL", "205.20")
    [fill] = await events_until(broker, 1)
    assert fill.price == Decimal("205.5")


async def test_cancel_returns_the_cancellation_and_the_order_stops_working(broker, tws):
    await broker.submit(limit("c-1", "150.00", qty="10"))
    events = await broker.cancel("c-1", "AAPL")
    assert kinds(events) == ["OrderCanceled"]
    tws.set_price("AAPL", "149.00")
    assert await broker.poll() == []
    assert tws.requests.count("cancelOrder") == 1


async def test_cancelling_an_unknown_or_finished_order_sends_nothing(broker, tws):
    await broker.submit(market("f-1", qty="1"))
    await events_until(broker, 1)
    assert await broker.cancel("f-1", "AAPL") == []
    assert await broker.cancel("nobody-1", "AAPL") == []
    assert tws.requests.count("cancelOrder") == 0


async def test_an_ib_rejection_is_order_rejected_with_the_ib_code(broker, tws):
    tws.faults.inject(Reject(code=201, message="Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. "
                                                "INSUFFICIENT MARGIN"))
    [rejected] = await broker.submit(market("r-1"))
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason.startswith("IB error 201: Order rejected")
    assert "INSUFFICIENT MARGIN" in rejected.reason
    assert await broker.poll() == []  # no cancel follows the rejection


async def test_a_price_off_the_tick_is_rejected_before_it_is_sent(broker, tws):
    [rejected] = await broker.submit(limit("t-1", "195.005"))
    assert isinstance(rejected, OrderRejected) and "tick 0.01" in rejected.reason
    assert tws.requests.count("placeOrder") == 0


async def test_ib_refusing_the_price_of_a_new_order_is_a_rejection_too(broker, tws):
    # ib_async treats code 110 as a mere warning, except for an order not yet acknowledged
    tws.faults.inject(Reject(code=110, message="The price does not conform to the minimum price variation "
                                               "for this contract."))
    [rejected] = await broker.submit(limit("t-2", "195.00"))
    assert isinstance(rejected, OrderRejected) and rejected.reason.startswith("IB error 110")


async def test_submitting_the_same_client_order_id_again_sends_nothing(broker, tws):
    first = await broker.submit(limit("d-1", "150.00", qty="10"))
    assert kinds(first) == ["OrderAccepted"]
    assert await broker.submit(limit("d-1", "150.00", qty="10")) == first  # its story so far
    assert tws.requests.count("placeOrder") == 1


async def test_orders_on_forex_futures_and_options_fill_in_their_contracts(broker, tws):
    for coid, symbol, qty in (("x-1", "EUR/USD", "20000"), ("x-2", "ESZ6", "2"),
                              ("x-3", "AAPL 261218C00200000", "3")):
        assert kinds(await broker.submit(market(coid, symbol=symbol, qty=qty))) == ["OrderAccepted"]
    fills = await events_until(broker, 3)
    assert {(f.symbol, f.price, f.fee) for f in fills} == {
        ("EUR/USD", Decimal("1.1"), Decimal("2.00")), ("ESZ6", Decimal(6000), Decimal("4.50")),
        ("AAPL 261218C00200000", Decimal("12.5"), Decimal("1.95"))}


async def test_an_index_cannot_be_traded(broker):
    [rejected] = await broker.submit(market("i-1", symbol="SPX", qty="1"))
    assert isinstance(rejected, OrderRejected) and "not tradable" in rejected.reason


async def test_the_acceptance_carries_ibs_permanent_id_and_a_cancel_after_fill_is_harmless(broker, tws):
    [accepted] = await broker.submit(market("p-1", qty="5"))
    assert isinstance(accepted, OrderAccepted) and accepted.venue_order_id.isdigit()
    await events_until(broker, 1)
    assert not [e for e in await broker.poll() if isinstance(e, OrderCanceled)]
