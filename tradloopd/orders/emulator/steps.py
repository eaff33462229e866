"""What the emulator asks of the venue it works in front of, one step at a time.

The emulator never talks to a venue: it returns steps, and its driver (the paper venue, or the
broker actor in front of a live venue) carries them out in order and feeds every resulting event
back. `Place` is a new child order (the driver announces it with `OrderPlaced`, then sends it);
`Release` sends an order the ledger already has (a held OTO child or multi-leg leg, the legs of
an emulated bracket); `Cancel` cancels a working order at the venue; `Emit` is an event of the
emulator's own (a parent accepted, progressing, canceled or expired; a held order let go).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from tradloopd.messages import Order, OrderEvent
from tradloopd.orders.exits import has_exits


@dataclass(frozen=True, slots=True)
class Place:
    order: Order


@dataclass(frozen=True, slots=True)
class Release:
    order: Order
    accepted: bool  # the emulator already said OrderAccepted (it held the order): not again


@dataclass(frozen=True, slots=True)
class Cancel:
    client_order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Emit:
    event: OrderEvent


Step = Place | Release | Cancel | Emit


Kind = Literal["touch", "trail", "bracket"]


class Kinds(Protocol):
    """What the emulator asks of the venue's own order kinds."""

    def lacks(self, order: Order) -> Kind | None:
        """The kind of `order` the venue cannot work itself (if-touched, trailing, bracket), if any."""
        ...


@dataclass(frozen=True, slots=True)
class Natives:
    """A venue's own kinds as flags (the paper venue's; live venues read their capabilities)."""

    trailing: bool = False
    if_touched: bool = False
    brackets: bool = False  # an entry with attached stop-loss / take-profit exits

    def lacks(self, order: Order) -> Kind | None:
        if order.if_touched and not self.if_touched:
            return "touch"
        if order.trail is not None and not self.trailing:
            return "trail"
        if has_exits(order) and not self.brackets:
            return "bracket"
        return None


PAPER = Natives(trailing=True, if_touched=True, brackets=True)
