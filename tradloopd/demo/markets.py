"""The demo venue's spot markets: symbols, tick and lot sizes, and Binance's `exchangeInfo` shape."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
               "TAKE_PROFIT_LIMIT"]
RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]


@dataclass(frozen=True)
class Market:
    """One spot pair: its filters, and where its synthetic price path starts and how busy it is."""

    base: str
    quote: str
    tick: Decimal
    step: Decimal
    min_notional: Decimal
    base_price: float
    volume_per_s: float

    @property
    def id(self) -> str:
        return self.base + self.quote

    @property
    def symbol(self) -> str:
        """The ccxt unified symbol."""
        return f"{self.base}/{self.quote}"

    @property
    def price_decimals(self) -> int:
        return _decimals(self.tick)

    @property
    def qty_decimals(self) -> int:
        return _decimals(self.step)


def _decimals(unit: Decimal) -> int:
    return max(0, -unit.normalize().as_tuple().exponent)  # type: ignore[operator]


_TABLE = [
    # base, quote, tick, lot, minimum notional, start price, base volume per second
    ("BTC", "USDT", "0.01", "0.00001", "5", 60_000.0, 0.5),
    ("ETH", "USDT", "0.01", "0.0001", "5", 3_000.0, 6.0),
    ("SOL", "USDT", "0.01", "0.001", "5", 150.0, 40.0),
    ("BNB", "USDT", "0.01", "0.001", "5", 600.0, 5.0),
    ("XRP", "USDT", "0.0001", "0.1", "5", 0.6, 9_000.0),
    ("DOGE", "USDT", "0.00001", "1", "1", 0.15, 40_000.0),
    ("ETH", "BTC", "0.00001", "0.0001", "0.0001", 0.05, 1.0),
]
MARKETS: tuple[Market, ...] = tuple(
    Market(base=base, quote=quote, tick=Decimal(tick), step=Decimal(step), min_notional=Decimal(notional),
           base_price=price, volume_per_s=volume)
    for base, quote, tick, step, notional, price, volume in _TABLE)


def markets_by_id(markets: tuple[Market, ...] = MARKETS) -> dict[str, Market]:
    return {market.id: market for market in markets}


def exchange_info(markets: list[Market], server_time_ms: int) -> dict[str, object]:
    """The body of `GET /api/v3/exchangeInfo` for these markets."""
    return {
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "rateLimits": RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": [_symbol_info(market) for market in markets],
    }


def _symbol_info(market: Market) -> dict[str, object]:
    return {
        "symbol": market.id,
        "status": "TRADING",
        "baseAsset": market.base,
        "baseAssetPrecision": 8,
        "quoteAsset": market.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": _filters(market),
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def _filters(market: Market) -> list[dict[str, object]]:
    price_places, qty_places = 8, 8
    return [
        {"filterType": "PRICE_FILTER", "minPrice": f"{market.tick:.{price_places}f}",
         "maxPrice": "1000000.00000000", "tickSize": f"{market.tick:.{price_places}f}"},
        {"filterType": "LOT_SIZE", "minQty": f"{market.step:.{qty_places}f}",
         "maxQty": "9000000.00000000", "stepSize": f"{market.step:.{qty_places}f}"},
        {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "9000000.00000000",
         "stepSize": "0.00000000"},
        {"filterType": "NOTIONAL", "minNotional": f"{market.min_notional:.8f}", "applyMinToMarket": True,
         "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
    ]
