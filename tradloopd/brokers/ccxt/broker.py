"""The CCXT broker: one exchange account behind the `Broker` protocol.

Orders go out with our client order id (spelled as the venue wants it, `profiles.ClientIds`),
on the venue's price and size grid (`shapes.order_call`). Every answer is the order's *story* as
the venue tells it — accepted, each fill (fill id from the venue's trade id), then canceled or
expired — and the broker actor keeps only what is new. A submit whose answer is lost (timeout,
dropped connection, server error) is `OrderUnresolved` and is later found by its client order id
(`resolve`); it is never sent again. A submit refused for the rate limit is not handled by the
venue: it is retried after the advised wait, after checking by client order id that it did not
arrive after all. Queries and cancels are retried with back-off; auth errors are fatal.

`poll` watches the orders this process placed or resolved: one open-orders request per symbol
that has some, then the trades of orders whose filled amount grew, and the final state of those
that left the open list. `snapshot` reads open orders, balances (spot positions are base-asset
balances, minus `reserved`, plus the commissions the venue took in the base asset) or contract
positions, and last prices.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog
import trio

from tradloopd.brokers.base import Capabilities, VenueOrder, VenueSnapshot
from tradloopd.brokers.ccxt import shapes
from tradloopd.brokers.ccxt.client import CcxtClient, OrderNotFound, create_exchange
from tradloopd.brokers.ccxt.commissions import Commission, CommissionBook
from tradloopd.brokers.ccxt.config import CcxtVenueConfig
from tradloopd.brokers.ccxt.profiles import profile_for
from tradloopd.clock import Clock
from tradloopd.errors import ConfigError, InsufficientFunds, InvalidOrder, RateLimited, VenueUnavailable
from tradloopd.feeds.backoff import Backoff
from tradloopd.feeds.ccxt_venue import AdvisedRateLimit
from tradloopd.messages import (
    Order,
    OrderAccepted,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderUnresolved,
)
from tradloopd.model import ZERO, Instrument, OrderType

log = structlog.get_logger()
NOT_FOUND = "the venue has no order with this client order id"
RATE_TTL_NS = 300 * 1_000_000_000  # a fee token's price is asked again after five minutes


@dataclass
class Watched:
    """An order of ours this process follows at the venue."""

    symbol: str
    kind: OrderType | None
    notional: bool
    filled: Decimal = ZERO


class CcxtBroker:
    """A `Broker` for one ccxt exchange account. Must run inside `trio_asyncio.open_loop()`."""

    def __init__(self, name: str, config: CcxtVenueConfig, *, symbols: Sequence[str],
                 credentials: Mapping[str, str], clock: Clock, commissions: CommissionBook | None = None,
                 rng: random.Random | None = None) -> None:
        self.name = name
        self.config = config
        self.profile = profile_for(config.exchange, config.market_type)
        self.capabilities: Capabilities = self.profile.capabilities
        self.symbols = list(symbols)
        self.commissions = commissions if commissions is not None else CommissionBook()
        self._credentials = dict(credentials)
        self._clock = clock
        self._rng = rng
        self._client: CcxtClient | None = None
        self._instruments: dict[str, Instrument] = {}
        self._watched: dict[str, Watched] = {}
        self._rates: dict[str, tuple[Decimal | None, int]] = {}  # pair -> (last price, when asked)

    # Session ------------------------------------------------------------------------------------

    async def connect(self) -> None:
        exchange = create_exchange(self.config, self.profile, self._credentials)
        self._client = CcxtClient(exchange, name=self.name,
                                  call_timeout_s=2 * self.config.request_timeout_s + 1)
        await self._retrying("load_markets")
        self._check_symbols(exchange.markets)
        self._instruments = {symbol: shapes.instrument(symbol, market, exchange.precisionMode)
                             for symbol, market in exchange.markets.items()}
        if self._credentials:
            await self._retrying("fetch_balance")  # wrong keys fail here, before any order
        log.info("broker_connected", venue=self.name, exchange=self.config.exchange,
                 market_type=self.config.market_type, symbols=self.symbols)

    def _check_symbols(self, markets: Mapping[str, Any]) -> None:
        bases: dict[str, str] = {}
        for symbol in self.symbols:
            market = markets.get(symbol)
            if market is None:
                raise ConfigError(f"{self.name} ({self.config.exchange}) has no market {symbol!r}")
            if self._spot and market["base"] in bases:
                raise ConfigError(f"{self.name}: {bases[market['base']]} and {symbol} share the asset "
                                  f"{market['base']}; spot positions are balances, so trade one of them")
            bases[market["base"]] = symbol

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def instruments(self) -> dict[str, Instrument]:
        return dict(self._instruments)

    @property
    def _spot(self) -> bool:
        return self.config.market_type == "spot"

    @property
    def client(self) -> CcxtClient:
        if self._client is None:
            raise RuntimeError(f"broker {self.name} is not connected")
        return self._client

    # Orders -------------------------------------------------------------------------------------

    async def submit(self, order: Order) -> list[OrderEvent]:
        now = self._clock.now_ns()
        venue_id = self.profile.client_ids.encode(order.client_order_id)
        if venue_id is None:
            return [self._rejected(order, f"client order id {order.client_order_id!r} cannot be written "
                                          f"as {self.name} requires ({self.profile.client_ids.max_len} "
                                          "characters at most)", now)]
        instrument = self._instruments.get(order.symbol) or Instrument(symbol=order.symbol)
        try:
            call = shapes.order_call(order, venue_id, instrument, self.profile)
        except InvalidOrder as exc:
            return [self._rejected(order, str(exc), now)]
        self._watched[order.client_order_id] = Watched(order.symbol, order.kind, order.notional is not None)
        return await self._place(order, call, now)

    async def _place(self, order: Order, call: shapes.OrderCall, now: int) -> list[OrderEvent]:
        backoff = self._backoff()
        for attempt in range(self.config.retries + 1):
            try:
                raw = await self.client.call("create_order", call.symbol, call.type, call.side, call.amount,
                                             call.price, call.params)
            except (InsufficientFunds, InvalidOrder) as exc:
                self._watched.pop(order.client_order_id, None)
                return [self._rejected(order, f"{self.name}: {exc}", now)]
            except RateLimited as exc:  # refused before handling; still, look before sending again
                if attempt == self.config.retries:
                    return await self._lost(order, exc)
                await trio.sleep(self._wait_s(exc, backoff))
                raw = await self._query(order.client_order_id, order.symbol)
                if raw is not None:  # it did arrive after all
                    return await self._story(order.client_order_id, order.symbol, raw)
                continue
            except VenueUnavailable as exc:
                return await self._lost(order, exc)
            return await self._story(order.client_order_id, order.symbol, raw)
        raise AssertionError("unreachable")

    async def _lost(self, order: Order, exc: Exception) -> list[OrderEvent]:
        log.warning("order_unresolved", venue=self.name, client_order_id=order.client_order_id,
                    error=str(exc))
        return [OrderUnresolved(client_order_id=order.client_order_id,
                                reason=f"{self.name}: no answer ({exc})", ts_event=self._clock.now_ns())]

    def _rejected(self, order: Order, reason: str, now: int) -> OrderRejected:
        log.info("order_rejected", venue=self.name, client_order_id=order.client_order_id, reason=reason)
        return OrderRejected(client_order_id=order.client_order_id, reason=reason, ts_event=now)

    async def cancel(self, client_order_id: str, symbol: str) -> list[OrderEvent]:
        params = self._order_params(client_order_id)
        try:
            raw = await self._retrying("cancel_order", None, symbol, params)
        except OrderNotFound:  # no longer open (filled, expired) or never arrived: ask what it is
            raw = await self._query(client_order_id, symbol)
            if raw is None:
                return []
        return await self._story(client_order_id, symbol, raw)

    async def resolve(self, order: Order) -> list[OrderEvent]:
        watched = self._watched.setdefault(
            order.client_order_id, Watched(order.symbol, order.kind, order.notional is not None))
        raw = await self._query(order.client_order_id, order.symbol)
        if raw is None:
            del self._watched[order.client_order_id]
            return [OrderRejected(client_order_id=order.client_order_id, reason=f"{self.name}: {NOT_FOUND}",
                                  ts_event=self._clock.now_ns())]
        watched.notional = order.notional is not None
        return await self._story(order.client_order_id, order.symbol, raw)

    async def _query(self, client_order_id: str, symbol: str) -> dict[str, Any] | None:
        try:
            raw: dict[str, Any] = await self._retrying("fetch_order", None, symbol,
                                                       self._order_params(client_order_id))
        except OrderNotFound:
            return None
        return raw

    def _order_params(self, client_order_id: str) -> dict[str, object]:
        venue_id = self.profile.client_ids.encode(client_order_id) or client_order_id
        watched = self._watched.get(client_order_id)
        stop = watched is not None and watched.kind in (OrderType.STOP, OrderType.STOP_LIMIT)
        return {"clientOrderId": venue_id, **(self.profile.trigger_query if stop else {})}

    # Watching -----------------------------------------------------------------------------------

    async def poll(self) -> list[OrderEvent]:
        events: list[OrderEvent] = []
        for symbol in sorted({w.symbol for w in self._watched.values()}):
            rows = await self._retrying("fetch_open_orders", symbol)
            open_now = {self.profile.client_ids.decode(str(r.get("clientOrderId"))): r for r in rows}
            for client_order_id, watched in list(self._watched.items()):
                if watched.symbol != symbol:
                    continue
                raw = open_now.get(client_order_id)
                if raw is None:
                    raw = await self._query(client_order_id, symbol)
                    if raw is None:
                        del self._watched[client_order_id]
                        continue
                elif (shapes.decimal_or_none(raw.get("filled")) or ZERO) <= watched.filled:
                    continue
                events += await self._story(client_order_id, symbol, raw)
        return events

    async def _story(self, client_order_id: str, symbol: str, raw: dict[str, Any]) -> list[OrderEvent]:
        """The order's whole story from a ccxt order: accepted, fills, then how it ended."""
        status = shapes.STATUSES.get(str(raw.get("status")), "open")
        created = int(raw.get("timestamp") or 0) * shapes.NS_PER_MS or self._clock.now_ns()
        ts = int(raw.get("lastUpdateTimestamp") or 0) * shapes.NS_PER_MS or created
        watched = self._watched.setdefault(client_order_id, Watched(symbol, None, False))
        if status == "rejected":
            self._watched.pop(client_order_id, None)
            return [OrderRejected(client_order_id=client_order_id, reason=f"{self.name}: rejected",
                                  ts_event=ts)]
        events: list[OrderEvent] = [OrderAccepted(client_order_id=client_order_id,
                                                  venue_order_id=str(raw.get("id")), ts_event=created)]
        filled = shapes.decimal_or_none(raw.get("filled")) or ZERO
        complete = True
        if filled and not (watched.notional and status == "open"):
            fills = await self._fills(client_order_id, symbol, raw, filled, notional=watched.notional)
            events += fills
            complete = sum((f.quantity for f in fills), ZERO) == filled
            watched.filled = filled if complete else watched.filled
        if status == "open" or not complete:
            return events
        del self._watched[client_order_id]
        if status == "canceled":
            events.append(OrderCanceled(client_order_id=client_order_id, reason=f"canceled at {self.name}",
                                        ts_event=ts))
        elif status == "expired":
            events.append(OrderExpired(client_order_id=client_order_id, ts_event=ts))
        return events

    async def _fills(self, client_order_id: str, symbol: str, raw: dict[str, Any], filled: Decimal, *,
                     notional: bool) -> list[OrderFilled]:
        trades = await self._order_trades(symbol, raw)
        trades.sort(key=lambda t: (t.get("timestamp") or 0, str(t.get("id"))))
        out: list[OrderFilled] = []
        done = ZERO
        for trade in trades:
            amount = shapes.decimal_or_none(trade.get("amount")) or ZERO
            done += amount
            leaves = filled - done if notional and done < filled else None
            fill_id = f"{self.name}:{trade.get('symbol')}:{trade.get('id')}"
            fee = await self._fee_in_quote(trade, symbol, fill_id)
            out.append(shapes.fill(trade, client_order_id, self.name, fee=fee, leaves_qty=leaves))
        return out

    async def _order_trades(self, symbol: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
        """The venue's trades of one order (asked for, even when the order reply embeds some: those
        lack ids or times on some exchanges)."""
        order_id = str(raw.get("id"))
        if self.profile.trades_by_order:
            trades = await self._retrying("fetch_order_trades", order_id, symbol)
        else:
            trades = await self._retrying("fetch_my_trades", symbol, raw.get("timestamp"), None,
                                          {"orderId": order_id})
        return [t for t in trades if str(t.get("order")) == order_id]

    async def _fee_in_quote(self, trade: dict[str, Any], symbol: str, fill_id: str) -> Decimal:
        cost, currency = shapes.trade_fee(trade)
        if not cost:
            return ZERO
        market = self.client.exchange.markets[symbol]
        quote = market.get("settle") or market["quote"]
        if currency == quote:
            return cost
        price = shapes.decimal_or_none(trade.get("price")) or ZERO
        if currency == market["base"]:
            if self._spot:
                self.commissions.record(Commission(fill_id=fill_id, symbol=symbol, asset=currency,
                                                   amount=cost))
            return cost * price
        rate = await self._rate(currency, quote)
        if rate is None:
            log.warning("fee_not_converted", venue=self.name, fill_id=fill_id, fee=str(cost),
                        currency=currency)
            return ZERO
        return cost * rate

    async def _rate(self, currency: str, quote: str) -> Decimal | None:
        """The last price of `currency` in `quote`, asked again after RATE_TTL_NS (fees are small)."""
        pair, now = f"{currency}/{quote}", self._clock.now_ns()
        cached = self._rates.get(pair)
        if cached is None or now - cached[1] > RATE_TTL_NS:
            rate = None
            if pair in self.client.exchange.markets:
                ticker = await self._retrying("fetch_ticker", pair)
                rate = shapes.decimal_or_none(ticker.get("last"))
            cached = self._rates[pair] = (rate, now)
        return cached[0]

    # Reconciliation -----------------------------------------------------------------------------

    async def snapshot(self, since_ts: int) -> VenueSnapshot:
        open_orders: list[VenueOrder] = []
        for symbol in self.symbols:
            for raw in await self._retrying("fetch_open_orders", symbol):
                ours = self.profile.client_ids.decode(str(raw.get("clientOrderId") or ""))
                open_orders.append(shapes.venue_order(raw, ours or str(raw.get("id"))))
        balance = await self._retrying("fetch_balance")
        totals = {asset: amount for asset, value in (balance.get("total") or {}).items()
                  if (amount := shapes.decimal_or_none(value))}
        positions = self._spot_positions(totals) if self._spot else await self._contract_positions()
        tickers = await self._retrying("fetch_tickers", self.symbols) if self.symbols else {}
        prices = {s: p for s, t in tickers.items() if (p := shapes.decimal_or_none(t.get("last")))}
        return VenueSnapshot(ts=self._clock.now_ns(), open_orders=open_orders, fills=[],
                             positions=positions, balances=totals, prices=prices)

    def _spot_positions(self, totals: Mapping[str, Decimal]) -> dict[str, Decimal]:
        markets = self.client.exchange.markets
        positions = {}
        for symbol in self.symbols:
            base = markets[symbol]["base"]
            held = totals.get(base, ZERO) - self.config.reserved.get(base, ZERO)
            positions[symbol] = held + self.commissions.total(symbol)
        return positions

    async def _contract_positions(self) -> dict[str, Decimal]:
        positions = dict.fromkeys(self.symbols, ZERO)
        for row in await self._retrying("fetch_positions", self.symbols):
            contracts = shapes.decimal_or_none(row.get("contracts")) or ZERO
            size = contracts * (shapes.decimal_or_none(row.get("contractSize")) or Decimal(1))
            if row.get("symbol") in positions:
                positions[row["symbol"]] += -size if row.get("side") == "short" else size
        return positions

    # Retries ------------------------------------------------------------------------------------

    async def _retrying(self, method: str, *args: Any) -> Any:
        """A call that is safe to repeat, retried on rate limits and outages with back-off."""
        backoff = self._backoff()
        for attempt in range(self.config.retries + 1):
            try:
                return await self.client.call(method, *args)
            except VenueUnavailable as exc:
                if attempt == self.config.retries:
                    raise
                wait_s = self._wait_s(exc, backoff)
                log.info("venue_retry", venue=self.name, method=method, error=str(exc),
                         wait_s=round(wait_s, 3))
                await trio.sleep(wait_s)
        raise AssertionError("unreachable")

    def _backoff(self) -> Backoff:
        config = self.config
        return Backoff(initial_s=config.backoff_initial_s, max_s=config.backoff_max_s, rng=self._rng)

    @staticmethod
    def _wait_s(exc: Exception, backoff: Backoff) -> float:
        advised = exc.retry_after_s if isinstance(exc, AdvisedRateLimit) else None
        return advised if advised is not None else backoff.next_delay_s()
