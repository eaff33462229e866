"""ccxt's shapes and ours, converted in one place: markets, order requests, orders and trades.

Nothing here does I/O. ccxt hands numbers over as floats; each becomes a `Decimal` through its
shortest repr (`to_decimal`), which gives back exactly the decimal the venue sent for every value
of at most 15 significant digits (all prices, sizes and fees of the exchanges we trade).
Timestamps are ccxt milliseconds in, our nanoseconds out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradloopd.brokers.base import VenueOrder
from tradloopd.brokers.ccxt.profiles import Profile
from tradloopd.errors import InvalidOrder
from tradloopd.messages import Order, OrderFilled
from tradloopd.model import ZERO, Instrument, Liquidity, OrderType, Side, TimeInForce, to_decimal

NS_PER_MS = 1_000_000
TICK_SIZE, DECIMAL_PLACES = 4, 2  # ccxt's precision modes (ccxt.base.decimal_to_precision)
STATUSES = {"open": "open", "closed": "filled", "canceled": "canceled", "cancelled": "canceled",
            "expired": "expired", "rejected": "rejected"}


@dataclass(frozen=True)
class OrderCall:
    """The arguments of one ccxt `create_order` call."""

    symbol: str
    type: str
    side: str
    amount: float
    price: float | None = None
    params: dict[str, object] = field(default_factory=dict)


def decimal_or_none(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str | Decimal):
        number = to_decimal(value)
        return number if number.is_finite() else None
    return None


def instrument(symbol: str, market: dict[str, Any], precision_mode: int) -> Instrument:
    """Our instrument from a ccxt market: tick, lot, minimum size and notional."""
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    return Instrument(
        symbol=symbol,
        price_increment=_increment(precision.get("price"), precision_mode),
        size_increment=_increment(precision.get("amount"), precision_mode),
        min_size=decimal_or_none((limits.get("amount") or {}).get("min")) or ZERO,
        min_notional=decimal_or_none((limits.get("cost") or {}).get("min")) or ZERO)


def _increment(value: object, precision_mode: int) -> Decimal:
    number = decimal_or_none(value)
    if number is None:
        return ZERO
    if precision_mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(number))
    return number if precision_mode == TICK_SIZE else ZERO


def order_call(order: Order, venue_id: str, instrument: Instrument, profile: Profile) -> OrderCall:
    """The create_order call for `order`, on the venue's grid; InvalidOrder (not sent) otherwise.

    A quantity off the lot grid or under the minimum is refused (sending less would leave the
    order unfillable in our books); prices are rounded to the tick away from the market: a buy
    limit down and a sell limit up (never a worse price than asked), a buy stop up and a sell stop
    down (never triggered earlier than asked).
    """
    buy = order.side is Side.BUY
    params: dict[str, object] = {"clientOrderId": venue_id}
    if order.notional is not None:
        params["cost"] = float(order.notional)
        return OrderCall(order.symbol, "market", "buy", float(order.notional), None, params)
    quantity = _checked_quantity(order, instrument)
    price = None if order.price is None else instrument.round_price(order.price, up=not buy)
    if order.trigger_price is not None:
        trigger = instrument.round_price(order.trigger_price, up=buy)
        params[profile.stop_param] = float(trigger)
        if profile.trigger_direction:
            params["triggerDirection"] = "ascending" if buy else "descending"
    _check_notional(order, instrument, quantity, price)
    limit = order.kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    if order.post_only:
        params["postOnly"] = True  # GTC by definition; the venue's own spelling comes from ccxt
    elif limit:
        params["timeInForce"] = order.tif.name
        if order.expire_ts is not None:
            name, unit_ns = profile.expiry
            params[name] = order.expire_ts // unit_ns
    if order.reduce_only:
        params["reduceOnly"] = True
    return OrderCall(order.symbol, "limit" if limit else "market", order.side.value, float(quantity),
                     None if price is None else float(price), params)


def _checked_quantity(order: Order, instrument: Instrument) -> Decimal:
    assert order.quantity is not None
    quantity = order.quantity
    if instrument.floor_size(quantity) != quantity:
        raise InvalidOrder(f"quantity {quantity} is not a multiple of the lot size "
                           f"{instrument.size_increment} of {order.symbol}")
    if quantity < instrument.min_size:
        raise InvalidOrder(f"quantity {quantity} is below the minimum {instrument.min_size} "
                           f"of {order.symbol}")
    return quantity


def _check_notional(order: Order, instrument: Instrument, quantity: Decimal, price: Decimal | None) -> None:
    reference = price if price is not None else order.trigger_price
    if reference is not None and quantity * reference < instrument.min_notional:
        raise InvalidOrder(f"order value {quantity * reference} is below the minimum "
                           f"{instrument.min_notional} of {order.symbol}")


def venue_order(raw: dict[str, Any], client_order_id: str) -> VenueOrder:
    """A ccxt order as our `VenueOrder` (for open orders, adoption and reconciliation)."""
    trigger = decimal_or_none(raw.get("triggerPrice") or raw.get("stopPrice")) or None
    limit = raw.get("type") == "limit"
    kind = ((OrderType.STOP_LIMIT if limit else OrderType.STOP) if trigger
            else (OrderType.LIMIT if limit else OrderType.MARKET))
    side = raw.get("side")
    tif = str(raw.get("timeInForce") or "GTC").lower()
    return VenueOrder(
        client_order_id=client_order_id, venue_order_id=str(raw.get("id")), symbol=str(raw.get("symbol")),
        status=STATUSES.get(str(raw.get("status")), "open"),
        quantity=decimal_or_none(raw.get("amount")) or ZERO,
        filled_qty=decimal_or_none(raw.get("filled")) or ZERO,
        price=decimal_or_none(raw.get("price")) if limit else None,
        side=Side(side) if side in ("buy", "sell") else None, kind=kind, trigger_price=trigger,
        tif=TimeInForce(tif) if tif in TimeInForce.__members__.values() else TimeInForce.GTC,
        ts=int(raw.get("timestamp") or 0) * NS_PER_MS)


def fill(trade: dict[str, Any], client_order_id: str, venue: str, *, fee: Decimal,
         leaves_qty: Decimal | None = None) -> OrderFilled:
    """One ccxt trade of our order as a fill; `fee` already in the quote (or settle) currency."""
    amount, price = decimal_or_none(trade.get("amount")), decimal_or_none(trade.get("price"))
    if amount is None or price is None or trade.get("side") not in ("buy", "sell"):
        raise ValueError(f"{venue} trade without amount, price or side: {str(trade)[:200]}")
    return OrderFilled(
        client_order_id=client_order_id, fill_id=f"{venue}:{trade.get('symbol')}:{trade.get('id')}",
        symbol=str(trade.get("symbol")), side=Side(trade["side"]), quantity=amount, price=price,
        fee=fee, liquidity=Liquidity.MAKER if trade.get("takerOrMaker") == "maker" else Liquidity.TAKER,
        ts_event=int(trade.get("timestamp") or 0) * NS_PER_MS, leaves_qty=leaves_qty)


def trade_fee(trade: dict[str, Any]) -> tuple[Decimal, str]:
    """The commission of a ccxt trade, and its currency ("" when none was charged)."""
    fees = trade.get("fees") or ([trade["fee"]] if trade.get("fee") else [])
    total, currency = ZERO, ""
    for item in fees:
        cost = decimal_or_none((item or {}).get("cost"))
        if cost:
            if currency and item.get("currency") != currency:
                raise ValueError(f"a trade charged in two currencies: {fees}")
            total, currency = total + cost, str(item.get("currency"))
    return total, currency
