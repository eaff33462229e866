"""The fake TWS's historical bars: deterministic, cut at its clock, checked and paced as TWS does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradloopd.demo.clock import VenueClock
from tradloopd.demo.tws.catalog import DEFAULT_LISTINGS, ContractQuery
from tradloopd.demo.tws.history import HistoricalData
from tradloopd.demo.tws.inbound import HistoricalQuery
from tradloopd.demo.tws.outbound import ERR_MSG, HISTORICAL_DATA

NOW_S = 1_704_067_230  # 2024-01-01 00:00:30 UTC
LISTING = {listing.local_symbol: listing for listing in DEFAULT_LISTINGS}


def ask(data: HistoricalData, local_symbol: str = "AAPL", *, at_s: float = 0.0, **fields: object) -> list:
    listing = LISTING[local_symbol]
    query = HistoricalQuery(**({  # type: ignore[arg-type]
        "req_id": 5, "contract": ContractQuery(con_id=listing.con_id), "end": "", "bar_size": "1 secs",
        "duration": "10 S", "use_rth": False, "what_to_show": "TRADES", "format_date": 2,
        "keep_up_to_date": False} | fields))
    return data.answer(query, listing, at_s)


def bars(message: list) -> list[list]:
    assert message[0] == HISTORICAL_DATA, message
    count, rows = message[4], message[5:]
    return [rows[i * 8:(i + 1) * 8] for i in range(count)]


def error(message: list) -> tuple[int, str]:
    assert message[0] == ERR_MSG, message
    return message[3], message[4]


@pytest.fixture
def data() -> HistoricalData:
    return HistoricalData(DEFAULT_LISTINGS, VenueClock(frozen_ns=NOW_S * 1_000_000_000 + 400_000_000))


def test_bars_are_the_same_whenever_and_however_they_are_asked(data):
    ten = bars(ask(data))
    assert [row[0] for row in ten] == list(range(NOW_S - 9, NOW_S + 1))  # epoch seconds, up to now
    again = HistoricalData(DEFAULT_LISTINGS, data.clock)  # a restarted fake
    older = bars(ask(again, end="20240101 00:00:29 UTC", duration="5 S", at_s=20.0))
    assert older == ten[3:8]  # opening 24 to 28
    for _, o, h, low, c, volume, _wap, count in ten:
        assert low <= min(o, c) <= max(o, c) <= h and volume > 0 and count > 0
        assert all(price % Decimal("0.01") == 0 for price in (o, h, low, c))


def test_the_bar_forming_now_is_cut_at_now_and_final_later(data):
    forming = bars(ask(data))[-1]
    data.clock.advance(1_000_000_000)
    final = bars(ask(data, end="20240101 00:00:31 UTC", duration="2 S"))[-1]
    assert forming[0] == final[0] == NOW_S and forming[5] < final[5]


def test_forex_is_midpoint_without_volume_and_days_are_dated(data):
    [row] = bars(ask(data, "EUR.USD", what_to_show="MIDPOINT", bar_size="1 day", duration="1 D"))
    assert row[0] == "20240101" and row[5] == -1
    assert error(ask(data, "EUR.USD", at_s=20.0))[1].endswith(
        "No data of type TRADES is available for the exchange 'IDEALPRO' and the security type 'CASH'")
    assert error(ask(data, "SPX", what_to_show="MIDPOINT", at_s=40.0))[0] == 162


@pytest.mark.parametrize(("fields", "code", "text"), [
    ({"duration": "3600 S"}, 162, "Time length exceed max."),
    ({"bar_size": "7 secs"}, 321, "bar size setting is invalid"),
    ({"duration": "10 seconds"}, 321, "duration '10 seconds' is invalid"),
    ({"keep_up_to_date": True}, 321, "keepUpToDate is not served"),
    ({"end": "2024-01-01T00:00:00"}, 321, "end date/time"),
])
def test_requests_tws_refuses(data, fields, code, text):
    got_code, got_text = error(ask(data, **fields))
    assert got_code == code and text in got_text


def test_bars_not_finished_yet_are_not_served_and_a_window_without_bars_is_no_data(data):
    data.lag_ms = 3_000  # a slow HMDS: bars appear three seconds after they close
    assert bars(ask(data))[-1][0] == NOW_S - 4
    code, text = error(ask(data, duration="3 S", at_s=20.0))
    assert (code, "HMDS query returned no data" in text) == (162, True)


def test_pacing_violations_are_refused_and_counted(data):
    for i in range(5):
        bars(ask(data, end=f"20240101 00:00:{i:02d} UTC", duration="5 S", at_s=0.1 * i))
    assert "pacing violation" in error(ask(data, end="20240101 00:00:10 UTC", duration="5 S", at_s=0.6))[1]
    assert bars(ask(data, "MSFT", end="20240101 00:00:10 UTC", duration="5 S", at_s=0.7))  # another series
    assert "pacing violation" in error(ask(data, "MSFT", end="20240101 00:00:10 UTC", duration="5 S",
                                          at_s=10.0))[1]  # identical within 15 s
    assert data.pacing_violations == 2
    for i in range(53):  # the 61st request in ten minutes
        ask(data, "SPY", end=f"20240101 00:00:{i % 30:02d} UTC", duration=f"{i + 1} S", at_s=20.0 + 3 * i)
    assert data.pacing_violations == 3
