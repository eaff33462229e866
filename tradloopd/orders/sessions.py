"""When a DAY order ends: at its instrument's session close, in the instrument's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tradloopd.model import Instrument

NS_PER_S = 1_000_000_000


def session_end(ts_ns: int, instrument: Instrument) -> int:
    """The first session close strictly after `ts_ns` (an order placed exactly at a close lives
    through the whole next session). Every calendar day has a close; holidays are not known."""
    zone = UTC if instrument.timezone == "UTC" else ZoneInfo(instrument.timezone)
    local = datetime.fromtimestamp(ts_ns // NS_PER_S, tz=zone)
    close = datetime.combine(local.date(), instrument.session_close, tzinfo=zone)
    if close.timestamp() * NS_PER_S <= ts_ns:
        close = datetime.combine(local.date() + timedelta(days=1), instrument.session_close, tzinfo=zone)
    return int(close.timestamp()) * NS_PER_S
