"""The demo venue's one spot account: balances, orders and their fills, in exact decimals.

This first form fills market orders (and limit orders that are marketable on arrival) at once, at
the last price, as taker; other limit orders rest with their funds locked until cancelled. The
seams for a fuller venue are `fill` (any fill at any price and quantity, maker or taker, moving the
balances and the order's status) and `open_orders` / `trades`: matching resting orders against
later candles, partial fills, openOrders and myTrades build on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from tradloopd.demo.markets import Market

COMMISSION_UNIT = Decimal("0.00000001")
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."


class BinanceError(Exception):
    """A request the venue refuses, answered as Binance does: HTTP status and {"code", "msg"}."""

    def __init__(self, http_status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.http_status = http_status
        self.code = code
        self.msg = msg


@dataclass(frozen=True)
class VenueFill:
    trade_id: int
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    maker: bool


@dataclass
class VenueOrder:
    """An order as the venue keeps it; `locked` is what it still holds (quote for buys, base for sells)."""

    order_id: int
    client_order_id: str
    market: Market
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    orig_quote_qty: Decimal
    time_ms: int
    status: str = "NEW"
    executed_qty: Decimal = Decimal(0)
    cumm_quote_qty: Decimal = Decimal(0)
    update_time_ms: int = 0
    locked: Decimal = Decimal(0)
    fills: list[VenueFill] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining_qty(self) -> Decimal:
        return self.orig_qty - self.executed_qty


@dataclass(frozen=True)
class OrderRequest:
    """A new order as parsed from `POST /api/v3/order`; quantities already checked to be positive."""

    market: Market
    side: str
    type: str
    client_order_id: str
    time_in_force: str = "GTC"
    quantity: Decimal | None = None
    quote_qty: Decimal | None = None
    price: Decimal | None = None


class SpotAccount:
    """Balances and orders of the demo account; the caller serialises access (one venue lock)."""

    def __init__(self, balances: Mapping[str, Decimal], *, taker_fee: Decimal = Decimal("0.001"),
                 maker_fee: Decimal = Decimal("0.001")) -> None:
        self.free: dict[str, Decimal] = {asset: Decimal(amount) for asset, amount in balances.items()}
        self.locked: dict[str, Decimal] = dict.fromkeys(self.free, Decimal(0))
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self._orders: dict[int, VenueOrder] = {}
        self._next_order_id = 1
        self._next_trade_id = 1

    def set_balance(self, asset: str, free: Decimal) -> None:
        """Set an asset's free balance by hand (a deposit, a withdrawal, a position changed outside)."""
        self.free[asset] = free
        self.locked.setdefault(asset, Decimal(0))

    def find(self, market: Market, order_id: int | None, client_order_id: str | None) -> VenueOrder:
        """The order with this id (or the latest with this client id), else Binance's -2013."""
        order = self._orders.get(order_id) if order_id is not None else None
        if order_id is None and client_order_id:
            matches = [o for o in self._orders.values() if o.client_order_id == client_order_id]
            order = matches[-1] if matches else None
        if order is None or order.market != market:
            raise BinanceError(400, -2013, "Order does not exist.")
        return order

    def open_orders(self, market: Market | None = None) -> list[VenueOrder]:
        return [order for order in self._orders.values()
                if order.is_open and (market is None or order.market == market)]

    def trades(self, market: Market) -> list[tuple[VenueOrder, VenueFill]]:
        return [(order, fill) for order in self._orders.values() if order.market == market
                for fill in order.fills]

    def place(self, request: OrderRequest, last_price: Decimal, now_ms: int) -> VenueOrder:
        """Accept a new order (filling it if it can trade now) or raise the venue's refusal."""
        if any(o.client_order_id == request.client_order_id for o in self.open_orders(request.market)):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        order = self._new_order(request, last_price, now_ms)
        if request.type == "MARKET":
            self._check_funds(order, last_price)
            self._store(order)
            self.fill(order, last_price, order.orig_qty, now_ms, maker=False)
            return order
        marketable = order.price >= last_price if order.side == "BUY" else order.price <= last_price
        if marketable and request.type == "LIMIT_MAKER":
            raise BinanceError(400, -2010, "Order would immediately match and take.")
        self._check_funds(order, order.price)
        self._store(order)
        if marketable:
            self.fill(order, last_price, order.orig_qty, now_ms, maker=False)
        elif order.time_in_force == "GTC":
            self._lock(order)
        else:
            order.status = "EXPIRED"
        return order

    def cancel(self, order: VenueOrder, now_ms: int) -> VenueOrder:
        if not order.is_open:
            raise BinanceError(400, -2011, "Unknown order sent.")
        self._unlock(order, order.locked)
        order.status = "CANCELED"
        order.update_time_ms = now_ms
        return order

    def fill(self, order: VenueOrder, price: Decimal, qty: Decimal, now_ms: int, *, maker: bool) -> VenueFill:
        """Execute `qty` of an open order at `price`, moving balances and updating its status."""
        market, cost = order.market, price * qty
        if order.locked:
            self._unlock(order, qty * order.price if order.side == "BUY" else qty)
        fee_rate = self.maker_fee if maker else self.taker_fee
        if order.side == "BUY":
            commission, asset = (qty * fee_rate).quantize(COMMISSION_UNIT), market.base
            self._add(market.quote, -cost)
            self._add(market.base, qty - commission)
        else:
            commission, asset = (cost * fee_rate).quantize(COMMISSION_UNIT), market.quote
            self._add(market.base, -qty)
            self._add(market.quote, cost - commission)
        fill = VenueFill(trade_id=self._next_trade_id, price=price, qty=qty, commission=commission,
                         commission_asset=asset, time_ms=now_ms, maker=maker)
        self._next_trade_id += 1
        order.fills.append(fill)
        order.executed_qty += qty
        order.cumm_quote_qty += cost
        order.status = "FILLED" if order.remaining_qty <= 0 else "PARTIALLY_FILLED"
        order.update_time_ms = now_ms
        return fill

    def _new_order(self, request: OrderRequest, last_price: Decimal, now_ms: int) -> VenueOrder:
        market = request.market
        price = request.price if request.price is not None else Decimal(0)
        qty = request.quantity
        if qty is None and request.quote_qty is not None:
            qty = (request.quote_qty / last_price).quantize(market.step, rounding=ROUND_DOWN)
        if qty is None or qty <= 0 or qty % market.step:
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        if request.type != "MARKET" and (price <= 0 or price % market.tick):
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        if qty * (price or last_price) < market.min_notional:
            raise BinanceError(400, -1013, "Filter failure: NOTIONAL")
        return VenueOrder(order_id=self._next_order_id, client_order_id=request.client_order_id,
                          market=market, side=request.side, type=request.type,
                          time_in_force=request.time_in_force if request.type == "LIMIT" else "GTC",
                          price=price, orig_qty=qty, orig_quote_qty=request.quote_qty or Decimal(0),
                          time_ms=now_ms, update_time_ms=now_ms)

    def _store(self, order: VenueOrder) -> None:
        self._orders[order.order_id] = order
        self._next_order_id += 1

    def _check_funds(self, order: VenueOrder, price: Decimal) -> None:
        market = order.market
        need, asset = ((order.orig_qty * price, market.quote) if order.side == "BUY"
                       else (order.orig_qty, market.base))
        if self.free.get(asset, Decimal(0)) < need:
            raise BinanceError(400, -2010, INSUFFICIENT_BALANCE)

    def _lock(self, order: VenueOrder) -> None:
        market = order.market
        amount, asset = ((order.orig_qty * order.price, market.quote) if order.side == "BUY"
                         else (order.orig_qty, market.base))
        self._add(asset, -amount)
        self.locked[asset] = self.locked.get(asset, Decimal(0)) + amount
        order.locked = amount

    def _unlock(self, order: VenueOrder, amount: Decimal) -> None:
        asset = order.market.quote if order.side == "BUY" else order.market.base
        self.locked[asset] -= amount
        self._add(asset, amount)
        order.locked -= amount

    def _add(self, asset: str, amount: Decimal) -> None:
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount
        self.locked.setdefault(asset, Decimal(0))
