"""What the fake TWS sends: server -> client messages, field by field, for server version 176.

Each builder returns the list of fields of one message in the order `ib_async.decoder.Decoder`
reads them (the version field is included where the decoder skips one). Unused fields are empty,
which IB clients read as "unset".
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from tradloopd.demo.tws.catalog import Listing
from tradloopd.demo.tws.wire import Field

# Server -> client message ids.
ORDER_STATUS = 3
ERR_MSG = 4
OPEN_ORDER = 5
ACCT_VALUE = 6
PORTFOLIO_VALUE = 7
ACCT_UPDATE_TIME = 8
NEXT_VALID_ID = 9
CONTRACT_DATA = 10
HISTORICAL_DATA = 17
EXECUTION_DATA = 11
MANAGED_ACCTS = 15
CURRENT_TIME = 49
CONTRACT_DATA_END = 52
OPEN_ORDER_END = 53
ACCT_DOWNLOAD_END = 54
EXECUTION_DATA_END = 55
COMMISSION_REPORT = 59
POSITION_DATA = 61
POSITION_END = 62
ACCOUNT_SUMMARY = 63
ACCOUNT_SUMMARY_END = 64
ACCOUNT_UPDATE_MULTI = 73
ACCOUNT_UPDATE_MULTI_END = 74
COMPLETED_ORDER = 101
COMPLETED_ORDERS_END = 102

Message = list[Field]


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    """An order as the builders need it (the exchange's working order, flattened)."""

    order_id: int
    client_id: int
    perm_id: int
    parent_id: int
    account: str
    action: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None
    aux_price: Decimal | None
    tif: str
    oca_group: str
    oca_type: int
    order_ref: str
    outside_rth: bool
    good_till_date: str
    trail_stop_price: Decimal | None
    trailing_percent: Decimal | None
    limit_price_offset: Decimal | None
    status: str
    filled: Decimal
    avg_fill_price: Decimal
    last_fill_price: Decimal
    completed_time: str = ""
    completed_status: str = ""


class ExecutionView(msgspec.Struct, frozen=True, kw_only=True):
    exec_id: str
    time: str  # "yyyymmdd hh:mm:ss UTC"
    account: str
    side: str  # BOT or SLD
    shares: Decimal
    price: Decimal
    perm_id: int
    client_id: int
    order_id: int
    cum_qty: Decimal
    avg_price: Decimal
    order_ref: str
    commission: Decimal
    commission_currency: str
    liquidity: int  # 1: added liquidity (a resting limit), 2: removed it
    ts_ns: int


def _contract(listing: Listing, *, exchange: str) -> Message:
    """conId, symbol, secType, lastTrade, strike, right, multiplier, exchange, currency, localSymbol,
    tradingClass: the contract block of positions, executions and orders."""
    return [listing.con_id, listing.symbol, listing.sec_type, listing.last_trade, listing.strike,
            listing.right, listing.multiplier, exchange, listing.currency, listing.local_symbol,
            listing.trading_class]


def next_valid_id(order_id: int) -> Message:
    return [NEXT_VALID_ID, 1, order_id]


def managed_accounts(accounts: list[str]) -> Message:
    return [MANAGED_ACCTS, 1, ",".join(accounts)]


def error(req_id: int, code: int, text: str) -> Message:
    return [ERR_MSG, 2, req_id, code, text, ""]


def current_time(seconds: int) -> Message:
    return [CURRENT_TIME, 1, seconds]


def contract_details(req_id: int, listing: Listing, *, exchange: str) -> Message:
    order_types = "ACTIVETIM,LMT,MKT,STP,STPLMT,TRAIL,TRAILLMT,OCA,BRACKET"
    valid = f"SMART,{listing.exchange}" if listing.smart else listing.exchange
    return [CONTRACT_DATA, req_id, listing.symbol, listing.sec_type, listing.last_trade, listing.strike,
            listing.right, exchange, listing.currency, listing.local_symbol, listing.symbol,
            listing.trading_class, listing.con_id, listing.min_tick, listing.multiplier, order_types,
            valid, 1, 0, listing.long_name, listing.exchange if listing.smart else "",
            listing.last_trade[:6], "", "", "", "US/Eastern", "", "", "", "",
            0,  # secIdList
            1, "", "", "26", listing.last_trade, "COMMON" if listing.sec_type == "STK" else "",
            listing.min_size, listing.size_increment, listing.size_increment]


def contract_details_end(req_id: int) -> Message:
    return [CONTRACT_DATA_END, 1, req_id]


def order_status(order: OrderView) -> Message:
    remaining = order.quantity - order.filled if order.status not in ("Cancelled", "Inactive") else 0
    return [ORDER_STATUS, order.order_id, order.status, order.filled, remaining, order.avg_fill_price,
            order.perm_id, order.parent_id, order.last_fill_price, order.client_id, "", 0.0]


def open_order(order: OrderView, listing: Listing, *, exchange: str) -> Message:
    """openOrder (5): the order, its contract and its state (decoder.openOrder, version 176)."""
    return [
        OPEN_ORDER, order.order_id, *_contract(listing, exchange=exchange),
        order.action, order.quantity, order.order_type, order.limit_price, order.aux_price, order.tif,
        order.oca_group, order.account, "O", 0, order.order_ref, order.client_id, order.perm_id,
        order.outside_rth, False, 0.0, "", "", "", "", "", "",  # ... goodAfterTime, _, fa*, faProfile
        "", order.good_till_date, "", "", "", 0, "", -1,  # modelCode .. exemptCode
        0, "", "", "", "", "", 0, False, False, False, "", order.oca_type, False, False, "",  # .. nbbo
        order.parent_id, 0, "", "", "", "",  # parentId, triggerMethod, volatility(Type), deltaNeutral*
        False, "", order.trail_stop_price, order.trailing_percent, "", "", "",  # .. comboLegsDescrip
        0, 0, 0,  # combo legs, order combo legs, smart combo routing params
        "", "", "",  # scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
        "",  # hedgeType
        False, "", "", False, False,  # optOutSmartRouting, clearing*, notHeld, delta neutral contract
        "",  # algoStrategy
        False, False, order.status, "", "", "", "", "", "", "", "", "", "", "", "", "", "",
        False, False,  # randomizeSize, randomizePrice
        0,  # conditions
        "", "", order.trail_stop_price, order.limit_price_offset, "", "", "", 0,  # adjusted*
        "", "", "", "", False, False, "", False,  # softDollarTier, cashQty, ...usePriceMgmtAlgo
        "", "", False,  # duration, postToAts, autoCancelParent
        "", "", "", "", "",  # minTradeQty .. midOffsetAtHalf
    ]


def open_order_end() -> Message:
    return [OPEN_ORDER_END, 1]


def completed_order(order: OrderView, listing: Listing, *, exchange: str) -> Message:
    """completedOrder (101): a filled, cancelled or rejected order (decoder.completedOrder, 176)."""
    return [
        COMPLETED_ORDER, *_contract(listing, exchange=exchange),
        order.action, order.quantity, order.order_type, order.limit_price, order.aux_price, order.tif,
        order.oca_group, order.account, "O", 0, order.order_ref, order.perm_id, order.outside_rth,
        False, 0.0, "", "", "", "", "",  # hidden .. faProfile
        "", order.good_till_date, "", "", "", 0, "", -1,  # modelCode .. exemptCode
        "", "", "", "", "", 0, False, False, "", order.oca_type, 0, "", "", "", "",  # .. deltaNeutral*
        False, "", order.trail_stop_price, order.trailing_percent, "",  # .. comboLegsDescrip
        0, 0, 0,  # combo legs, order combo legs, smart combo routing params
        "", "", "",  # scale
        "",  # hedgeType
        "", "", False, False,  # clearingAccount, clearingIntent, notHeld, delta neutral contract
        "",  # algoStrategy
        False, order.status, False, False,  # solicited, status, randomizeSize, randomizePrice
        0,  # conditions
        order.trail_stop_price, order.limit_price_offset, "", False, False, "", order.filled, 0, False,
        "", False, False, 0, order.completed_time, order.completed_status,
        "", "", "", "", "",  # minTradeQty .. midOffsetAtHalf
    ]


def completed_orders_end() -> Message:
    return [COMPLETED_ORDERS_END]


def execution(req_id: int, fill: ExecutionView, listing: Listing, *, exchange: str) -> Message:
    return [EXECUTION_DATA, req_id, fill.order_id, *_contract(listing, exchange=exchange), fill.exec_id,
            fill.time, fill.account, exchange, fill.side, fill.shares, fill.price, fill.perm_id,
            fill.client_id, 0, fill.cum_qty, fill.avg_price, fill.order_ref, "", "", "",
            fill.liquidity]


def execution_end(req_id: int) -> Message:
    return [EXECUTION_DATA_END, 1, req_id]


def commission_report(fill: ExecutionView) -> Message:
    return [COMMISSION_REPORT, 1, fill.exec_id, fill.commission, fill.commission_currency, "", "", ""]


def position(account: str, listing: Listing, quantity: Decimal, avg_cost: Decimal) -> Message:
    return [POSITION_DATA, 3, account, *_contract(listing, exchange=listing.exchange), quantity, avg_cost]


def position_end() -> Message:
    return [POSITION_END, 1]


def portfolio(account: str, listing: Listing, quantity: Decimal, price: Decimal,
              avg_cost: Decimal) -> Message:
    value = quantity * price * listing.multiplier_value
    unrealized = value - quantity * avg_cost
    return [PORTFOLIO_VALUE, 8, listing.con_id, listing.symbol, listing.sec_type, listing.last_trade,
            listing.strike, listing.right, listing.multiplier, listing.exchange, listing.currency,
            listing.local_symbol, listing.trading_class, quantity, price, value, avg_cost, unrealized,
            0, account]


def account_value(key: str, value: str, currency: str, account: str) -> Message:
    return [ACCT_VALUE, 2, key, value, currency, account]


def account_time(hhmm: str) -> Message:
    return [ACCT_UPDATE_TIME, 1, hhmm]


def account_download_end(account: str) -> Message:
    return [ACCT_DOWNLOAD_END, 1, account]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Message:
    return [ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency]


def account_summary_end(req_id: int) -> Message:
    return [ACCOUNT_SUMMARY_END, 1, req_id]


def account_update_multi(req_id: int, account: str, key: str, value: str, currency: str) -> Message:
    return [ACCOUNT_UPDATE_MULTI, 1, req_id, account, "", key, value, currency]


def account_update_multi_end(req_id: int) -> Message:
    return [ACCOUNT_UPDATE_MULTI_END, 1, req_id]


def historical_data(req_id: int, start: str, end: str, bars: list[Message]) -> Message:
    """Bars answering a reqHistoricalData; each bar is date, open, high, low, close, volume, WAP, count."""
    message: Message = [HISTORICAL_DATA, req_id, start, end, len(bars)]
    for bar in bars:
        message += bar
    return message
