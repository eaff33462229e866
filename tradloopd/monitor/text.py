"""How the monitor writes money, quantities, percentages and times: exact, aligned, UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from rich.text import Text

MINUS = "−"  # a real minus sign: as wide as "+", easier to see than "-"


def money(value: Decimal | float | None, places: int = 2) -> str:
    """A cash amount with thousands separators, rounded for display (the daemon keeps it exact)."""
    if value is None:
        return "–"
    text = f"{value:,.{places}f}"
    return text.replace("-", MINUS) if value < 0 else text


def signed(value: Decimal | float | None, places: int = 2) -> Text:
    """A PnL: `+12.30` green, `−2.19` red, `0.00` plain."""
    if value is None:
        return Text("–")
    number = Decimal(str(value)) if isinstance(value, float) else value
    text = f"{abs(number):,.{places}f}"
    if number > 0:
        return Text(f"+{text}", style="green")
    if number < 0 and text.strip("0.,") != "":
        return Text(f"{MINUS}{text}", style="red")
    return Text(text)


def amount(value: Decimal | None) -> str:
    """A price or quantity exactly as the daemon has it, without trailing zeros."""
    if value is None:
        return "–"
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}".replace("-", MINUS)
    return f"{value.normalize():f}".replace("-", MINUS)


def percent(fraction: float | None, places: int = 2) -> str:
    if fraction is None:
        return "–"
    text = f"{fraction * 100:.{places}f}%"
    return text.replace("-", MINUS)


def clock_time(ts_ns: int | None) -> str:
    """`HH:MM:SS` UTC of a nanosecond timestamp."""
    if not ts_ns:
        return "–"
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%H:%M:%S")


def date_time(ts_ns: int | None) -> str:
    """`MM-DD HH:MM:SS` UTC of a nanosecond timestamp."""
    if not ts_ns:
        return "–"
    return datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).strftime("%m-%d %H:%M:%S")


def indicator(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.8g}" if abs(value) < 1e8 else f"{value:,.0f}"
