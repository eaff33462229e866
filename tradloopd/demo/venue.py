"""The demo venue's endpoints without the HTTP: request parameters in, Binance-shaped JSON out.

Each public method answers one `/api/v3/...` endpoint from a dict of string parameters, and raises
`BinanceError` for whatever Binance refuses (unknown symbol, bad interval, missing parameter,
insufficient balance, unknown order). Signed endpoints accept any API key and signature unless the
venue was given `api_keys`, in which case the HMAC-SHA256 signature is checked as Binance does.
Before any account request is answered, resting orders are matched against the candles closed
since the last one (`tradloopd.demo.matching`), so the account is always current with the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from tradloopd.clock import Clock
from tradloopd.demo.account import BinanceError, OrderRequest, SpotAccount, VenueFill, VenueOrder
from tradloopd.demo.candles import PricePath, fixed, kline_rows, select_opens
from tradloopd.demo.markets import MARKETS, Market, exchange_info
from tradloopd.demo.matching import Matcher
from tradloopd.feeds.timeframes import TIMEFRAME_MS

DAY_MS = 86_400_000
DEFAULT_BALANCES = {"USDT": Decimal(100_000), "BTC": Decimal(1), "ETH": Decimal(10), "BNB": Decimal(10)}
ORDER_TYPES = ("MARKET", "LIMIT", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
               "TAKE_PROFIT_LIMIT")
MAX_ROWS = 1000
Json = object


class Venue:
    """Markets, synthetic prices and the one account, behind a lock for the server's threads."""

    def __init__(self, clock: Clock, *, markets: tuple[Market, ...] = MARKETS,
                 balances: Mapping[str, Decimal] | None = None,
                 api_keys: Mapping[str, str] | None = None, fee_asset: str | None = None) -> None:
        self.clock = clock
        self.markets = {market.id: market for market in markets}
        self.paths = {market.id: PricePath(market) for market in markets}
        self.account = SpotAccount(DEFAULT_BALANCES if balances is None else balances, fee_asset=fee_asset)
        self.account.fee_price = self._fee_price
        self.api_keys = dict(api_keys) if api_keys is not None else None
        self.matcher = Matcher()
        self.lock = threading.Lock()

    def now_ms(self) -> int:
        return self.clock.now_ns() // 1_000_000

    def _fee_price(self, asset: str, quote: str) -> Decimal | None:
        market = self.markets.get(asset + quote)
        return self.last_price(market) if market is not None else None

    def settle(self) -> None:
        """Match resting orders up to now; the caller holds `lock`."""
        self.matcher.settle(self.account, self.paths, self.now_ms())

    def last_price(self, market: Market) -> Decimal:
        return self.paths[market.id].price(self.now_ms())

    # Public ------------------------------------------------------------------------------------

    def ping(self, params: dict[str, str]) -> Json:
        return {}

    def time(self, params: dict[str, str]) -> Json:
        return {"serverTime": self.now_ms()}

    def exchange_info(self, params: dict[str, str]) -> Json:
        markets = list(self.markets.values())
        if "symbol" in params:
            markets = [self._market(params)]
        return exchange_info(markets, self.now_ms())

    def klines(self, params: dict[str, str]) -> Json:
        market = self._market(params)
        interval = _required(params, "interval")
        if interval not in TIMEFRAME_MS:
            raise BinanceError(400, -1120, "Invalid interval.")
        limit = _optional_int(params, "limit")
        limit = 500 if limit is None else min(max(limit, 1), 1000)
        start, end = _optional_int(params, "startTime"), _optional_int(params, "endTime")
        if start is not None and end is not None and start > end:
            raise BinanceError(400, -1023, "Start time is greater than end time.")
        length = TIMEFRAME_MS[interval]
        opens = select_opens(length, self.now_ms(), start_ms=start, end_ms=end, limit=limit)
        block = self.paths[market.id].candles(opens, length, self.now_ms())
        return kline_rows(block, market, length)

    def ticker_24hr(self, params: dict[str, str]) -> Json:
        if "symbol" not in params:
            return [self._ticker(market) for market in self.markets.values()]
        return self._ticker(self._market(params))

    def ticker_price(self, params: dict[str, str]) -> Json:
        if "symbol" not in params:
            return [self._price(market) for market in self.markets.values()]
        return self._price(self._market(params))

    def book_ticker(self, params: dict[str, str]) -> Json:
        if "symbol" not in params:
            return [self._book(market) for market in self.markets.values()]
        return self._book(self._market(params))

    # Signed ------------------------------------------------------------------------------------

    def check_signature(self, api_key: str | None, params: dict[str, str], payload: str) -> None:
        """Refuse a signed request the way Binance does, checking keys only if the venue has some."""
        if not api_key:
            raise BinanceError(401, -2014, "API-key format invalid.")
        for name in ("timestamp", "signature"):
            _required(params, name)
        if self.api_keys is None:
            return
        secret = self.api_keys.get(api_key)
        if secret is None:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        signed = "&".join(part for part in payload.split("&") if not part.startswith("signature="))
        expected = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params["signature"]):
            raise BinanceError(400, -1022, "Signature for this request is not valid.")

    def account_info(self, params: dict[str, str]) -> Json:
        with self.lock:
            self.settle()
            account = self.account
            balances = [{"asset": asset, "free": f"{account.free[asset]:.8f}",
                         "locked": f"{account.locked[asset]:.8f}"} for asset in sorted(account.free)]
        fee = int(self.account.taker_fee * 10_000)
        return {
            "makerCommission": fee, "takerCommission": fee, "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": f"{self.account.maker_fee:.8f}",
                                "taker": f"{self.account.taker_fee:.8f}",
                                "buyer": "0.00000000", "seller": "0.00000000"},
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
            "requireSelfTradePrevention": False, "preventSor": False, "updateTime": self.now_ms(),
            "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 1,
        }

    def new_order(self, params: dict[str, str]) -> Json:
        request = _order_request(self._market(params), params)
        now = self.now_ms()
        with self.lock:
            self.settle()
            order = self.account.place(request, self.paths[request.market.id].price(now), now)
            reply = _order_json(order)
            reply["transactTime"] = now
            reply["fills"] = _fills_json(order)
        response_type = params.get("newOrderRespType", "FULL")
        if response_type == "ACK":
            return {key: reply[key] for key in ("symbol", "orderId", "orderListId", "clientOrderId",
                                                 "transactTime")}
        if response_type == "RESULT":
            del reply["fills"]
        return reply

    def query_order(self, params: dict[str, str]) -> Json:
        market = self._market(params)
        with self.lock:
            self.settle()
            return _queried_json(self._find(market, params))

    def open_orders(self, params: dict[str, str]) -> Json:
        market = self._market(params) if "symbol" in params else None
        with self.lock:
            self.settle()
            return [_queried_json(order) for order in self.account.open_orders(market)]

    def all_orders(self, params: dict[str, str]) -> Json:
        market = self._market(params)
        first_id = _optional_int(params, "orderId") or 0
        start, end = _optional_int(params, "startTime"), _optional_int(params, "endTime")
        with self.lock:
            self.settle()
            orders = [order for order in self.account.orders(market) if order.order_id >= first_id
                      and (start is None or order.time_ms >= start)
                      and (end is None or order.time_ms <= end)]
            return [_queried_json(order) for order in orders[: _limit(params, 500)]]

    def my_trades(self, params: dict[str, str]) -> Json:
        market = self._market(params)
        order_id, from_id = _optional_int(params, "orderId"), _optional_int(params, "fromId") or 0
        start, end = _optional_int(params, "startTime"), _optional_int(params, "endTime")
        with self.lock:
            self.settle()
            rows = [_trade_json(order, fill) for order, fill in self.account.trades(market)
                    if (order_id is None or order.order_id == order_id) and fill.trade_id >= from_id
                    and (start is None or fill.time_ms >= start) and (end is None or fill.time_ms <= end)]
        return rows[: _limit(params, 500)]

    def cancel_order(self, params: dict[str, str]) -> Json:
        market = self._market(params)
        with self.lock:
            self.settle()
            order = self.account.cancel(self._find(market, params), self.now_ms())
            reply = _order_json(order)
        reply["origClientOrderId"] = reply["clientOrderId"]
        reply["clientOrderId"] = params.get("newClientOrderId", f"cancel-{order.order_id}")
        reply["transactTime"] = self.now_ms()
        return reply

    # By hand: what a person does on the exchange's website (tests, `/_fake/` endpoints) ----------

    def set_balances(self, balances: Mapping[str, Decimal]) -> None:
        """Set free balances, as a deposit, a withdrawal or a trade elsewhere would."""
        with self.lock:
            for asset, amount in balances.items():
                self.account.set_balance(asset, amount)

    def set_liquidity(self, market_id: str, quantity: Decimal | None) -> None:
        """Fill resting orders of a market by at most `quantity` per one-second candle (None: all)."""
        with self.lock:
            if quantity is None:
                self.matcher.liquidity.pop(market_id, None)
            else:
                self.matcher.liquidity[market_id] = quantity

    def place_by_hand(self, params: dict[str, str]) -> VenueOrder:
        """Place an order as the website would (same parameters as `POST /api/v3/order`)."""
        request = _order_request(self._market(params), params)
        with self.lock:
            self.settle()
            return self.account.place(request, self.last_price(request.market), self.now_ms())

    def fill_by_hand(self, client_order_id: str, qty: Decimal | None = None,
                     price: Decimal | None = None) -> VenueOrder:
        """Fill (all of, or `qty` of) an open order now, at `price` or its limit or the last price."""
        with self.lock:
            self.settle()
            order = self._open_by_client_id(client_order_id)
            fill_price = price or (order.price if order.has_limit else self.last_price(order.market))
            self.account.fill(order, fill_price, qty or order.remaining_qty, self.now_ms(), maker=True)
            return order

    def cancel_by_hand(self, client_order_id: str) -> VenueOrder:
        with self.lock:
            self.settle()
            return self.account.cancel(self._open_by_client_id(client_order_id), self.now_ms())

    def _open_by_client_id(self, client_order_id: str) -> VenueOrder:
        for order in self.account.open_orders():
            if order.client_order_id == client_order_id:
                return order
        raise BinanceError(400, -2013, "Order does not exist.")

    # Helpers -----------------------------------------------------------------------------------

    def _market(self, params: dict[str, str]) -> Market:
        symbol = _required(params, "symbol")
        market = self.markets.get(symbol.upper())
        if market is None:
            raise BinanceError(400, -1121, "Invalid symbol.")
        return market

    def _find(self, market: Market, params: dict[str, str]) -> VenueOrder:
        order_id = _optional_int(params, "orderId")
        client_id = params.get("origClientOrderId")
        if order_id is None and not client_id:
            raise BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, "
                                           "but both were empty/null!")
        return self.account.find(market, order_id, client_id)

    def _ticker(self, market: Market) -> Json:
        now = self.now_ms()
        block = self.paths[market.id].candles([now - DAY_MS], DAY_MS, now)
        places, tick = market.price_decimals, market.tick
        open_, close = int(block.open[0]), int(block.close[0])
        volume = int(block.volume[0]) * market.step
        return {
            "symbol": market.id, "priceChange": fixed(close - open_, places),
            "priceChangePercent": f"{(close - open_) * 100 / open_:.3f}",
            "weightedAvgPrice": fixed((open_ + close) // 2, places), "prevClosePrice": fixed(open_, places),
            "lastPrice": fixed(close, places), "lastQty": fixed(1, market.qty_decimals),
            "bidPrice": fixed(close - 1, places), "bidQty": fixed(1000, market.qty_decimals),
            "askPrice": fixed(close, places), "askQty": fixed(1000, market.qty_decimals),
            "openPrice": fixed(open_, places), "highPrice": fixed(int(block.high[0]), places),
            "lowPrice": fixed(int(block.low[0]), places), "volume": f"{volume:.8f}",
            "quoteVolume": f"{volume * (open_ + close) * tick / 2:.8f}",
            "openTime": now - DAY_MS, "closeTime": now, "firstId": 1,
            "lastId": int(block.trades[0]), "count": int(block.trades[0]),
        }

    def _price(self, market: Market) -> Json:
        return {"symbol": market.id, "price": f"{self.paths[market.id].price(self.now_ms()):.8f}"}

    def _book(self, market: Market) -> Json:
        last = self.paths[market.id].price(self.now_ms())
        size = fixed(1000, market.qty_decimals)
        return {"symbol": market.id, "bidPrice": f"{last - market.tick:.8f}", "bidQty": size,
                "askPrice": f"{last:.8f}", "askQty": size}


def _order_request(market: Market, params: dict[str, str]) -> OrderRequest:
    side, kind = _required(params, "side").upper(), _required(params, "type").upper()
    if side not in ("BUY", "SELL"):
        raise BinanceError(400, -1102, "Mandatory parameter 'side' was not sent, was empty/null, or "
                                       "malformed.")
    if kind not in ORDER_TYPES:
        raise BinanceError(400, -1116, "Invalid orderType.")
    quantity, quote_qty = _decimal(params, "quantity"), _decimal(params, "quoteOrderQty")
    if kind == "MARKET" and (quantity is None) == (quote_qty is None):
        raise BinanceError(400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both "
                                       "were empty/null!")
    tif = params.get("timeInForce", "")
    if kind in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and tif not in ("GTC", "IOC", "FOK"):
        raise BinanceError(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was "
                                       "empty/null, or malformed.")
    if kind != "MARKET" and quantity is None:
        raise BinanceError(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, "
                                       "or malformed.")
    if "LIMIT" in kind and _decimal(params, "price") is None:
        raise BinanceError(400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or "
                                       "malformed.")
    if kind.startswith(("STOP", "TAKE")) and _decimal(params, "stopPrice") is None:
        raise BinanceError(400, -1102, "Mandatory parameter 'stopPrice' was not sent, was "
                                       "empty/null, or malformed.")
    client_id = params.get("newClientOrderId") or f"demo-{_hash_id(params)}"
    return OrderRequest(market=market, side=side, type=kind, client_order_id=client_id,
                        time_in_force=tif or "GTC", quantity=quantity, quote_qty=quote_qty,
                        price=_decimal(params, "price"), stop_price=_decimal(params, "stopPrice"))


def _order_json(order: VenueOrder) -> dict[str, object]:
    return {
        "symbol": order.market.id, "orderId": order.order_id, "orderListId": -1,
        "clientOrderId": order.client_order_id, "price": f"{order.price:.8f}",
        "origQty": f"{order.orig_qty:.8f}", "executedQty": f"{order.executed_qty:.8f}",
        "origQuoteOrderQty": f"{order.orig_quote_qty:.8f}",
        "cummulativeQuoteQty": f"{order.cumm_quote_qty:.8f}", "status": order.status,
        "timeInForce": order.time_in_force, "type": order.type, "side": order.side,
        "workingTime": order.time_ms, "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def _queried_json(order: VenueOrder) -> dict[str, object]:
    """An order as `GET /api/v3/order`, `openOrders` and `allOrders` show it."""
    return _order_json(order) | {"time": order.time_ms, "updateTime": order.update_time_ms,
                                 "isWorking": not order.is_stop or order.triggered,
                                 "stopPrice": f"{order.stop_price:.8f}", "icebergQty": "0.00000000"}


def _trade_json(order: VenueOrder, fill: VenueFill) -> dict[str, object]:
    return {"symbol": order.market.id, "id": fill.trade_id, "orderId": order.order_id, "orderListId": -1,
            "price": f"{fill.price:.8f}", "qty": f"{fill.qty:.8f}",
            "quoteQty": f"{fill.price * fill.qty:.8f}", "commission": f"{fill.commission:.8f}",
            "commissionAsset": fill.commission_asset, "time": fill.time_ms,
            "isBuyer": order.side == "BUY", "isMaker": fill.maker, "isBestMatch": True}


def _limit(params: dict[str, str], default: int) -> int:
    limit = _optional_int(params, "limit")
    return default if limit is None else min(max(limit, 1), MAX_ROWS)


def _fills_json(order: VenueOrder) -> list[dict[str, object]]:
    return [{"price": f"{fill.price:.8f}", "qty": f"{fill.qty:.8f}",
             "commission": f"{fill.commission:.8f}", "commissionAsset": fill.commission_asset,
             "tradeId": fill.trade_id} for fill in order.fills]


def _hash_id(params: dict[str, str]) -> str:
    return hashlib.blake2b(repr(sorted(params.items())).encode(), digest_size=8).hexdigest()


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise BinanceError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, "
                                       "or malformed.")
    return value


def _optional_int(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        return int(params[name])
    except ValueError:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range "
                                       "is '^[0-9]{1,20}$'.") from None


def _decimal(params: dict[str, str], name: str) -> Decimal | None:
    if not params.get(name):
        return None
    try:
        value = Decimal(params[name])
    except InvalidOperation:
        raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'.") from None
    if not value.is_finite() or value <= 0:
        raise BinanceError(400, -1013, f"Invalid {name}.")
    return value
