"""Our symbol syntax for IB contracts, and looking each asset class up at the (fake) TWS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.brokers.ib.ib_helpers import kinds, market, open_broker
from tradloopd.brokers.ib.contracts import ContractSpec, contract_for
from tradloopd.errors import ConfigError


@pytest.mark.parametrize(("symbol", "expected"), [
    ("AAPL", ContractSpec(sec_type="STK", symbol="AAPL", exchange="SMART")),
    ("BRK B", ContractSpec(sec_type="STK", symbol="BRK B", exchange="SMART")),
    ("EUR/USD", ContractSpec(sec_type="CASH", symbol="EUR", currency="USD", exchange="IDEALPRO")),
    ("USD/JPY", ContractSpec(sec_type="CASH", symbol="USD", currency="JPY", exchange="IDEALPRO")),
    ("ESZ6", ContractSpec(sec_type="FUT", symbol="ES", exchange="CME", local_symbol="ESZ6")),
    ("MESH7", ContractSpec(sec_type="FUT", symbol="MES", exchange="CME", local_symbol="MESH7")),
    ("CLF27", ContractSpec(sec_type="FUT", symbol="CL", exchange="NYMEX", last_trade="202701")),
    ("ES 202612", ContractSpec(sec_type="FUT", symbol="ES", exchange="CME", last_trade="202612")),
    ("ZN 202703", ContractSpec(sec_type="FUT", symbol="ZN", exchange="CBOT", last_trade="202703")),
    ("SPX", ContractSpec(sec_type="IND", symbol="SPX", exchange="CBOE")),
    ("NDX", ContractSpec(sec_type="IND", symbol="NDX", exchange="NASDAQ")),
    ("AAPL 261218C00200000", ContractSpec(sec_type="OPT", symbol="AAPL", exchange="SMART",
                                          last_trade="20261218", strike=Decimal(200), right="C",
                                          multiplier="100")),
    ("SPY  270115P00612500", ContractSpec(sec_type="OPT", symbol="SPY", exchange="SMART",
                                          last_trade="20270115", strike=Decimal("612.5"), right="P",
                                          multiplier="100")),
])
def test_the_symbol_syntax_names_the_contract(symbol, expected):
    assert contract_for(symbol) == expected


def test_a_configured_contract_wins_over_the_syntax():
    bmw = ContractSpec(sec_type="STK", symbol="BMW", exchange="SMART", currency="EUR",
                       primary_exchange="IBIS")
    assert contract_for("BMW", {"BMW": bmw}) is bmw


@pytest.mark.parametrize("symbol", ["XX 202612", "btc/usdt!", "aapl", "AAPL 2612C200"])
def test_a_symbol_the_syntax_cannot_place_is_a_config_error(symbol):
    with pytest.raises(ConfigError, match=r"contract|futures root"):
        contract_for(symbol)


async def test_every_asset_class_is_found_with_its_tick_and_lot(tws, aio, clock):
    symbols = ("AAPL", "EUR/USD", "ESZ6", "SPX", "AAPL 261218C00200000", "NQ 202612")
    async with open_broker(tws, clock, symbols=symbols) as broker:
        ticks = {symbol: (i.price_increment, i.size_increment) for symbol, i in broker.instruments().items()}
    assert ticks == {"AAPL": (Decimal("0.01"), 1), "EUR/USD": (Decimal("0.00005"), 1),
                     "ESZ6": (Decimal("0.25"), 1), "SPX": (Decimal("0.01"), 1),
                     "AAPL 261218C00200000": (Decimal("0.01"), 1), "NQ 202612": (Decimal("0.25"), 1)}
    asked = [entry.fields for entry in tws.requests.named("reqContractDetails")]
    assert {(fields[4], fields[5]) for fields in asked} == {  # symbol, secType as sent to IB
        ("AAPL", "STK"), ("EUR", "CASH"), ("ES", "FUT"), ("SPX", "IND"), ("AAPL", "OPT"), ("NQ", "FUT")}


async def test_a_contract_month_finds_the_future_that_expires_in_it(tws, aio, clock):
    async with open_broker(tws, clock, symbols=("ES 202703",)) as broker:
        assert kinds(await broker.submit(market("f-1", symbol="ES 202703", qty="1"))) == ["OrderAccepted"]
    [order] = tws.exchange.orders.values()
    assert (order.placed.order_ref, order.listing.local_symbol) == ("f-1", "ESH7")


async def test_two_symbols_for_one_contract_are_refused(tws, aio, clock):
    with pytest.raises(ConfigError, match="same IB contract"):
        async with open_broker(tws, clock, symbols=("ESZ6", "ES 202612")):
            pass


async def test_a_symbol_ib_does_not_know_is_a_config_error_naming_it(tws, aio, clock):
    with pytest.raises(ConfigError, match=r"IB has no contract for 'ZZZZ'"):
        async with open_broker(tws, clock, symbols=("AAPL", "ZZZZ")):
            pass


async def test_an_order_for_a_symbol_not_configured_is_looked_up_then(broker, tws):
    assert kinds(await broker.submit(market("n-1", symbol="MSFT", qty="1"))) == ["OrderAccepted"]
    [rejected] = await broker.submit(market("n-2", symbol="NOPE", qty="1"))
    assert "IB has no contract for 'NOPE'" in rejected.reason
