"""A hypothesis state machine drives the whole order catalogue through the paper venue.

Rules submit orders of every type (plain, if-touched, trailing, brackets, OCA, OTO, multi-leg and
every algorithm), cancel any order, and play bars on two symbols. After every step: no order (nor
parent) filled beyond its quantity; no fill after an order was canceled, expired or rejected; a
filled one-cancels-all group or bracket leaves no second live exit; a reduce-only fill never flips
or grows a position; each position equals the signed sum of its fills, exactly, at the venue and
on the trading side. At the end the journal (intents and events) is replayed into a new account,
which must equal the one the run built.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.orders.emulated import MINUTE, Desk, order
from tradloopd.messages import (
    AlgoFilled,
    AtrTrail,
    BreakEven,
    Combo,
    Iceberg,
    OrderCanceled,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPlaced,
    OrderRejected,
    Pov,
    ProfitTarget,
    Scale,
    TimedExit,
    Trail,
    Twap,
    Vwap,
)
from tradloopd.model import ZERO, Side
from tradloopd.orders.exits import is_exit_leg

D = Decimal
HALF = 0.5  # prices move on a grid of halves: exact as floats and as Decimals
SYMBOLS = ("X", "Y")
sides = st.sampled_from(["buy", "sell"])
quantities = st.integers(1, 6)
offsets = st.integers(-8, 8)  # from the last close, in halves


class OrderMachine(RuleBasedStateMachine):
    @initialize(config=st.fixed_dictionaries({
        "intrabar": st.sampled_from(["nearest", "worst"]),
        "max_participation": st.sampled_from([None, "0.25"]),
        "taker_fee": st.sampled_from(["0", "0.001"]),
        "slippage_bps": st.sampled_from(["0", "7"]),
        "leverage": st.sampled_from(["1", "5"]),
    }))
    def start(self, config: dict[str, object]) -> None:
        self.desk = Desk(cash=5_000, lot=D(1), symbols=SYMBOLS, **config)
        self.close = {s: 100.0 for s in SYMBOLS}
        self.ids: list[str] = []
        self.finished: set[str] = set()  # canceled, expired or rejected
        self.position: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.fired: dict[str, str] = {}  # OCA group -> the leg that filled first
        self.count = 0

    # Submits ------------------------------------------------------------------------------------

    def _id(self) -> str:
        self.count += 1
        return f"o{self.count}"

    def _price(self, symbol: str, offset: int) -> float:
        return max(HALF, self.close[symbol] + offset * HALF)

    def _submit(self, placed) -> list[OrderEvent]:  # type: ignore[no-untyped-def]
        self.ids.append(placed.client_order_id)
        events = self.desk.submit(placed)
        self._check(events)
        return events

    @rule(kind=st.sampled_from(["market", "limit", "stop", "stop_limit"]), side=sides, qty=quantities,
          offset=offsets, gap=st.integers(-3, 3), tif=st.sampled_from(["gtc", "gtc", "ioc", "fok", "day"]),
          reduce_only=st.booleans(), exits=st.sampled_from([None, (2, 3), (3, None), (None, 2)]),
          touched=st.booleans(), symbol=st.sampled_from(SYMBOLS))
    def plain(self, kind, side, qty, offset, gap, tif, reduce_only, exits, touched, symbol):  # type: ignore[no-untyped-def]
        price = self._price(symbol, offset)
        fields: dict[str, object] = {"tif": tif, "reduce_only": reduce_only, "symbol": symbol}
        if kind in ("limit", "stop_limit"):
            fields["price"] = max(HALF, price + gap * HALF)
        if kind in ("stop", "stop_limit"):
            fields["trigger_price"] = price
            fields["if_touched"] = touched
        if exits is not None and not reduce_only:
            sign = 1 if side == "buy" else -1
            if exits[0] is not None and price - sign * exits[0] > 0:
                fields["stop_loss"] = price - sign * exits[0]
            if exits[1] is not None and price + sign * exits[1] > 0:
                fields["take_profit"] = price + sign * exits[1]
        self._submit(order(self._id(), side, qty, kind=kind, **fields))

    @rule(side=sides, qty=quantities, amount=st.integers(1, 4), percent=st.booleans(),
          activation=st.one_of(st.none(), offsets), limit_gap=st.one_of(st.none(), st.integers(1, 3)))
    def trailing(self, side, qty, amount, percent, activation, limit_gap):  # type: ignore[no-untyped-def]
        trail = Trail(percent=D(amount)) if percent else Trail(amount=D(amount) / 2)
        if activation is not None:
            trail = Trail(amount=trail.amount, percent=trail.percent,
                          activation=D(self._price("X", activation)))
        fields: dict[str, object] = {"trail": trail, "kind": "stop"}
        if limit_gap is not None:
            trigger = self._price("X", -2 if side == "sell" else 2)
            gap = limit_gap * HALF * (-1 if side == "sell" else 1)
            fields |= {"kind": "stop_limit", "trigger_price": trigger, "price": max(HALF, trigger + gap)}
        self._submit(order(self._id(), side, qty, **fields))

    @rule(side=sides, qty=quantities, legs=st.integers(2, 3), offset=offsets)
    def oca(self, side, qty, legs, offset):  # type: ignore[no-untyped-def]
        group = self._id()
        for leg in range(legs):
            price = self._price("X", offset + 3 * leg)
            kind, fields = ("limit", {"price": price}) if leg % 2 == 0 else ("stop", {"trigger_price": price})
            self._submit(order(f"{group}.{leg}", side, qty, kind=kind, oca_group=group, **fields))

    @rule(side=sides, qty=quantities, offset=offsets, exits=st.booleans())
    def oto(self, side, qty, offset, exits):  # type: ignore[no-untyped-def]
        parent = self._id()
        self._submit(order(parent, side, qty, kind="limit", price=self._price("X", offset)))
        other = "sell" if side == "buy" else "buy"
        sign = 1 if side == "buy" else -1
        group = parent if exits else None
        self._submit(order(f"{parent}.a", other, qty, kind="limit", price=self._price("X", offset + 4 * sign),
                           oto_parent=parent, oca_group=group))
        if exits:
            self._submit(order(f"{parent}.b", other, qty, kind="stop", oto_parent=parent, oca_group=group,
                               trigger_price=self._price("X", offset - 4 * sign)))

    @rule(qty=quantities, offset=offsets, fok=st.booleans(), all_legs=st.booleans())
    def multi_leg(self, qty, offset, fok, all_legs):  # type: ignore[no-untyped-def]
        group = self._id()
        combo = Combo(group=group, legs=2)
        tif = "fok" if fok else "ioc"
        self._submit(order(f"{group}.x", "buy", qty, symbol="X", tif=tif, combo=combo))
        if all_legs:  # else the group waits for a leg that never comes
            self._submit(order(f"{group}.y", "sell", qty, symbol="Y", tif=tif, combo=combo, kind="limit",
                               price=self._price("Y", offset)))

    @rule(algo=st.sampled_from(["twap", "vwap", "iceberg", "pov", "scale"]), side=sides,
          qty=st.integers(2, 12), offset=offsets, limit=st.booleans(), minutes=st.integers(1, 6))
    def execution(self, algo, side, qty, offset, limit, minutes):  # type: ignore[no-untyped-def]
        price = self._price("X", offset)
        fields: dict[str, object] = {"kind": "limit", "price": price} if limit else {}
        match algo:
            case "twap":
                fields["algo"] = Twap(duration_ns=minutes * MINUTE, slices=min(minutes + 1, qty))
            case "vwap":
                fields["algo"] = Vwap(duration_ns=minutes * MINUTE, max_participation=D("0.5"))
            case "iceberg":
                fields = {"kind": "limit", "price": price, "algo": Iceberg(display_qty=D(max(1, qty // 3)))}
            case "pov":
                fields["algo"] = Pov(participation=D("0.002"), end_ts=self.desk.now + minutes * MINUTE)
            case "scale":
                step = D(-1) if side == "buy" else D(1)
                fields = {"kind": "limit", "price": price, "algo": Scale(step=step, levels=2)}
        self._submit(order(self._id(), side, qty, ts_init=self.desk.now, **fields))

    @precondition(lambda self: any(self.position.values()))
    @rule(algo=st.sampled_from(["atr", "profit", "even", "timed"]), part=st.integers(1, 3), offset=offsets,
          reduce_only=st.booleans())
    def exit(self, algo, part, offset, reduce_only):  # type: ignore[no-untyped-def]
        held = self.position["X"]
        if not held:
            return
        side = "sell" if held > 0 else "buy"
        qty = max(D(1), abs(held) // part)
        stop = self._price("X", -abs(offset) if side == "sell" else abs(offset))
        fields: dict[str, object]
        match algo:
            case "atr":
                fields = {"kind": "stop", "trigger_price": stop, "algo": AtrTrail(multiple=D(2), period=2)}
            case "profit":
                fields = {"algo": ProfitTarget(offset=D(abs(offset) + 1) / 2)}
            case "even":
                fields = {"kind": "stop", "trigger_price": stop,
                          "algo": BreakEven(threshold=D(self._price("X", 3 if side == "sell" else -3)))}
            case "timed":
                fields = {"algo": TimedExit(bars=part)}
        self._submit(order(self._id(), side, qty, reduce_only=reduce_only, ts_init=self.desk.now, **fields))

    # Cancels and bars ---------------------------------------------------------------------------

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 200))
    def cancel(self, index):  # type: ignore[no-untyped-def]
        self._check(self.desk.cancel(self.ids[index % len(self.ids)]))

    @rule(symbol=st.sampled_from(SYMBOLS), move=st.integers(-6, 6), up=st.integers(0, 8),
          down=st.integers(0, 8), close_at=st.integers(0, 16),
          volume=st.sampled_from([0.0, 6.0, 1000.0, 1000.0]))
    def bar(self, symbol, move, up, down, close_at, volume):  # type: ignore[no-untyped-def]
        o = max(1.0, self.close[symbol] + move * HALF)
        h, lo = o + up * HALF, max(HALF, o - down * HALF)
        c = min(h, max(lo, lo + close_at * HALF))
        self.close[symbol] = c
        self._check(self.desk.bar(o, h, lo, c, v=volume, symbol=symbol))

    # The checks ---------------------------------------------------------------------------------

    def _check(self, events: list[OrderEvent]) -> None:
        for event in events:
            cid = event.client_order_id
            assert cid not in self.finished or isinstance(event, OrderPlaced), \
                f"{event} after {cid} was canceled, expired or rejected"
            if isinstance(event, OrderFilled):
                self._check_fill(event)
            elif isinstance(event, AlgoFilled):
                parent = self.desk.account.orders.get(cid)
                assert parent is not None and parent.filled_qty <= parent.order.quantity, f"{cid} overfilled"
            elif isinstance(event, OrderCanceled | OrderExpired | OrderRejected):
                self.finished.add(cid)

    def _check_fill(self, fill: OrderFilled) -> None:
        tracked = self.desk.account.orders.get(fill.client_order_id)
        assert tracked is not None
        placed = tracked.order
        assert placed.quantity is None or tracked.filled_qty <= placed.quantity, \
            f"{fill.client_order_id} overfilled"
        before = self.position[fill.symbol]
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        after = self.position[fill.symbol] = before + signed
        if placed.reduce_only:
            assert abs(after) < abs(before), f"reduce-only {fill.client_order_id} grew {before} to {after}"
            assert after == 0 or (after > 0) == (before > 0), f"reduce-only {fill.client_order_id} flipped"
        if placed.oca_group is not None:
            self.fired.setdefault(placed.oca_group, placed.client_order_id)

    @invariant()
    def no_second_live_exit(self) -> None:
        if not hasattr(self, "desk"):
            return
        live = {o.client_order_id: o for o in self.desk.sim.working_orders() + self.desk.sim.held_orders()}
        for group, first in self.fired.items():
            others = [cid for cid, o in live.items() if o.oca_group == group and cid != first]
            assert not others, f"oca group {group}: {first} filled, {others} still live"
        for cid, placed in live.items():
            if is_exit_leg(placed):
                sibling = cid[:-2] + ("tp" if cid.endswith("sl") else "sl")
                leg = self.desk.account.orders.get(sibling)
                assert leg is None or not (leg.filled_qty and leg.filled_qty == leg.order.quantity), \
                    f"{sibling} filled completely and {cid} is still live"

    @invariant()
    def positions_are_the_sums_of_the_fills(self) -> None:
        if not hasattr(self, "desk"):
            return
        for symbol in SYMBOLS:
            venue, ledger = self.desk.sim.account.qty(symbol), self.desk.account.position(symbol)
            assert venue == ledger == self.position[symbol]

    def teardown(self) -> None:
        if not hasattr(self, "desk"):
            return
        replayed, account = self.desk.replayed(), self.desk.account
        assert replayed.portfolio.cash == account.portfolio.cash
        assert {s: p.qty for s, p in replayed.portfolio.positions.items()} == \
            {s: p.qty for s, p in account.portfolio.positions.items()}
        assert [(t.client_order_id, t.status, t.filled_qty, t.order) for t in replayed.orders] == \
            [(t.client_order_id, t.status, t.filled_qty, t.order) for t in account.orders]


OrderMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=50, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_the_order_catalogue_keeps_every_invariant = OrderMachine.TestCase
