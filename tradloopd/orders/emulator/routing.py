"""Which program works an order the emulator takes, and rebuilding them all after a restart.

An order first joins its groups (an OCA group registers it; a multi-leg group or an OTO link holds
it), then is routed: an algorithm to its program; a kind the venue lacks to the program that
emulates it; anything else straight to the venue (`Release`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, assert_never

from tradloopd.messages import (
    AtrTrail,
    BreakEven,
    Iceberg,
    Order,
    Pov,
    ProfitTarget,
    Scale,
    TimedExit,
    Twap,
    Vwap,
)
from tradloopd.model import OrderStatus
from tradloopd.orders.emulator.groups import ComboGroup, OcaGroup, OtoLink
from tradloopd.orders.emulator.kinds import BracketWatch, TouchWatch, TrailWatch
from tradloopd.orders.emulator.managed import AtrTrailingStop, BreakEvenStop, ProfitTargetExit, TimedExitOrder
from tradloopd.orders.emulator.program import Parent
from tradloopd.orders.emulator.schedule import TwapOrder, VwapOrder
from tradloopd.orders.emulator.slicing import IcebergOrder, PovOrder, ScaleOrder
from tradloopd.orders.emulator.steps import Release, Step
from tradloopd.orders.state import TrackedOrder

if TYPE_CHECKING:
    from tradloopd.orders.emulator.core import Emulator


def submit(desk: Emulator, order: Order, ts: int) -> list[Step]:
    from tradloopd.orders.emulator.core import rejected

    steps: list[Step] = []
    if order.oca_group is not None:
        steps = _oca(desk, order.oca_group).join(order, ts)
        if steps:
            return steps  # refused: the group has filled
    if order.combo is not None:
        return _combo(desk, order).join(order, ts)
    if order.oto_parent is not None:
        parent = _find(desk, order.oto_parent)
        if parent is None or parent[0].quantity is None:
            return rejected(order, f"oto parent {order.oto_parent} is not a working order with a "
                                   "quantity", ts)
        link = OtoLink(desk, order, parent[0], parent[1])
        desk.add(link)
        return link.start(ts)
    if order.algo is not None:
        program = algorithm(desk, order)
        desk.add(program, held=[order])
        return program.start(ts)
    return route(desk, order, ts, accepted=False)


def route(desk: Emulator, order: Order, ts: int, *, accepted: bool) -> list[Step]:
    """To the venue as it is, or to the program that emulates a kind the venue lacks."""
    match desk.natives.lacks(order):
        case "trail":
            trail = TrailWatch(desk, order)
            desk.add(trail, held=[order])
            return trail.begin(ts) if accepted else trail.start(ts)
        case "touch":
            touch = TouchWatch(desk, order)
            desk.add(touch)
            return touch.start(ts, accepted=accepted)
        case "bracket":
            bracket = BracketWatch(desk, order)
            desk.add(bracket)
            return bracket.start(ts, accepted=accepted)
    return [Release(order, accepted)]


def algorithm(desk: Emulator, order: Order) -> Parent:
    algo = order.algo
    match algo:
        case Twap():
            return TwapOrder(desk, order, algo)
        case Vwap():
            return VwapOrder(desk, order, algo)
        case Iceberg():
            return IcebergOrder(desk, order, algo)
        case Pov():
            return PovOrder(desk, order, algo)
        case Scale():
            return ScaleOrder(desk, order, algo)
        case AtrTrail():
            return AtrTrailingStop(desk, order, algo)
        case ProfitTarget():
            return ProfitTargetExit(desk, order, algo)
        case BreakEven():
            return BreakEvenStop(desk, order, algo)
        case TimedExit():
            return TimedExitOrder(desk, order, algo)
        case None:
            raise ValueError(f"order {order.client_order_id} has no algorithm")
        case _:
            assert_never(algo)


def _oca(desk: Emulator, name: str) -> OcaGroup:
    group = desk.programs.get(f"oca:{name}")
    if not isinstance(group, OcaGroup) or group.done:
        group = OcaGroup(desk, name)
        desk.add(group)
    return group


def _combo(desk: Emulator, order: Order) -> ComboGroup:
    assert order.combo is not None
    group = desk.programs.get(f"combo:{order.combo.group}")
    if not isinstance(group, ComboGroup) or group.done:
        group = ComboGroup(desk, order.combo.group, order.combo.legs)
        desk.add(group)
    return group


def _find(desk: Emulator, client_order_id: str) -> tuple[Order, Decimal] | None:
    """An order working at the venue or held here, and how much of it has filled."""
    held = desk.held.get(client_order_id)
    if held is not None:
        return held.view(client_order_id)
    return desk.venue_order(client_order_id)


# After a restart --------------------------------------------------------------------------------

_HELD = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.TRIGGERED})


def restore(desk: Emulator, orders: list[TrackedOrder]) -> None:
    """Rebuild the programs of every order the ledger shows open that the emulator takes: a
    parent with its children and fills, a group with its open legs, a held OTO child waiting for
    its parent (docs/orders.md, "Restarts")."""
    children: dict[str, list[TrackedOrder]] = defaultdict(list)
    by_id = {t.client_order_id: t for t in orders}
    for tracked in orders:
        if tracked.order.parent_id is not None:
            children[tracked.order.parent_id].append(tracked)
    combos: dict[str, list[TrackedOrder]] = defaultdict(list)
    for tracked in orders:
        if tracked.order.combo is not None:
            combos[tracked.order.combo.group].append(tracked)
    for tracked in orders:
        order = tracked.order
        if tracked.status not in _HELD or not desk.takes(order) or order.combo is not None:
            continue
        if order.oca_group is not None:
            _oca(desk, order.oca_group).join(order, tracked.ts_last)
        if order.oto_parent is not None and not _sent(tracked):
            parent = by_id.get(order.oto_parent)
            if parent is not None and not parent.status.is_terminal:
                link = OtoLink(desk, order, parent.order, parent.filled_qty)
                desk.add(link)
                link.start(tracked.ts_last, accepted=True)
        elif order.algo is not None:
            program = algorithm(desk, order)
            desk.add(program, held=[order])
            program.restore(tracked, children[order.client_order_id])
        else:
            _restore_kind(desk, tracked, children[order.client_order_id])
    for legs in combos.values():
        if any(not leg.status.is_terminal for leg in legs):
            _restore_combo(desk, legs, children)


def _sent(tracked: TrackedOrder) -> bool:
    """A held order has had no fill and no trigger; one that has was sent to the venue."""
    return tracked.filled_qty > 0 or tracked.status is OrderStatus.TRIGGERED


def _restore_kind(desk: Emulator, tracked: TrackedOrder, children: list[TrackedOrder]) -> None:
    order = tracked.order
    match desk.natives.lacks(order):
        case "trail":
            trail = TrailWatch(desk, order)
            desk.add(trail, held=[order])
            trail.restore(tracked, children)
        case "touch" if tracked.status is OrderStatus.ACCEPTED:
            touch = TouchWatch(desk, order)
            desk.add(touch)
            touch.start(tracked.ts_last, accepted=True)
        case "bracket":
            bracket = BracketWatch(desk, order)
            desk.add(bracket)
            bracket.start(tracked.ts_last, accepted=True)
            bracket.filled = tracked.filled_qty


def _restore_combo(desk: Emulator, legs: list[TrackedOrder], children: dict[str, list[TrackedOrder]]) -> None:
    """A multi-leg group as the ledger shows it: sent once every leg arrived; failed once a leg
    ended short; its unwinds still working."""
    first = legs[0].order
    assert first.combo is not None
    group = ComboGroup(desk, first.combo.group, first.combo.legs)
    desk.add(group)
    group.sent = len(legs) == group.size
    for tracked in legs:
        coid = tracked.client_order_id
        group.legs[coid] = tracked.order
        group.filled[coid] = tracked.filled_qty
        desk.listen(coid, group)
        if not tracked.status.is_terminal:
            if group.sent:
                group.working.add(coid)
            else:
                desk.hold(tracked.order, group)
        elif tracked.status is not OrderStatus.FILLED:
            group.failed = True
        for unwind in children[coid]:
            if not unwind.status.is_terminal:
                group.unwinds[unwind.client_order_id] = unwind.leaves_qty or unwind.order.quantity  # type: ignore[assignment]
                group.working.add(unwind.client_order_id)
                desk.listen(unwind.client_order_id, group)
    if not group.sent:
        group.watch(first.symbol)
