"""The fake TWS's venue core: orders, a deterministic fill model and the account, with no I/O.

Every call returns the messages it causes, each addressed to an API client id; the server delivers
them. The fill model, which tests rely on:

- A market order fills at once at the contract's current price (`set_price` moves it).
- A limit order marketable when it arrives fills at the current price (taker); otherwise it rests
  and fills at its limit price when a price update reaches it (maker).
- A stop (stop-limit) triggers when the price reaches the stop, then works as a market (limit) order.
- A trailing stop (TRAIL, TRAIL LIMIT) follows the best price by its amount (`auxPrice`) or percent,
  starting from `trailStopPrice` if given, and triggers like a stop.
- Orders sent with transmit=0 wait until an order of their group is sent with transmit=1. Bracket
  children (parentId) work only once their parent has filled; when one fills, its siblings (and any
  order in the same OCA group) are cancelled; cancelling a parent cancels its children.
- A `PartialFill` fault splits one order's fill into parts; what they leave fills whole at the next
  price update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from tradloopd.clock import Clock
from tradloopd.demo.tws import outbound
from tradloopd.demo.tws.account import ZERO, Account, commission_usd
from tradloopd.demo.tws.catalog import Listing, match
from tradloopd.demo.tws.faults import FaultPlan
from tradloopd.demo.tws.inbound import ExecutionQuery, PlacedOrder
from tradloopd.demo.tws.outbound import ExecutionView, Message, OrderView

Outgoing = tuple[int, Message]  # (API client id, message)
DONE = frozenset({"Filled", "Cancelled", "Inactive"})
ORDER_TYPES = frozenset({"MKT", "LMT", "STP", "STP LMT", "TRAIL", "TRAIL LIMIT"})
TRAILS = frozenset({"TRAIL", "TRAIL LIMIT"})
STOPS = frozenset({"STP", "STP LMT"}) | TRAILS
MAKER, TAKER = 1, 2


@dataclass
class VenueOrder:
    placed: PlacedOrder
    listing: Listing
    client_id: int
    perm_id: int
    exchange: str
    status: str = "PendingSubmit"  # not transmitted yet
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    last_fill_price: Decimal = ZERO
    triggered: bool = False
    resting: bool = False  # has been on the book since an earlier price
    limit: Decimal | None = None  # the working limit (a stop-limit's after it triggered)
    trail_stop: Decimal | None = None
    parts: list[Decimal] | None = None
    completed_status: str = ""
    completed_time: str = ""
    children: list[VenueOrder] = field(default_factory=list)

    @property
    def order_id(self) -> int:
        return self.placed.order_id

    @property
    def buy(self) -> bool:
        return self.placed.action == "BUY"

    @property
    def remaining(self) -> Decimal:
        return self.placed.quantity - self.filled

    def view(self) -> OrderView:
        p = self.placed
        return OrderView(
            order_id=p.order_id, client_id=self.client_id, perm_id=self.perm_id, parent_id=p.parent_id,
            account=p.account, action=p.action, quantity=p.quantity, order_type=p.order_type,
            limit_price=p.limit_price, aux_price=p.aux_price, tif=p.tif, oca_group=p.oca_group,
            oca_type=p.oca_type, order_ref=p.order_ref, outside_rth=p.outside_rth,
            good_till_date=p.good_till_date, trail_stop_price=self.trail_stop or p.trail_stop_price,
            trailing_percent=p.trailing_percent, limit_price_offset=p.limit_price_offset,
            status=self.status, filled=self.filled,
            avg_fill_price=self.cost / self.filled if self.filled else ZERO,
            last_fill_price=self.last_fill_price, completed_time=self.completed_time,
            completed_status=self.completed_status)


class Exchange:
    """Orders of every API client of one account, the fill model, and the account they change."""

    def __init__(self, *, clock: Clock, account: Account, listings: tuple[Listing, ...],
                 faults: FaultPlan) -> None:
        self.clock = clock
        self.account = account
        self.listings = listings
        self.faults = faults
        self.prices: dict[int, Decimal] = {listing.con_id: listing.price for listing in listings}
        self.orders: dict[tuple[int, int], VenueOrder] = {}  # (client id, order id), in placing order
        self.executions: list[tuple[ExecutionView, VenueOrder]] = []
        self.next_order_id = 1
        self._perm_seq = 930_000_000

    # Requests ---------------------------------------------------------------------------------

    def place(self, client_id: int, placed: PlacedOrder) -> list[Outgoing]:
        def refuse(code: int, text: str) -> list[Outgoing]:
            return [(client_id, outbound.error(placed.order_id, code, text))]

        self.next_order_id = max(self.next_order_id, placed.order_id + 1)
        if (client_id, placed.order_id) in self.orders:
            return refuse(103, "Duplicate order id")
        found = match(self.listings, placed.contract)
        if len(found) != 1:
            return refuse(200, "No security definition has been found for the request")
        listing = found[0]
        if placed.parent_id and (client_id, placed.parent_id) not in self.orders:
            return refuse(201, f"Order rejected - reason:parent order {placed.parent_id} is unknown")
        problem = self._problem(placed, listing)
        if problem is not None:
            return refuse(*problem)
        order = VenueOrder(placed, listing, client_id, self._next_perm(), placed.contract.exchange
                           or listing.order_exchange)
        reject = self.faults.take_reject((listing.symbol, listing.local_symbol))
        if reject is not None:
            self.orders[(client_id, placed.order_id)] = order
            self._finish(order, "Inactive", reject.message)
            return refuse(reject.code, reject.message)
        partial = self.faults.take_partial((listing.symbol, listing.local_symbol))
        order.parts = list(partial.parts) if partial else None
        self.orders[(client_id, placed.order_id)] = order
        if placed.parent_id:
            self.orders[(client_id, placed.parent_id)].children.append(order)
        return self._transmit(order) if placed.transmit else []

    def cancel(self, client_id: int, order_id: int) -> list[Outgoing]:
        order = self.orders.get((client_id, order_id))
        if order is None or order.status == "PendingSubmit":
            return [(client_id, outbound.error(
                order_id, 10147, f"OrderId {order_id} that needs to be cancelled is not found."))]
        if order.status in DONE:
            return [(client_id, outbound.error(
                order_id, 161, "Cancel attempted when order is not in a cancellable state.  Order permId "
                f"={order.perm_id}"))]
        return self._cancel(order, "Cancelled by Trader", notify=True)

    def set_price(self, con_id: int, price: Decimal) -> list[Outgoing]:
        """Move one contract's price and work every order on it, oldest first."""
        self.prices[con_id] = price
        out: list[Outgoing] = []
        for order in [o for o in self.orders.values() if o.listing.con_id == con_id]:
            if order.status == "Submitted":
                out += self._work(order, arriving=False)
        return out

    # Queries ----------------------------------------------------------------------------------

    def open_orders(self, client_id: int | None) -> list[Message]:
        messages: list[Message] = []
        for order in self.orders.values():
            if order.status in ("PreSubmitted", "Submitted") and client_id in (None, order.client_id):
                messages += [self._open_order(order), outbound.order_status(order.view())]
        return [*messages, outbound.open_order_end()]

    def completed_orders(self) -> list[Message]:
        done = [o for o in self.orders.values() if o.status in DONE]
        return [*(outbound.completed_order(o.view(), o.listing, exchange=o.exchange) for o in done),
                outbound.completed_orders_end()]

    def execution_reports(self, query: ExecutionQuery) -> list[Message]:
        since_ns = _parse_since(query.since)
        messages: list[Message] = []
        for fill, order in self.executions:
            if since_ns is not None and fill.ts_ns < since_ns:
                continue
            if (query.client_id and fill.client_id != query.client_id) or (
                    query.symbol and query.symbol != order.listing.symbol) or (
                    query.sec_type and query.sec_type != order.listing.sec_type):
                continue
            messages += [outbound.execution(query.req_id, fill, order.listing, exchange=order.exchange),
                         outbound.commission_report(fill)]
        return [*messages, outbound.execution_end(query.req_id)]

    def rates_usd(self) -> dict[str, Decimal]:
        rates = {"USD": Decimal(1)}
        for listing in self.listings:
            if listing.sec_type == "CASH" and listing.currency == "USD":
                rates[listing.symbol] = self.prices[listing.con_id]
            elif listing.sec_type == "CASH" and listing.symbol == "USD":
                rates.setdefault(listing.currency, 1 / self.prices[listing.con_id])
        return rates

    # Order life -------------------------------------------------------------------------------

    def _problem(self, placed: PlacedOrder, listing: Listing) -> tuple[int, str] | None:
        if not listing.tradable:
            return 201, f"Order rejected - reason:{listing.sec_type} {listing.symbol} is not tradable"
        if placed.order_type not in ORDER_TYPES:
            return 201, f"Order rejected - reason:order type {placed.order_type!r} is not supported"
        quantity = placed.quantity
        if quantity <= 0 or quantity % listing.size_increment or quantity < listing.min_size:
            return 201, (f"Order rejected - reason:quantity {quantity} is not a positive multiple of "
                         f"{listing.size_increment}")
        for price in (placed.limit_price, placed.aux_price if placed.order_type in ("STP", "STP LMT")
                      else None):
            if price is not None and price % listing.min_tick:
                return 110, "The price does not conform to the minimum price variation for this contract."
        needs_limit = placed.order_type in ("LMT", "STP LMT")
        if needs_limit and placed.limit_price is None:
            return 201, "Order rejected - reason:a limit order needs a limit price"
        if placed.order_type in ("STP", "STP LMT") and placed.aux_price is None:
            return 201, "Order rejected - reason:a stop order needs a stop price"
        if placed.order_type in TRAILS and placed.aux_price is None and placed.trailing_percent is None:
            return 201, "Order rejected - reason:a trailing order needs an amount or a percent"
        return None

    def _transmit(self, order: VenueOrder) -> list[Outgoing]:
        """Send `order` and the untransmitted orders of its group; the parent starts working."""
        parent = self.orders[(order.client_id, order.placed.parent_id)] if order.placed.parent_id else order
        group = [o for o in (parent, *parent.children) if o.status == "PendingSubmit" or o is order]
        out: list[Outgoing] = []
        for member in group:
            child_waits = member is not parent and parent.status != "Filled"
            member.status = "PreSubmitted" if child_waits else "Submitted"
            limits = member.placed.order_type in ("LMT", "STP LMT")
            member.limit = member.placed.limit_price if limits else None
            out += self._announce(member)
        for member in group:
            if member.status == "Submitted":
                out += self._work(member, arriving=True)
        return out

    def _work(self, order: VenueOrder, *, arriving: bool) -> list[Outgoing]:
        price = self.prices[order.listing.con_id]
        if order.placed.order_type in TRAILS and not order.triggered:
            self._trail(order, price)
        if order.placed.order_type in STOPS and not order.triggered:
            stop = order.trail_stop if order.placed.order_type in TRAILS else order.placed.aux_price
            assert stop is not None
            if (price < stop) if order.buy else (price > stop):
                return []
            order.triggered, arriving = True, True
            order.limit = self._limit_after_trigger(order, stop)
        if order.limit is not None and ((price > order.limit) if order.buy else (price < order.limit)):
            order.resting = True
            return []
        if order.limit is not None and order.resting and not arriving:
            return self._fill(order, order.limit, MAKER)
        return self._fill(order, price, TAKER)

    def _trail(self, order: VenueOrder, price: Decimal) -> None:
        p = order.placed
        amount = p.aux_price if p.aux_price is not None else price * (p.trailing_percent or ZERO) / 100
        candidate = price + amount if order.buy else price - amount
        if order.trail_stop is None:
            order.trail_stop = p.trail_stop_price if p.trail_stop_price is not None else candidate
        else:
            tighter = min if order.buy else max
            order.trail_stop = tighter(order.trail_stop, candidate)

    def _limit_after_trigger(self, order: VenueOrder, stop: Decimal) -> Decimal | None:
        p = order.placed
        if p.order_type == "STP LMT":
            return p.limit_price
        if p.order_type == "TRAIL LIMIT":
            offset = p.limit_price_offset or ZERO
            return stop + offset if order.buy else stop - offset
        return None

    def _fill(self, order: VenueOrder, price: Decimal, liquidity: int) -> list[Outgoing]:
        out: list[Outgoing] = []
        while order.remaining > 0:
            if order.parts is not None and not order.parts:
                order.parts = None  # the plan is used up: the rest fills at the next price update
                break
            quantity = min(order.parts.pop(0), order.remaining) if order.parts else order.remaining
            out += self._execute(order, quantity, price, liquidity)
        if order.remaining == 0:
            out += self._finish(order, "Filled", "Filled")
            out += self._after_fill(order)
        return out

    def _execute(self, order: VenueOrder, quantity: Decimal, price: Decimal,
                 liquidity: int) -> list[Outgoing]:
        fee = commission_usd(order.listing, quantity, price)
        order.filled += quantity
        order.cost += quantity * price
        order.last_fill_price = price
        self.account.apply_fill(order.listing, quantity if order.buy else -quantity, price, fee)
        now = self.clock.now_ns()
        fill = ExecutionView(
            exec_id=f"0000e215.{len(self.executions) + 1:08x}.01.01", time=_ib_time(now),
            account=self.account.code, side="BOT" if order.buy else "SLD", shares=quantity, price=price,
            perm_id=order.perm_id, client_id=order.client_id, order_id=order.order_id, cum_qty=order.filled,
            avg_price=order.cost / order.filled, order_ref=order.placed.order_ref, commission=fee,
            commission_currency="USD", liquidity=liquidity, ts_ns=now)
        self.executions.append((fill, order))
        to = order.client_id
        return [(to, outbound.execution(-1, fill, order.listing, exchange=order.exchange)),
                (to, outbound.commission_report(fill))] + (
            [(to, outbound.order_status(order.view()))] if order.remaining else [])

    def _after_fill(self, order: VenueOrder) -> list[Outgoing]:
        """Children of a filled parent start working; OCA siblings of a filled order are cancelled."""
        out: list[Outgoing] = []
        for child in order.children:
            if child.status == "PreSubmitted":
                child.status = "Submitted"
                out += [(child.client_id, outbound.order_status(child.view()))]
                out += self._work(child, arriving=True)
        parent_key = (order.client_id, order.placed.parent_id)
        parent = self.orders.get(parent_key) if order.placed.parent_id else None
        siblings = [o for o in parent.children if o is not order] if parent else []
        if order.placed.oca_group:
            siblings += [o for o in self.orders.values() if o is not order
                         and o.placed.oca_group == order.placed.oca_group]
        for sibling in siblings:
            if sibling.status not in DONE and sibling.status != "PendingSubmit":
                out += self._cancel(sibling, "Cancelled by OCA", notify=False)
        return out

    def _cancel(self, order: VenueOrder, why: str, *, notify: bool) -> list[Outgoing]:
        out = self._finish(order, "Cancelled", why)
        if notify:
            out.append((order.client_id, outbound.error(order.order_id, 202, "Order Canceled - reason:")))
        for child in order.children:
            if child.status not in DONE:
                out += self._cancel(child, "Cancelled with its parent", notify=False)
        return out

    def _finish(self, order: VenueOrder, status: str, why: str) -> list[Outgoing]:
        order.status = status
        order.completed_status = why
        order.completed_time = _ib_time(self.clock.now_ns())
        return self._announce(order) if status != "Inactive" else []

    def _announce(self, order: VenueOrder) -> list[Outgoing]:
        to = order.client_id
        return [(to, self._open_order(order)), (to, outbound.order_status(order.view()))]

    def _open_order(self, order: VenueOrder) -> Message:
        return outbound.open_order(order.view(), order.listing, exchange=order.exchange)

    def _next_perm(self) -> int:
        self._perm_seq += 1
        return self._perm_seq


def _ib_time(ts_ns: int) -> str:
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%Y%m%d %H:%M:%S UTC")


def _parse_since(text: str) -> int | None:
    """`yyyymmdd-hh:mm:ss` or `yyyymmdd hh:mm:ss [UTC]` (both UTC) as ns; empty is None."""
    text = text.strip().removesuffix(" UTC").removesuffix(" GMT").replace("-", " ")
    if not text:
        return None
    moment = datetime.strptime(text, "%Y%m%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000
