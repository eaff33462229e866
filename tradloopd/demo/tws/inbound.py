"""What TWS API clients send: message ids and the parsing of the requests the fake TWS answers.

Field orders follow the client at server version 176 (`ib_async.client.Client`), the version the
fake advertises. Only what the fake acts on is kept; the rest of a long message is read past.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradloopd.demo.tws.catalog import ContractQuery
from tradloopd.demo.tws.wire import UNSET_DOUBLE, FieldReader, WireError

SERVER_VERSION = 176
MIN_CLIENT_VERSION = 157

# Client -> server message ids (the first field of every request).
REQ_MKT_DATA = 1
CANCEL_MKT_DATA = 2
PLACE_ORDER = 3
CANCEL_ORDER = 4
REQ_OPEN_ORDERS = 5
REQ_ACCOUNT_UPDATES = 6
REQ_EXECUTIONS = 7
REQ_IDS = 8
REQ_CONTRACT_DETAILS = 9
REQ_HISTORICAL_DATA = 20
REQ_AUTO_OPEN_ORDERS = 15
CANCEL_HISTORICAL_DATA = 25
REQ_ALL_OPEN_ORDERS = 16
REQ_MANAGED_ACCTS = 17
REQ_CURRENT_TIME = 49
REQ_GLOBAL_CANCEL = 58
REQ_MARKET_DATA_TYPE = 59
REQ_POSITIONS = 61
REQ_ACCOUNT_SUMMARY = 62
CANCEL_ACCOUNT_SUMMARY = 63
CANCEL_POSITIONS = 64
START_API = 71
REQ_ACCOUNT_UPDATES_MULTI = 76
CANCEL_ACCOUNT_UPDATES_MULTI = 77
REQ_COMPLETED_ORDERS = 99

NAMES = {
    REQ_MKT_DATA: "reqMktData", CANCEL_MKT_DATA: "cancelMktData", PLACE_ORDER: "placeOrder",
    CANCEL_ORDER: "cancelOrder", REQ_OPEN_ORDERS: "reqOpenOrders",
    REQ_ACCOUNT_UPDATES: "reqAccountUpdates", REQ_EXECUTIONS: "reqExecutions", REQ_IDS: "reqIds",
    REQ_CONTRACT_DETAILS: "reqContractDetails", REQ_AUTO_OPEN_ORDERS: "reqAutoOpenOrders",
    REQ_HISTORICAL_DATA: "reqHistoricalData", CANCEL_HISTORICAL_DATA: "cancelHistoricalData",
    REQ_ALL_OPEN_ORDERS: "reqAllOpenOrders", REQ_MANAGED_ACCTS: "reqManagedAccts",
    REQ_CURRENT_TIME: "reqCurrentTime", REQ_GLOBAL_CANCEL: "reqGlobalCancel",
    REQ_MARKET_DATA_TYPE: "reqMarketDataType", REQ_POSITIONS: "reqPositions",
    REQ_ACCOUNT_SUMMARY: "reqAccountSummary", CANCEL_ACCOUNT_SUMMARY: "cancelAccountSummary",
    CANCEL_POSITIONS: "cancelPositions", START_API: "startApi",
    REQ_ACCOUNT_UPDATES_MULTI: "reqAccountUpdatesMulti",
    CANCEL_ACCOUNT_UPDATES_MULTI: "cancelAccountUpdatesMulti", REQ_COMPLETED_ORDERS: "reqCompletedOrders",
}
NAME_IDS = {name: msg_id for msg_id, name in NAMES.items()}


class PlacedOrder(msgspec.Struct, frozen=True, kw_only=True):
    """The parts of a placeOrder message the fake acts on."""

    order_id: int
    contract: ContractQuery
    action: str  # BUY or SELL
    quantity: Decimal
    order_type: str  # MKT, LMT, STP, STP LMT, TRAIL, TRAIL LIMIT
    limit_price: Decimal | None
    aux_price: Decimal | None  # stop trigger, or the trailing amount of a TRAIL
    tif: str
    oca_group: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    good_till_date: str
    oca_type: int
    trail_stop_price: Decimal | None
    trailing_percent: Decimal | None
    limit_price_offset: Decimal | None
    what_if: bool


def read_contract(reader: FieldReader) -> ContractQuery:
    con_id = reader.integer()
    symbol, sec_type, last_trade = reader.text(), reader.text(), reader.text()
    strike = reader.number() or 0.0
    return ContractQuery(
        con_id=con_id, symbol=symbol, sec_type=sec_type, last_trade=last_trade, strike=strike,
        right=reader.text(), multiplier=reader.text(), exchange=reader.text(),
        primary_exchange=reader.text(), currency=reader.text(), local_symbol=reader.text(),
        trading_class=reader.text())


def read_place_order(fields: list[str]) -> PlacedOrder:
    """Parse a placeOrder (message 3) as `ib_async` sends it to server version 176."""
    r = FieldReader(fields)
    order_id = r.integer()
    contract = read_contract(r)
    if contract.sec_type == "BAG":
        raise WireError("combo (BAG) orders are not supported by the fake TWS")
    r.skip(2)  # secIdType, secId
    action, quantity, order_type = r.text(), r.decimal(), r.text()
    limit_price, aux_price, tif, oca_group, account = r.decimal(), r.decimal(), r.text(), r.text(), r.text()
    r.skip(2)  # openClose, origin
    order_ref, transmit, parent_id = r.text(), r.flag(), r.integer()
    r.skip(4)  # blockOrder, sweepToFill, displaySize, triggerMethod
    outside_rth = r.flag()
    r.skip(4)  # hidden, "", discretionaryAmt, goodAfterTime
    good_till_date = r.text()
    r.skip(8)  # faGroup, faMethod, faPercentage, faProfile, modelCode, shortSaleSlot, designatedLocation,
    #             exemptCode
    oca_type = r.integer()
    r.skip(17)  # rule80A .. volatilityType
    delta_neutral = r.text()  # deltaNeutralOrderType
    r.skip(1)  # deltaNeutralAuxPrice
    if delta_neutral:
        r.skip(8)
    r.skip(2)  # continuousUpdate, referencePriceType
    trail_stop_price, trailing_percent = r.decimal(), r.decimal()
    limit_price_offset, what_if = _read_tail(r, order_type)
    if quantity is None:
        raise WireError(f"placeOrder {order_id} has no quantity")
    return PlacedOrder(
        order_id=order_id, contract=contract, action=action, quantity=quantity, order_type=order_type,
        limit_price=limit_price, aux_price=aux_price, tif=tif, oca_group=oca_group, account=account,
        order_ref=order_ref, transmit=transmit, parent_id=parent_id, outside_rth=outside_rth,
        good_till_date=good_till_date, oca_type=oca_type, trail_stop_price=trail_stop_price,
        trailing_percent=trailing_percent, limit_price_offset=limit_price_offset, what_if=what_if)


def _read_tail(r: FieldReader, order_type: str) -> tuple[Decimal | None, bool]:
    """From the scale fields to lmtPriceOffset: (limit price offset, whatIf)."""
    r.skip(2)  # scaleInitLevelSize, scaleSubsLevelSize
    increment = r.number()
    if increment is not None and 0 < increment < UNSET_DOUBLE:
        r.skip(7)
    r.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if r.text():  # hedgeType
        r.skip(1)
    r.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if r.flag():  # delta neutral contract
        r.skip(3)
    if r.text():  # algoStrategy
        r.skip(2 * r.integer())
    r.skip(1)  # algoId
    what_if = r.flag()
    r.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    if order_type in {"PEG BENCH", "PEGBENCH"}:
        r.skip(5)
    if r.integer():
        raise WireError("orders with conditions are not supported by the fake TWS")
    r.skip(2)  # adjustedOrderType, triggerPrice
    return r.decimal(), what_if


class ExecutionQuery(msgspec.Struct, frozen=True, kw_only=True):
    req_id: int
    client_id: int
    account: str
    since: str  # "yyyymmdd-hh:mm:ss" (UTC) or "yyyymmdd hh:mm:ss [zone]", empty for all
    symbol: str
    sec_type: str
    side: str


def read_executions_request(fields: list[str]) -> ExecutionQuery:
    r = FieldReader(fields, start=2)
    req_id, client_id, account, since = r.integer(), r.integer(), r.text(), r.text()
    symbol, sec_type = r.text(), r.text()
    r.skip(1)  # exchange
    return ExecutionQuery(req_id=req_id, client_id=client_id, account=account, since=since,
                          symbol=symbol, sec_type=sec_type, side=r.text() if r.left else "")


class HistoricalQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A reqHistoricalData (message 20) as the fake reads it."""

    req_id: int
    contract: ContractQuery
    end: str  # endDateTime: "" for now, else "yyyymmdd hh:mm:ss [zone]" or "yyyymmdd-hh:mm:ss" (UTC)
    bar_size: str  # barSizeSetting, like "1 min"
    duration: str  # durationStr, like "3600 S"
    use_rth: bool
    what_to_show: str
    format_date: int  # 1: text dates, 2: epoch seconds
    keep_up_to_date: bool


def read_historical_request(fields: list[str]) -> HistoricalQuery:
    """Parse a reqHistoricalData as `ib_async` sends it to server version 176 (no version field)."""
    r = FieldReader(fields)
    req_id = r.integer()
    contract = read_contract(r)
    r.skip(1)  # includeExpired
    end, bar_size, duration, use_rth, what = r.text(), r.text(), r.text(), r.flag(), r.text()
    format_date = r.integer(1)
    if contract.sec_type == "BAG":
        raise WireError("historical data of combo (BAG) contracts is not served by the fake TWS")
    return HistoricalQuery(req_id=req_id, contract=contract, end=end, bar_size=bar_size, duration=duration,
                           use_rth=use_rth, what_to_show=what, format_date=format_date,
                           keep_up_to_date=r.flag())
