"""Interactive Brokers shapes to ours and back, in one place: contracts, orders, trades, fills.

Every `ib_async` object the adapter receives is converted here into our types (`Instrument`,
`VenueOrderState`, `ExecutionReport`, symbols, positions, balances), and every order we send is
built here from our `Order`. IB floats become exact decimals through their shortest text.

Order mapping (our `Order` -> IB):
- market `MKT`, limit `LMT`, stop `STP` (auxPrice = trigger), stop-limit `STP LMT`;
- a stop with a `Trail` is IB's native `TRAIL` (trailing amount in auxPrice or `trailingPercent`,
  the trigger price as the initial `trailStopPrice`); a stop-limit with a `Trail` is `TRAIL LIMIT`
  (limit offset = trigger - limit);
- time in force GTC / DAY / IOC / FOK / GTD (`goodTillDate` in UTC);
- our client order id goes in `orderRef`, which IB keeps on the order, its executions and its
  completed record: that is how our orders are found again after a reconnect or a restart;
- `stop_loss` / `take_profit` make a native bracket: the parent (transmit=0), the take-profit limit
  and the stop-loss stop as children (parentId; the last one transmits the group). IB works the
  children only after the parent fills and cancels the other when one fills. The legs carry the
  ids our ledger gives exit legs (`<id>.sl`, `<id>.tp`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal

import ib_async
import msgspec

from tradloopd.brokers.ib.contracts import ContractSpec, occ_symbol
from tradloopd.brokers.ib.tracker import ExecutionReport, VenueOrderState
from tradloopd.messages import Order, OrderFilled
from tradloopd.model import ZERO, Instrument, Liquidity, OrderType, Side, TimeInForce, to_decimal
from tradloopd.orders.exits import exit_orders, has_exits

UNSET = 1e300  # IB marks unset doubles with DBL_MAX (1.797e308): anything this large is unset
UNSET_DOUBLE = ib_async.util.UNSET_DOUBLE
TIME_IN_FORCE = {TimeInForce.GTC: "GTC", TimeInForce.DAY: "DAY", TimeInForce.IOC: "IOC",
                 TimeInForce.FOK: "FOK", TimeInForce.GTD: "GTD"}
OUR_TIME_IN_FORCE = {ib: ours for ours, ib in TIME_IN_FORCE.items()}
OUR_KIND = {"MKT": OrderType.MARKET, "LMT": OrderType.LIMIT, "STP": OrderType.STOP, "TRAIL": OrderType.STOP,
            "STP LMT": OrderType.STOP_LIMIT, "TRAIL LIMIT": OrderType.STOP_LIMIT}
TRAILING = frozenset({"TRAIL", "TRAIL LIMIT"})


class Trail(msgspec.Struct, frozen=True, kw_only=True):
    """Native trailing for a stop or stop-limit: trail by `amount` (price units) or `percent`."""

    amount: Decimal | None = None
    percent: Decimal | None = None


# Contracts and instruments ----------------------------------------------------------------------


def ib_contract(spec: ContractSpec) -> ib_async.Contract:
    return ib_async.Contract(
        secType=spec.sec_type, symbol=spec.symbol, exchange=spec.exchange, currency=spec.currency,
        primaryExchange=spec.primary_exchange, localSymbol=spec.local_symbol,
        lastTradeDateOrContractMonth=spec.last_trade, right=spec.right, multiplier=spec.multiplier,
        strike=float(spec.strike) if spec.strike is not None else 0.0, tradingClass=spec.trading_class)


def instrument(symbol: str, details: ib_async.ContractDetails) -> Instrument:
    tick = decimal(details.minTick)
    lot = decimal(details.sizeIncrement) or Decimal(1)
    return Instrument(symbol=symbol, price_increment=tick, size_increment=lot,
                      min_size=decimal(details.minSize) or lot)


def symbol_of(contract: ib_async.Contract, known: Mapping[int, str]) -> str:
    """Our symbol for an IB contract: the configured one if we asked for it, else from its fields."""
    if contract.conId in known:
        return known[contract.conId]
    match contract.secType:
        case "CASH":
            return f"{contract.symbol}/{contract.currency}"
        case "FUT":
            return contract.localSymbol or f"{contract.symbol} {contract.lastTradeDateOrContractMonth[:6]}"
        case "OPT":
            return occ_symbol(contract.symbol, contract.lastTradeDateOrContractMonth, contract.right,
                              decimal(contract.strike))
        case _:
            return contract.symbol


# Orders -----------------------------------------------------------------------------------------


def ib_orders(order: Order, *, trail: Trail | None, account: str, outside_rth: bool,
              next_id: Callable[[], int]) -> list[tuple[Order, ib_async.Order]]:
    """The IB order(s) for one of ours, with order ids: one order, or a bracket's parent and legs."""
    assert order.quantity is not None
    parent = _ib_order(order, trail, account=account, outside_rth=outside_rth)
    parent.orderId = next_id()
    planned = [(order, parent)]
    if has_exits(order):
        for leg in exit_orders(order, order.quantity, order.ts_init):
            child = _ib_order(leg, None, account=account, outside_rth=outside_rth)
            child.orderId = next_id()
            child.parentId = parent.orderId
            planned.append((leg, child))
    for _, ib_order in planned:
        ib_order.transmit = ib_order is planned[-1][1]
    return planned


def _ib_order(order: Order, trail: Trail | None, *, account: str, outside_rth: bool) -> ib_async.Order:
    assert order.quantity is not None
    ib_order = ib_async.Order(action="BUY" if order.side is Side.BUY else "SELL",
                              totalQuantity=float(order.quantity), orderRef=order.client_order_id,
                              account=account, tif=TIME_IN_FORCE[order.tif], outsideRth=outside_rth)
    if order.tif is TimeInForce.GTD and order.expire_ts is not None:
        ib_order.goodTillDate = ib_time(order.expire_ts, sep=" ") + " UTC"
    price = float(order.price) if order.price is not None else UNSET_DOUBLE
    trigger = float(order.trigger_price) if order.trigger_price is not None else UNSET_DOUBLE
    match order.kind, trail:
        case OrderType.MARKET, _:
            ib_order.orderType = "MKT"
        case OrderType.LIMIT, _:
            ib_order.orderType, ib_order.lmtPrice = "LMT", price
        case OrderType.STOP, None:
            ib_order.orderType, ib_order.auxPrice = "STP", trigger
        case OrderType.STOP_LIMIT, None:
            ib_order.orderType, ib_order.lmtPrice, ib_order.auxPrice = "STP LMT", price, trigger
        case OrderType.STOP, Trail():
            ib_order.orderType, ib_order.trailStopPrice = "TRAIL", trigger
            _set_trail(ib_order, trail)
        case OrderType.STOP_LIMIT, Trail():
            assert order.price is not None and order.trigger_price is not None
            ib_order.orderType, ib_order.trailStopPrice = "TRAIL LIMIT", trigger
            ib_order.lmtPriceOffset = float(abs(order.trigger_price - order.price))
            _set_trail(ib_order, trail)
    return ib_order


def _set_trail(ib_order: ib_async.Order, trail: Trail) -> None:
    if trail.amount is not None:
        ib_order.auxPrice = float(trail.amount)
    else:
        assert trail.percent is not None
        ib_order.trailingPercent = float(trail.percent)


# Trades, fills, positions and balances ----------------------------------------------------------


def order_state(trade: ib_async.Trade, known: Mapping[int, str]) -> VenueOrderState | None:
    """One of our orders (it has an orderRef) as IB lists it; None for anyone else's."""
    order, status = trade.order, trade.orderStatus
    if not order.orderRef:
        return None
    filled = max(decimal(status.filled), decimal(order.filledQuantity))
    kind = OUR_KIND.get(order.orderType)
    trigger = order.trailStopPrice if order.orderType in TRAILING else order.auxPrice
    return VenueOrderState(
        client_order_id=order.orderRef, venue_order_id=str(order.permId or status.permId),
        ib_order_id=order.orderId, symbol=symbol_of(trade.contract, known),
        side=Side.BUY if order.action == "BUY" else Side.SELL, quantity=decimal(order.totalQuantity),
        filled=filled, status=status.status, kind=kind, tif=OUR_TIME_IN_FORCE.get(order.tif, TimeInForce.GTC),
        price=decimal_or_none(order.lmtPrice) if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
        trigger_price=decimal_or_none(trigger) if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None)


def execution_report(fill: ib_async.Fill, known: Mapping[int, str]) -> ExecutionReport | None:
    """One execution of one of our orders, with its commission; None for anyone else's."""
    execution = fill.execution
    if not execution.orderRef:
        return None
    commission = fill.commissionReport.commission
    fee = decimal(commission) if math.isfinite(commission) and abs(commission) < UNSET else ZERO
    return ExecutionReport(venue_order_id=str(execution.permId), fill=OrderFilled(
        client_order_id=execution.orderRef, fill_id=execution.execId, symbol=symbol_of(fill.contract, known),
        side=Side.BUY if execution.side == "BOT" else Side.SELL, quantity=decimal(execution.shares),
        price=decimal(execution.price), fee=fee, ts_event=ts_ns(execution.time),
        liquidity=Liquidity.MAKER if execution.lastLiquidity == 1 else Liquidity.TAKER))


def positions(items: Iterable[ib_async.Position], account: str,
              known: Mapping[int, str]) -> dict[str, Decimal]:
    held: dict[str, Decimal] = {}
    for item in items:
        if (not account or item.account == account) and item.position:
            symbol = symbol_of(item.contract, known)
            held[symbol] = held.get(symbol, ZERO) + decimal(item.position)
    return held


def market_prices(items: Iterable[ib_async.PortfolioItem], known: Mapping[int, str]) -> dict[str, Decimal]:
    """Last prices of the held contracts, from IB's portfolio updates."""
    return {symbol_of(item.contract, known): price for item in items
            if (price := decimal_or_none(item.marketPrice)) is not None and price > 0}


def balances(values: Iterable[ib_async.AccountValue]) -> dict[str, Decimal]:
    """Cash by currency (IB's CashBalance rows; BASE, the converted total, left out)."""
    return {value.currency: Decimal(value.value) for value in values
            if value.tag == "CashBalance" and value.currency not in ("", "BASE")}


# Numbers and times ------------------------------------------------------------------------------


def decimal(value: float | Decimal | None) -> Decimal:
    """An IB number as an exact decimal (unset or missing is 0; 10.0 becomes 10)."""
    exact = decimal_or_none(value)
    return ZERO if exact is None else exact


def decimal_or_none(value: float | Decimal | None) -> Decimal | None:
    if value is None or (isinstance(value, float) and (not math.isfinite(value) or abs(value) >= UNSET)):
        return None
    exact = to_decimal(value)
    return exact.to_integral_value() if exact == exact.to_integral_value() else exact


def ts_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def ib_time(ts: int, *, sep: str = "-") -> str:
    """`yyyymmdd-hh:mm:ss` in UTC, the form IB takes for execution filters."""
    return datetime.fromtimestamp(ts / 1e9, tz=UTC).strftime(f"%Y%m%d{sep}%H:%M:%S")
