"""Value types shared by every part: sides, order types, statuses, and the instrument's increments."""

from __future__ import annotations

import enum
from datetime import time
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

import msgspec

ZERO = Decimal(0)


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(enum.StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(enum.StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"
    DAY = "day"


class VolumeProfile(enum.StrEnum):
    """The shape of the volume a VWAP order follows over its duration (see docs/orders.md)."""

    FLAT = "flat"  # evenly, as a TWAP
    U = "u"  # more at the start and the end, as a stock's trading day
    FRONT = "front"  # most at the start, falling evenly to nothing
    BACK = "back"  # rising evenly from nothing to most at the end


class OrderStatus(enum.StrEnum):
    INITIALIZED = "initialized"
    DENIED = "denied"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    TRIGGERED = "triggered"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNRESOLVED = "unresolved"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_working(self) -> bool:
        return self in _WORKING


_TERMINAL = frozenset(
    {OrderStatus.DENIED, OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED,
     OrderStatus.EXPIRED}
)
_WORKING = frozenset(
    {OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.TRIGGERED,
     OrderStatus.PARTIALLY_FILLED, OrderStatus.UNRESOLVED}
)


class Liquidity(enum.StrEnum):
    MAKER = "maker"
    TAKER = "taker"


class TradingState(enum.StrEnum):
    """The risk guard's mode: everything allowed, only risk-reducing orders, or nothing."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """What the venue accepts for one symbol: price tick, lot size, minimum size and notional,
    and when its trading day ends (DAY orders expire then).

    A zero increment means "any precision" (used when a data file does not tell the tick). The
    session closes at `session_close` local time in `timezone` (an IANA name); the default, midnight
    UTC, suits markets that trade around the clock.
    """

    symbol: str
    price_increment: Decimal = ZERO
    size_increment: Decimal = ZERO
    min_size: Decimal = ZERO
    min_notional: Decimal = ZERO
    session_close: time = time(0)
    timezone: str = "UTC"

    def round_price(self, price: Decimal, *, up: bool) -> Decimal:
        """Round to the tick, up (towards a buyer's worse price) or down."""
        if not self.price_increment:
            return price
        steps = (price / self.price_increment).to_integral_value(ROUND_CEILING if up else ROUND_FLOOR)
        return steps * self.price_increment

    def floor_size(self, quantity: Decimal) -> Decimal:
        """Round a quantity down to the lot size (never up: never buy more than asked or afforded)."""
        if not self.size_increment:
            return quantity
        return (quantity / self.size_increment).to_integral_value(ROUND_DOWN) * self.size_increment


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """Exact decimal of a market-data float as its shortest text (92782.39 -> Decimal('92782.39'))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def plain(value: Decimal) -> str:
    """A decimal as a person writes it in a message: no trailing zeros, no exponent
    (Decimal('2.0') -> '2', Decimal('1E+3') -> '1000')."""
    return format(value.normalize(), "f")
