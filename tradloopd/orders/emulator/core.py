"""The emulator: works the orders a venue cannot take as they are, through simple orders it can.

One pure, synchronous core used in front of every venue: the paper venue (replay and paper
trading) and the live brokers. Its driver hands it the orders the venue lacks (`takes`), every
event of the orders it works, the bars of their symbols and the time; it answers with steps
(`steps.py`) the driver carries out. Time comes only from what it is given (bar times in the paper
venue, the injected clock live), so replay stays deterministic.

What it works (docs/orders.md has every rule): algorithms (`order.algo`), one-cancels-all groups
(`oca_group`), one-triggers-other children (`oto_parent`), multi-leg groups (`combo`), and, for a
venue without them, trailing stops, if-touched orders and attached stop-loss/take-profit exits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from tradloopd.clock import Timers
from tradloopd.errors import InvariantError
from tradloopd.messages import Bar, Order, OrderEvent, OrderRejected
from tradloopd.model import Instrument
from tradloopd.orders.emulator.program import NOTHING, Parent, Program
from tradloopd.orders.emulator.steps import PAPER, Cancel, Emit, Kinds, Step
from tradloopd.orders.state import TrackedOrder
from tradloopd.positions import Position

WorkingLookup = Callable[[str], tuple[Order, Decimal] | None]
PositionLookup = Callable[[str], Position | None]
_SEP = "|"


class Emulator:
    """See the module docstring. `venue_order` tells an order the venue is working (and how much
    of it filled); `position` the venue account's position in a symbol."""

    def __init__(self, natives: Kinds, instruments: Mapping[str, Instrument],
                 venue_order: WorkingLookup, position: PositionLookup, *,
                 on_hold: Callable[[Order], None] = lambda order: None,
                 on_let_go: Callable[[str], None] = lambda client_order_id: None) -> None:
        self.natives = natives
        self._every_kind = natives == PAPER  # the venue works every kind itself: only algos and groups here
        self.instruments = instruments
        self.venue_order = venue_order
        self.position = position
        self.on_hold = on_hold  # the driver learns which orders are held here (not at the venue)
        self.on_let_go = on_let_go
        self.programs: dict[str, Program] = {}  # by the order id or group name they are filed under
        self.listeners: dict[str, list[Program]] = {}  # order id -> programs that get its events
        self.held: dict[str, Program] = {}  # emulated orders not (yet) at the venue -> their program
        self.by_symbol: dict[str, list[Program]] = {}
        self.timers: dict[str, Timers] = {}  # per symbol: "<program key>|<timer key>"

    # What the driver asks -----------------------------------------------------------------------

    def takes(self, order: Order) -> bool:
        """True when the venue cannot work `order` as it is and the emulator must."""
        if order.algo is not None or order.oca_group is not None or order.oto_parent is not None \
                or order.combo is not None:
            return True
        return not self._every_kind and self.natives.lacks(order) is not None

    def watches(self, symbol: str) -> bool:
        return bool(self.by_symbol.get(symbol))

    def holds(self, client_order_id: str) -> bool:
        """The order is worked here, not at the venue (a parent, a held leg, an untouched MIT)."""
        return client_order_id in self.held

    def instrument(self, symbol: str) -> Instrument:
        """The symbol's increments (none known: any precision, the venue checks)."""
        return self.instruments.get(symbol) or Instrument(symbol=symbol)

    def submit(self, order: Order, ts: int) -> list[Step]:
        from tradloopd.orders.emulator.routing import submit

        return self._settle(submit(self, order, ts), ts)

    def cancel(self, client_order_id: str, ts: int, reason: str) -> list[Step] | None:
        """The steps that cancel an order held here; None when the venue has it (cancel it there)."""
        program = self.held.get(client_order_id)
        if program is None:
            return None
        return self._settle(program.cancel(ts, reason), ts)

    def on_event(self, event: OrderEvent) -> list[Step]:
        programs = self.listeners.get(event.client_order_id)
        if not programs:
            return NOTHING
        steps: list[Step] = []
        for program in list(programs):
            steps += program.on_event(event)
        return self._settle(steps, event.ts_event)

    def on_time(self, now: int, symbol: str | None = None) -> list[Step]:
        """Timers due at `now`: of one symbol (the paper venue, at a bar's open) or of all."""
        steps: list[Step] = []
        for sym in [symbol] if symbol is not None else list(self.timers):
            timers = self.timers.get(sym)
            while timers is not None and (due := timers.pop_due(now)):
                for name in due:
                    key, _, timer = name.rpartition(_SEP)
                    program = self.programs.get(key)
                    if program is not None and not program.done:
                        steps += self._settle(program.on_time(timer, now), now)
        return steps

    def on_open(self, bar: Bar) -> list[Step]:
        """A bar opens in the paper venue: its programs learn from it, then its timers due fire."""
        for program in self.by_symbol.get(bar.symbol, ()):
            program.on_open(bar)
        return self.on_time(bar.ts_open, bar.symbol)

    def on_bar(self, bar: Bar) -> list[Step]:
        """A bar closed: the programs on its symbol decide what follows from it."""
        steps: list[Step] = []
        for program in list(self.by_symbol.get(bar.symbol, ())):
            if not program.done:
                steps += program.on_bar(bar)
        return self._settle(steps, bar.ts_event)

    # What programs ask --------------------------------------------------------------------------

    def add(self, program: Program, *, held: Iterable[Order] = ()) -> None:
        self.programs[program.key] = program
        for symbol in program.symbols:
            self.by_symbol.setdefault(symbol, []).append(program)
        for order in held:
            self.hold(order, program)

    def hold(self, order: Order, program: Program) -> None:
        self.held[order.client_order_id] = program
        self.on_hold(order)

    def let_go(self, client_order_id: str) -> None:
        if self.held.pop(client_order_id, None) is not None:
            self.on_let_go(client_order_id)

    def listen(self, client_order_id: str, program: Program) -> None:
        programs = self.listeners.setdefault(client_order_id, [])
        if program not in programs:
            programs.append(program)

    def schedule(self, program: Program, key: str, at_ns: int) -> None:
        self.timers.setdefault(program.symbols[0], Timers()).schedule(f"{program.key}{_SEP}{key}", at_ns)

    def route(self, order: Order, ts: int, *, accepted: bool) -> list[Step]:
        """Send `order` on: to the venue as it is, or to the program that emulates its kind."""
        from tradloopd.orders.emulator.routing import route

        return route(self, order, ts, accepted=accepted)

    # Bookkeeping --------------------------------------------------------------------------------

    def _settle(self, steps: list[Step], ts: int) -> list[Step]:
        """Cancels of orders held here become their programs' cancels; finished programs leave."""
        out: list[Step] = []
        todo = list(steps)
        while todo:
            step = todo.pop(0)
            if isinstance(step, Cancel) and step.client_order_id in self.held:
                todo[:0] = self.held[step.client_order_id].cancel(ts, step.reason)
            else:
                out.append(step)
            if len(out) > 100_000:
                raise InvariantError("the order emulator did not settle")
        self._sweep()
        return out

    def _sweep(self) -> None:
        finished = [p for p in self.programs.values() if p.done]
        for program in finished:
            del self.programs[program.key]
            for symbol in program.symbols:
                self.by_symbol[symbol].remove(program)
                if not self.by_symbol[symbol]:
                    del self.by_symbol[symbol]
            for client_order_id in [c for c, p in self.held.items() if p is program]:
                self.let_go(client_order_id)
        if finished:
            for client_order_id in list(self.listeners):
                alive = [p for p in self.listeners[client_order_id] if not p.done]
                if alive:
                    self.listeners[client_order_id] = alive
                else:
                    del self.listeners[client_order_id]

    def restore(self, orders: list[TrackedOrder]) -> None:
        """Rebuild every program from the ledger after a restart (docs/orders.md, "Restarts")."""
        from tradloopd.orders.emulator.routing import restore

        restore(self, orders)
        self._sweep()


def rejected(order: Order, reason: str, ts: int) -> list[Step]:
    return [Emit(OrderRejected(client_order_id=order.client_order_id, reason=reason, ts_event=ts))]


__all__ = ["Emulator", "Parent", "Program"]
