"""Random submits, cancels and bars through the paper venue never break its invariants.

After every step: no order filled beyond its quantity; no fill after a cancel, expiry or
rejection; once one leg of an attached stop-loss/take-profit pair has filled completely the other
is gone; a reduce-only fill never flips or grows a position; the venue's own account equals a
portfolio rebuilt from its fills; and the trading side's ledger accepts every event in order.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from venue_builders import Paper, order

from tradloopd.account import Account
from tradloopd.messages import OrderCanceled, OrderExpired, OrderFilled, OrderRejected
from tradloopd.positions import Portfolio

HALF = 0.5  # prices move on a grid of halves, which floats and Decimals both hold exactly

submits = st.tuples(
    st.just("submit"),
    st.sampled_from(["market", "limit", "stop", "stop_limit"]),
    st.sampled_from(["buy", "sell"]),
    st.integers(1, 6),                      # quantity
    st.integers(-8, 8),                     # price offset from the last close, in halves
    st.integers(-4, 4),                     # stop-limit: limit offset from the trigger
    st.sampled_from(["gtc", "gtc", "ioc", "fok", "gtd"]),
    st.sampled_from([False, False, False, True]),  # reduce-only
    st.sampled_from([None, (2, 3), (3, 2), (2, None), (None, 2)]),  # stop-loss / take-profit
)
cancels = st.tuples(st.just("cancel"), st.integers(0, 40))
duplicates = st.tuples(st.just("duplicate"), st.integers(0, 40))
bars = st.tuples(st.just("bar"), st.integers(-6, 6), st.integers(1, 8), st.integers(1, 8),
                 st.integers(0, 16), st.sampled_from([0.0, 6.0, 1000.0, 1000.0]))
actions = st.lists(st.one_of(submits, submits, submits, bars, bars, bars, bars, cancels, duplicates),
                   min_size=6, max_size=50)
configs = st.fixed_dictionaries({
    "intrabar": st.sampled_from(["nearest", "worst"]),
    "limit_fill": st.sampled_from(["touch", "through"]),
    "max_participation": st.sampled_from([None, "0.25"]),
    "taker_fee": st.sampled_from(["0", "0.001"]),
    "maker_fee": st.sampled_from(["0", "0.0005"]),
    "slippage_bps": st.sampled_from(["0", "7"]),
    "leverage": st.sampled_from(["1", "3"]),
})


class Run:
    """The venue, the trading side's account, and what the checks need to remember."""

    def __init__(self, config: dict[str, object]) -> None:
        self.paper = Paper(cash=2_000, tick=Decimal("0.01"), lot=Decimal(1), **config)
        self.account = Account(Decimal(2_000))
        self.close = 100.0
        self.ids: list[str] = []
        self.finished: set[str] = set()  # canceled, expired or rejected
        self.done_legs: set[str] = set()  # legs filled completely
        self.position = Decimal(0)

    def submit(self, action: tuple) -> None:
        _, kind, side, qty, offset, limit_offset, tif, reduce_only, exits = action
        price = self.close + offset * HALF
        if price <= 0:
            return
        fields: dict[str, object] = {"tif": tif, "reduce_only": reduce_only}
        if tif == "gtd":
            fields["expire_ts"] = self.paper.now + 2 * 60 * 10**9
        if kind in ("limit", "stop_limit"):
            fields["price"] = max(HALF, price + (limit_offset * HALF if kind == "stop_limit" else 0))
        if kind in ("stop", "stop_limit"):
            fields["trigger_price"] = price
        if exits is not None:
            sign = 1 if side == "buy" else -1
            if exits[0] is not None and price - sign * exits[0] > 0:
                fields["stop_loss"] = price - sign * exits[0]
            if exits[1] is not None and price + sign * exits[1] > 0:
                fields["take_profit"] = price + sign * exits[1]
        cid = f"o{len(self.ids)}"
        placed = order(cid, side, qty, kind=kind, **fields)
        self.ids.append(cid)
        self.account.add_order(placed)
        self.account.mark_submitted(cid, self.paper.now)
        self.check(self.paper.submit(placed))

    def duplicate(self, index: int) -> None:
        if self.ids:
            cid = self.ids[index % len(self.ids)]
            assert self.paper.submit(cid, "buy", 1) == [], "a repeated client order id traded"

    def cancel(self, index: int) -> None:
        if self.ids:
            self.check(self.paper.cancel(self.ids[index % len(self.ids)]))

    def bar(self, action: tuple) -> None:
        _, move, up, down, close_at, volume = action
        o = max(1.0, self.close + move * HALF)
        h, lo = o + up * HALF, max(HALF, o - down * HALF)
        c = min(h, max(lo, lo + close_at * HALF))
        self.close = c
        self.check(self.paper.bar(o, h, lo, c, v=volume))

    def check(self, events: list) -> None:
        for event in events:
            cid = event.client_order_id
            assert cid not in self.finished, f"{event} after {cid} was canceled/expired/rejected"
            tracked = self.account.orders.get(cid)
            self.account.apply(event)  # raises IllegalTransition on an impossible sequence
            if isinstance(event, OrderFilled):
                self.check_fill(event, tracked)
            elif isinstance(event, OrderCanceled | OrderExpired | OrderRejected):
                self.finished.add(cid)
        self.check_account()

    def check_fill(self, fill: OrderFilled, tracked) -> None:
        placed = tracked.order
        assert tracked.filled_qty <= placed.quantity, f"{fill.client_order_id} overfilled"
        before = self.position
        self.position += fill.quantity if fill.side == "buy" else -fill.quantity
        if placed.reduce_only:
            assert abs(self.position) < abs(before), f"reduce-only fill grew {before}"
            assert self.position == 0 or (self.position > 0) == (before > 0), "reduce-only flipped"
        if placed.parent_id is not None and tracked.filled_qty == placed.quantity:
            self.done_legs.add(placed.client_order_id)
            sibling = {"sl": "tp", "tp": "sl"}[placed.client_order_id.rsplit(".", 1)[1]]
            assert f"{placed.parent_id}.{sibling}" not in self.paper.working(), "two live OCO legs"

    def check_account(self) -> None:
        venue = self.paper.sim.account
        rebuilt = Portfolio(Decimal(2_000))
        for fill in self.account.fills:
            rebuilt.apply(fill)
        assert (venue.cash, venue.fees_paid) == (rebuilt.cash, rebuilt.fees_paid)
        assert venue.qty("X") == rebuilt.qty("X") == self.position
        assert venue.position("X").realized_pnl == rebuilt.position("X").realized_pnl
        for leg in self.done_legs:
            sibling = leg[:-2] + ("tp" if leg.endswith("sl") else "sl")
            assert sibling not in self.paper.working()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, steps=actions)
def test_random_submits_cancels_and_bars_keep_every_invariant(config, steps):
    run = Run(config)
    for action in steps:
        match action[0]:
            case "submit":
                run.submit(action)
            case "cancel":
                run.cancel(action[1])
            case "duplicate":
                run.duplicate(action[1])
            case "bar":
                run.bar(action)
