"""How metric values read to a person: percents, ratios, money, durations, and `n/a` for None."""

from __future__ import annotations

import math

from tradloopd.analytics.catalog import Format

NOT_AVAILABLE = "n/a"

_UNITS = (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def format_value(fmt: Format, value: float | int | None) -> str:
    """The value in the metric's display format."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_AVAILABLE
    match fmt:
        case "pct":
            return f"{value * 100:,.2f}%"
        case "pct3":
            return f"{value * 100:,.3f}%"
        case "ratio":
            return f"{value:,.2f}"
        case "money":
            return f"{value:,.2f}"
        case "duration":
            return format_duration(float(value))
        case "int":
            return f"{int(value):,}"
        case "float":
            return f"{value:,.2f}"
    raise ValueError(f"unknown metric format {fmt!r}")


def format_duration(seconds: float) -> str:
    """Two most significant units, e.g. '3d 4h', '2h 5m', '45s'; '0s' for zero."""
    remaining = round(abs(seconds))
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    text = " ".join(p for p in parts if not p.startswith("0")) or "0s"
    return f"-{text}" if seconds < 0 else text
