"""The Interactive Brokers broker: `ib_async` driven from trio through trio-asyncio.

`IbBroker` implements `tradloopd.brokers.base.Broker` for TWS or IB Gateway and must be used inside
`trio_asyncio.open_loop()`. Of `ib_async` it uses the `*Async` requests (`connectAsync`,
`reqContractDetailsAsync`, `reqOpenOrdersAsync`, `reqCompletedOrdersAsync`, `reqExecutionsAsync`,
`reqPositionsAsync`, `reqAccountUpdatesAsync`; see `session`) and the two calls that only send
(`placeOrder`, `cancelOrder`); never the blocking wrappers, which run an asyncio loop of their own.

- Orders, contracts and fills are converted in `convert`; which of our order events they mean is
  decided by the pure `OrderTracker` (`tracker`). Our client order id travels as IB's `orderRef`.
- `submit` waits (`ack-timeout-s`) for IB to acknowledge or refuse the order. If the connection
  drops or IB stays silent it returns `OrderUnresolved`; `resolve` then looks the order up by its
  `orderRef` in IB's open orders, completed orders and executions — it never sends it again. An
  order IB already has (a restarted daemon submitting again) is not sent again either: `submit`
  returns its story.
- Fills, cancels and ends arrive as IB pushes them and are collected for `poll` (or awaited with
  `wait_for_events`); a fill carries the commission of IB's commission report as its fee.
- Every answer may repeat events already given (`resolve` and a repeated `submit` tell the whole
  story of the order); the broker actor keeps only what is new. Fill ids are IB execution ids.
- Reconnect: after TWS or the Gateway went away, the next call reconnects (back-off, at most
  `reconnect-timeout-s`, then `VenueUnavailable`), fetches open and completed orders and
  executions, and reports what happened meanwhile (fills, cancels) through `poll`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from typing import Any

import ib_async
import structlog
import trio
import trio_asyncio

from tradloopd.brokers.base import Capabilities, VenueOrder, VenueSnapshot
from tradloopd.brokers.ib import convert
from tradloopd.brokers.ib.config import IbVenueConfig
from tradloopd.brokers.ib.convert import Trail
from tradloopd.brokers.ib.session import IbSession
from tradloopd.brokers.ib.tracker import (
    ACCEPTED_STATUSES,
    CANCELED_STATUSES,
    DONE_STATUSES,
    WORKING_STATUSES,
    ExecutionReport,
    OrderTracker,
    VenueOrderState,
    story,
)
from tradloopd.clock import Clock
from tradloopd.errors import ConfigError, VenueUnavailable
from tradloopd.messages import Order, OrderEvent, OrderRejected
from tradloopd.model import Instrument, OrderType, TimeInForce
from tradloopd.orders.state import order_problem

log = structlog.get_logger()

IB_CAPABILITIES = Capabilities(
    order_types=frozenset(OrderType), time_in_force=frozenset(TimeInForce), post_only=False,
    reduce_only=False, native_brackets=True, native_oco=True, native_trailing=True, short_selling=True)
QUIET_CODES = range(2100, 2200)  # IB's "farm connection is OK" notices and other information
NEVER_ARRIVED = "IB has no order with this client order id (orderRef): it never reached IB"


class IbBroker:
    """Trading through one TWS / IB Gateway session (see the module docstring for the rules)."""

    def __init__(self, name: str, config: IbVenueConfig, *, symbols: Iterable[str], clock: Clock,
                 account: str = "", rng: random.Random | None = None) -> None:
        self.name = name
        self.capabilities = IB_CAPABILITIES
        self._config = config
        self._clock = clock
        self._symbols = list(dict.fromkeys(symbols))
        self._session = IbSession(name, config, account=account, rng=rng)
        self._tracker = OrderTracker()
        self._trades: dict[str, ib_async.Trade] = {}  # client order id -> IB's live trade
        self._order_ids: dict[int, str] = {}  # IB order id -> client order id
        self._wakeup = trio.Event()
        self._failure: BaseException | None = None  # raised in an ib_async callback
        self._closing = False
        ib = self._session.ib
        ib.orderStatusEvent += self._guard(self._on_status)
        ib.execDetailsEvent += self._guard(self._on_execution)
        ib.commissionReportEvent += self._guard(self._on_commission)
        ib.errorEvent += self._guard(self._on_error)
        ib.disconnectedEvent += self._guard(self._on_disconnected)

    @property
    def connected(self) -> bool:
        return self._session.connected

    # The Broker protocol ----------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, look up every symbol's contract, and learn our orders already at IB."""
        if trio_asyncio.current_loop.get() is None:
            raise RuntimeError("IbBroker must be used inside trio_asyncio.open_loop()")
        await self._session.open()
        await self._session.qualify(self._symbols)
        orders, fills = await self._venue_state()
        for state in orders:
            mine = [f.exec_id for f in fills if f.client_order_id == state.client_order_id]
            self._tracker.adopt(state, mine)
        config, session = self._config, self._session
        log.info("ib_connected", venue=self.name, host=config.host, port=config.port,
                 client_id=config.client_id, account=session.account, symbols=len(session.contracts),
                 orders_at_venue=len(orders))

    def instruments(self) -> dict[str, Instrument]:
        return dict(self._session.instruments)

    async def submit(self, order: Order, *, trail: Trail | None = None) -> list[OrderEvent]:
        """Send the order (with `trail`: IB's native trailing stop) and return its decision and
        whatever else IB has said about it by then; an order IB already has is not sent again."""
        self._raise_failure()
        coid = order.client_order_id
        if self._tracker.knows(coid):
            if self._tracker.is_adopted(coid):
                return await self._story(coid)
            return self._tracker.whole_story(coid)
        problem = order_problem(order) or _unsupported(order, trail)
        if problem is None:
            await self._ensure_connected()
            problem = await self._contract_problem(order, trail)
        if problem is not None:
            return [OrderRejected(client_order_id=coid, reason=problem, ts_event=self._clock.now_ns())]
        return await self._send(order, trail)

    async def cancel(self, client_order_id: str, symbol: str) -> list[OrderEvent]:
        """Ask IB to cancel; waits (`ack-timeout-s`) for the outcome and returns every event
        collected so far, the cancellation among them if it came (else it comes with `poll`)."""
        self._raise_failure()
        await self._ensure_connected()
        trade = self._trades.get(client_order_id)
        if trade is not None and not self._tracker.is_finished(client_order_id):
            await self._session.call(self._session.ib.cancelOrder, trade.order)
            await self._wait_until(lambda: self._tracker.is_finished(client_order_id) or not self.connected,
                                   self._config.ack_timeout_s)
        return self._tracker.drain()

    async def resolve(self, order: Order) -> list[OrderEvent]:
        """The whole story of an order, found by its orderRef at IB (what happened to an unresolved
        order, or what the journal may have missed of another); [] while IB cannot tell yet."""
        self._raise_failure()
        await self._ensure_connected()
        coid, now = order.client_order_id, self._clock.now_ns()
        orders, fills = await self._venue_state()
        if not self._tracker.knows(coid) or self._tracker.is_adopted(coid):
            state = next((s for s in orders if s.client_order_id == coid), None)
            mine = [f for f in fills if f.client_order_id == coid]
            if state is None and not mine:
                return [OrderRejected(client_order_id=coid, reason=NEVER_ARRIVED, ts_event=now)]
            if state is not None:
                self._tracker.adopt(state, [f.exec_id for f in mine])
            return story(state, mine, now)
        self._tracker.reconcile(orders, fills, now)
        if not self._tracker.is_decided(coid) and self._tracker.generation(coid) != self._session.generation:
            self._tracker.lost(coid, "the connection to IB dropped before IB received the order (it is in "
                               "neither its open nor its completed orders)", now)
        return self._tracker.whole_story(coid) if self._tracker.is_decided(coid) else []

    async def poll(self) -> list[OrderEvent]:
        self._raise_failure()
        await self._ensure_connected()
        return self._tracker.drain()

    async def wait_for_events(self) -> None:
        """Return once `poll` has something to return (or must reconnect). Not in the protocol:
        for callers that would rather be woken than poll on a timer."""
        await self._wait_until(lambda: self._tracker.has_events() or not self.connected
                               or self._failure is not None, math.inf)

    async def snapshot(self, since_ts: int) -> VenueSnapshot:
        """Open orders, our fills since `since_ts`, positions, cash balances and the held contracts'
        last prices, as IB has them."""
        self._raise_failure()
        await self._ensure_connected()
        session = self._session
        ib, known = session.ib, session.known
        trades = await session.request("reqOpenOrders", ib.reqOpenOrdersAsync)
        await session.request("reqExecutions", ib.reqExecutionsAsync,
                              ib_async.ExecutionFilter(time=convert.ib_time(since_ts)))
        held = await session.request("reqPositions", ib.reqPositionsAsync)
        await session.request("reqAccountUpdates", ib.reqAccountUpdatesAsync, session.account)
        # one entry per order: ib_async also lists live openOrder updates that came in meanwhile
        states = {s.client_order_id: s for t in trades if (s := convert.order_state(t, known))}.values()
        return VenueSnapshot(
            ts=self._clock.now_ns(),
            open_orders=[_venue_order(s) for s in states if s.status in WORKING_STATUSES],
            fills=[r.fill for r in session.reports() if r.fill.ts_event >= since_ts],
            positions=convert.positions(held, session.account, known),
            balances=convert.balances(ib.accountValues(session.account)),
            prices=convert.market_prices(ib.portfolio(session.account), known))

    async def close(self) -> None:
        self._closing = True
        await self._session.close()

    # Sending ----------------------------------------------------------------------------------

    async def _send(self, order: Order, trail: Trail | None) -> list[OrderEvent]:
        coid, session = order.client_order_id, self._session
        try:
            planned = convert.ib_orders(order, trail=trail, account=session.account,
                                        outside_rth=self._config.outside_rth,
                                        next_id=session.ib.client.getReqId)
        except ConnectionError as exc:
            raise VenueUnavailable(f"{self.name}: connection to IB lost before sending {coid}") from exc
        generation = session.generation
        self._tracker.expect(order, [leg for leg, _ in planned[1:]], generation)
        if not await session.call(self._place_all, session.contracts[order.symbol], planned):
            self._tracker.forget(coid)
            raise VenueUnavailable(f"{self.name}: connection to IB lost before sending {coid}")
        log.info("ib_order_sent", venue=self.name, client_order_id=coid, ib_order_id=planned[0][1].orderId,
                 symbol=order.symbol, legs=len(planned) - 1)
        await self._wait_until(lambda: self._tracker.is_decided(coid) or not self.connected
                               or session.generation != generation, self._config.ack_timeout_s)
        if self._tracker.is_decided(coid):
            return self._tracker.announce(coid)
        reason = ("the connection to IB dropped before it acknowledged the order"
                  if not self.connected or session.generation != generation
                  else f"IB did not acknowledge the order within {self._config.ack_timeout_s} s")
        log.warning("ib_order_unresolved", venue=self.name, client_order_id=coid, reason=reason)
        return [self._tracker.unresolved(coid, reason, self._clock.now_ns())]

    def _place_all(self, contract: ib_async.Contract, planned: list[tuple[Order, ib_async.Order]]) -> int:
        """Place each IB order (runs in asyncio); how many were handed to the socket."""
        placed = 0
        for ours, ib_order in planned:
            self._order_ids[ib_order.orderId] = ours.client_order_id
            try:
                self._trades[ours.client_order_id] = self._session.ib.placeOrder(contract, ib_order)
            except ConnectionError:
                break
            placed += 1
        return placed

    async def _contract_problem(self, order: Order, trail: Trail | None) -> str | None:
        try:
            if order.symbol not in self._session.contracts:
                await self._session.qualify([order.symbol])
        except ConfigError as exc:
            return str(exc)
        return _increments_problem(self._session.instruments[order.symbol], order, trail)

    async def _story(self, client_order_id: str) -> list[OrderEvent]:
        orders, fills = await self._venue_state()
        state = next((s for s in orders if s.client_order_id == client_order_id), None)
        return story(state, [f for f in fills if f.client_order_id == client_order_id], self._clock.now_ns())

    # Keeping up with IB -----------------------------------------------------------------------

    async def _ensure_connected(self) -> None:
        if self.connected or not await self._session.reopen():
            return
        orders, fills = await self._venue_state()
        self._tracker.reconcile(orders, fills, self._clock.now_ns())
        log.info("ib_reconnected", venue=self.name, connection=self._session.generation,
                 orders_at_venue=len(orders))

    async def _venue_state(self) -> tuple[list[VenueOrderState], list[ExecutionReport]]:
        open_trades, states, fills = await self._session.orders_and_fills()
        for trade in open_trades:
            if trade.order.orderRef:
                self._trades[trade.order.orderRef] = trade
                self._order_ids[trade.order.orderId] = trade.order.orderRef
        return states, fills

    async def _wait_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        with trio.move_on_after(timeout_s):
            while not done():
                await self._wakeup.wait()
        return done()

    def _notify(self) -> None:
        self._wakeup.set()
        self._wakeup = trio.Event()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    # ib_async events (run in asyncio; they only record and wake) --------------------------------

    def _guard(self, handler: Callable[..., None]) -> Callable[..., None]:
        """eventkit logs and swallows what a handler raises; keep it to raise at the next call."""
        def guarded(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as exc:
                self._failure = self._failure or exc
            self._notify()
        return guarded

    def _on_status(self, trade: ib_async.Trade) -> None:
        coid = trade.order.orderRef
        if not coid or not self._tracker.knows(coid):
            return
        self._trades[coid] = trade
        self._order_ids[trade.order.orderId] = coid
        status, venue_id = trade.orderStatus.status, str(trade.order.permId or trade.orderStatus.permId)
        if status in ACCEPTED_STATUSES:
            self._tracker.accepted(coid, venue_id, self._clock.now_ns())
        elif status in CANCELED_STATUSES and not (trade.log and trade.log[-1].errorCode):
            self._tracker.canceled(coid, venue_id, "cancelled at IB", self._clock.now_ns())
        # a cancel ib_async made of an IB error is decided in _on_error, which follows it

    def _on_execution(self, trade: ib_async.Trade, fill: ib_async.Fill) -> None:
        self._tracker.execution_seen(fill.execution.orderRef or trade.order.orderRef, fill.execution.execId)

    def _on_commission(self, trade: ib_async.Trade, fill: ib_async.Fill, report: object) -> None:
        execution = convert.execution_report(fill, self._session.known)
        if execution is not None:
            self._tracker.filled(execution)

    def _on_error(self, req_id: int, code: int, message: str, contract: object) -> None:
        coid = self._order_ids.get(req_id)
        trade = self._trades.get(coid) if coid else None
        if coid and trade is not None and trade.orderStatus.status in DONE_STATUSES:
            if not self._tracker.is_finished(coid):
                log.warning("ib_order_failed", venue=self.name, client_order_id=coid, code=code,
                            message=message)
            self._tracker.failed(coid, code, message, self._clock.now_ns())
        elif code not in QUIET_CODES:
            log.warning("ib_error", venue=self.name, req_id=req_id, code=code, message=message)

    def _on_disconnected(self) -> None:
        if not self._closing:
            log.warning("ib_disconnected", venue=self.name, connection=self._session.generation)


def _unsupported(order: Order, trail: Trail | None) -> str | None:
    if order.quantity is None:
        return "IB orders need a quantity: notional sizing is not supported"
    if order.post_only:
        return "IB has no post-only orders"
    if trail is not None:
        if order.kind not in (OrderType.STOP, OrderType.STOP_LIMIT):
            return "a trailing order is a stop or stop-limit with a trail"
        if (trail.amount is None) == (trail.percent is None):
            return "a trail needs exactly one of amount and percent"
        if (trail.amount or trail.percent or 0) <= 0:
            return "a trail must be positive"
    return None


def _increments_problem(instrument: Instrument, order: Order, trail: Trail | None) -> str | None:
    assert order.quantity is not None
    if instrument.floor_size(order.quantity) != order.quantity or order.quantity < instrument.min_size:
        return (f"quantity {order.quantity} is not a multiple of IB's size increment "
                f"{instrument.size_increment} of at least {instrument.min_size}")
    prices = [("price", order.price), ("trigger_price", order.trigger_price), ("stop_loss", order.stop_loss),
              ("take_profit", order.take_profit), ("trail amount", trail.amount if trail else None)]
    for name, value in prices:
        if value is not None and instrument.round_price(value, up=False) != value:
            return f"{name} {value} is not a multiple of IB's tick {instrument.price_increment}"
    return None


def _venue_order(state: VenueOrderState) -> VenueOrder:
    return VenueOrder(client_order_id=state.client_order_id, venue_order_id=state.venue_order_id,
                      symbol=state.symbol, status="open", quantity=state.quantity, filled_qty=state.filled,
                      price=state.price, side=state.side, kind=state.kind, trigger_price=state.trigger_price,
                      tif=state.tif)
