"""The demo venue's one spot account: balances, orders and their fills, in exact decimals.

Market orders (and limit orders that are marketable on arrival) fill at once, at the last price, as
taker; other limit orders and stop orders rest with their funds locked until they fill, expire or
are cancelled. `tradloopd.demo.matching` fills resting orders against later one-second candles
(through `fill`, which takes any price and quantity, so partial fills work), and a test can fill
or cancel an order "by hand" the same way. Stop orders (`STOP_LOSS`, `TAKE_PROFIT` and their
`_LIMIT` forms) trigger as on Binance spot: a stop-loss sell when the price falls to the stop, a
stop-loss buy when it rises to it, take-profit the other way round. The commission is taken from
the asset received, or, with a `fee_asset` (Binance's "pay fees with BNB"), in that token at its
last price whenever the market has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from tradloopd.demo.markets import Market

COMMISSION_UNIT = Decimal("0.00000001")
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")
INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
STOP_TYPES = ("STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT")
LIMIT_TYPES = ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")


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
    stop_price: Decimal = Decimal(0)
    triggered: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining_qty(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def is_stop(self) -> bool:
        return self.type in STOP_TYPES

    @property
    def has_limit(self) -> bool:
        return self.type in LIMIT_TYPES

    def stop_touched(self, low: Decimal, high: Decimal) -> bool:
        """Whether prices from `low` to `high` reach this stop order's trigger."""
        falls = (self.type.startswith("STOP_LOSS")) == (self.side == "SELL")
        return low <= self.stop_price if falls else high >= self.stop_price


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
    stop_price: Decimal | None = None


class SpotAccount:
    """Balances and orders of the demo account; the caller serialises access (one venue lock)."""

    def __init__(self, balances: Mapping[str, Decimal], *, taker_fee: Decimal = Decimal("0.001"),
                 maker_fee: Decimal = Decimal("0.001"), fee_asset: str | None = None) -> None:
        self.free: dict[str, Decimal] = {asset: Decimal(amount) for asset, amount in balances.items()}
        self.locked: dict[str, Decimal] = dict.fromkeys(self.free, Decimal(0))
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.fee_asset = fee_asset  # pay commissions in this token when it has a price in the quote
        self.fee_price: Callable[[str, str], Decimal | None] = lambda asset, quote: None
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

    def orders(self, market: Market) -> list[VenueOrder]:
        """Every order of one market, oldest first (Binance's `allOrders`)."""
        return [order for order in self._orders.values() if order.market == market]

    def trades(self, market: Market) -> list[tuple[VenueOrder, VenueFill]]:
        """Every fill of one market with its order, in trade id order (Binance's `myTrades`)."""
        pairs = [(order, fill) for order in self._orders.values() if order.market == market
                 for fill in order.fills]
        return sorted(pairs, key=lambda pair: pair[1].trade_id)

    def place(self, request: OrderRequest, last_price: Decimal, now_ms: int) -> VenueOrder:
        """Accept a new order (filling it if it can trade now) or raise the venue's refusal."""
        if any(o.client_order_id == request.client_order_id for o in self.open_orders(request.market)):
            raise BinanceError(400, -2010, "Duplicate order sent.")
        order = self._new_order(request, last_price, now_ms)
        if order.is_stop:
            return self._place_stop(order, last_price)
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

    def _place_stop(self, order: VenueOrder, last_price: Decimal) -> VenueOrder:
        if order.stop_touched(last_price, last_price):
            raise BinanceError(400, -2010, "Order would trigger immediately.")
        self._check_funds(order, order.price if order.has_limit else order.stop_price)
        self._store(order)
        self._lock(order)
        return order

    def cancel(self, order: VenueOrder, now_ms: int, status: str = "CANCELED") -> VenueOrder:
        """End an open order (`CANCELED`, or `EXPIRED` for an IOC remainder) and free its funds."""
        if not order.is_open:
            raise BinanceError(400, -2011, "Unknown order sent.")
        self._unlock(order, order.locked)
        order.status = status
        order.update_time_ms = now_ms
        return order

    def fill(self, order: VenueOrder, price: Decimal, qty: Decimal, now_ms: int, *, maker: bool) -> VenueFill:
        """Execute `qty` of an open order at `price`, moving balances and updating its status."""
        market, cost = order.market, price * qty
        if order.locked:
            self._unlock(order, min(order.locked, qty * self._lock_price(order) if order.side == "BUY"
                                    else qty))
        commission, asset = self._commission(order, qty, cost, self.maker_fee if maker else self.taker_fee)
        self._add(asset, -commission)
        if order.side == "BUY":
            self._add(market.quote, -cost)
            self._add(market.base, qty)
        else:
            self._add(market.base, -qty)
            self._add(market.quote, cost)
        fill = VenueFill(trade_id=self._next_trade_id, price=price, qty=qty, commission=commission,
                         commission_asset=asset, time_ms=now_ms, maker=maker)
        self._next_trade_id += 1
        order.fills.append(fill)
        order.executed_qty += qty
        order.cumm_quote_qty += cost
        order.status = "FILLED" if order.remaining_qty <= 0 else "PARTIALLY_FILLED"
        order.update_time_ms = now_ms
        return fill

    def _commission(self, order: VenueOrder, qty: Decimal, cost: Decimal,
                    rate: Decimal) -> tuple[Decimal, str]:
        """The commission and its asset: the fee token at its last price, else the asset received."""
        market = order.market
        token_price = self.fee_price(self.fee_asset, market.quote) if self.fee_asset else None
        if self.fee_asset and token_price:
            return (cost * rate / token_price).quantize(COMMISSION_UNIT), self.fee_asset
        if order.side == "BUY":
            return (qty * rate).quantize(COMMISSION_UNIT), market.base
        return (cost * rate).quantize(COMMISSION_UNIT), market.quote

    def _new_order(self, request: OrderRequest, last_price: Decimal, now_ms: int) -> VenueOrder:
        market = request.market
        price = request.price if request.price is not None else Decimal(0)
        stop = request.stop_price if request.stop_price is not None else Decimal(0)
        qty = request.quantity
        if qty is None and request.quote_qty is not None:
            qty = (request.quote_qty / last_price).quantize(market.step, rounding=ROUND_DOWN)
        if qty is None or qty <= 0 or qty % market.step:
            raise BinanceError(400, -1013, "Filter failure: LOT_SIZE")
        limit = request.type in LIMIT_TYPES
        if (limit and (price <= 0 or price % market.tick)) or (stop and stop % market.tick):
            raise BinanceError(400, -1013, "Filter failure: PRICE_FILTER")
        if qty * (price or stop or last_price) < market.min_notional:
            raise BinanceError(400, -1013, "Filter failure: NOTIONAL")
        return VenueOrder(order_id=self._next_order_id, client_order_id=request.client_order_id,
                          market=market, side=request.side, type=request.type,
                          time_in_force=request.time_in_force if limit else "GTC",
                          price=price, orig_qty=qty, orig_quote_qty=request.quote_qty or Decimal(0),
                          time_ms=now_ms, update_time_ms=now_ms, stop_price=stop)

    def _store(self, order: VenueOrder) -> None:
        self._orders[order.order_id] = order
        self._next_order_id += 1

    def _check_funds(self, order: VenueOrder, price: Decimal) -> None:
        market = order.market
        need, asset = ((order.orig_qty * price, market.quote) if order.side == "BUY"
                       else (order.orig_qty, market.base))
        if self.free.get(asset, Decimal(0)) < need:
            raise BinanceError(400, -2010, INSUFFICIENT_BALANCE)

    @staticmethod
    def _lock_price(order: VenueOrder) -> Decimal:
        """What a resting buy locks per unit: its limit price, or a stop-market's stop price."""
        return order.price if order.has_limit else order.stop_price

    def _lock(self, order: VenueOrder) -> None:
        market = order.market
        amount, asset = ((order.orig_qty * self._lock_price(order), market.quote) if order.side == "BUY"
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
