"""`tradloopd data fetch` against the fake Binance: paging, resume after an interruption, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.demo.conftest import T0_NS
from tradloopd.cli import main
from tradloopd.data.fetch import FetchRequest, fetch, parse_utc_ms
from tradloopd.data.load import load_bars
from tradloopd.demo.binance import FakeBinance
from tradloopd.errors import ConfigError, DataError

DAY_MS = 86_400_000
NOW_MS = T0_NS // 1_000_000  # 2024-01-01 00:00:00.5 UTC, the fake's frozen clock


def request(fake: FakeBinance, out: Path, **changes: object) -> FetchRequest:
    fields: dict[str, object] = {"exchange": "binance", "symbol": "BTC/USDT", "timeframe": "1m",
                                 "since_ms": parse_utc_ms("2023-12-30", "--since"), "out_dir": out,
                                 "base_url": fake.url, "backoff_initial_s": 0.01, "backoff_max_s": 0.02}
    return FetchRequest(**(fields | changes))  # type: ignore[arg-type]


def klines(fake: FakeBinance) -> list[int]:
    return [int(r.params["startTime"]) for r in fake.requests("/api/v3/klines")]


def test_fetch_pages_through_the_history_and_writes_the_engine_format(fake, tmp_path, capsys):
    code = main(["data", "fetch", "--symbol", "BTC/USDT", "--timeframe", "1m", "--since", "2023-12-30",
                 "--out", str(tmp_path), "--base-url", fake.url])
    out = capsys.readouterr().out
    path = tmp_path / "binance_BTCUSDT_1m.csv"
    assert code == 0, out
    assert f"{path}: 2880 candles written in 3 pages" in out and "OK: 2880 bars BTCUSDT" in out
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,open,high,low,close,volume"
    assert lines[1].startswith("2023-12-30T00:00:00Z,") and lines[-1].startswith("2023-12-31T23:59:00Z,")
    starts = klines(fake)
    assert starts == [NOW_MS - 2 * DAY_MS - 500 + n * 60_000_000 for n in (0, 1, 2)]
    bars = load_bars(path)
    assert len(bars) == 2880 and bars.timeframe_ns == 60_000_000_000


def test_an_interrupted_download_resumes_from_the_file(fake, tmp_path):
    whole = fetch(request(fake, tmp_path / "whole"))
    first = request(fake, tmp_path / "parts")

    def interrupt(done: int, expected: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch(first, progress=interrupt)
    with first.path.open("a") as handle:
        handle.write("2023-12-30T16:40:00Z,4")  # a row cut short by the interruption
    before = len(fake.requests("/api/v3/klines"))
    resumed = fetch(first)
    assert resumed.resumed_after_ms == parse_utc_ms("2023-12-30T16:39:00Z", "")
    assert (resumed.written, resumed.pages) == (2880 - 1000, 2)
    assert klines(fake)[before] == parse_utc_ms("2023-12-30T16:40:00Z", "")
    assert first.path.read_text() == whole.path.read_text()
    again = fetch(first)  # complete: nothing to do
    assert (again.written, again.pages) == (0, 0)


def test_until_stops_before_it_and_the_forming_candle_is_never_written(fake, tmp_path):
    done = fetch(request(fake, tmp_path, until_ms=parse_utc_ms("2023-12-30T01:00", "")))
    assert done.written == 60
    recent = fetch(request(fake, tmp_path / "recent", since_ms=NOW_MS - 500 - 5 * 60_000))
    assert recent.written == 5  # 23:55 .. 23:59; the 00:00 candle is still forming
    with pytest.raises(ConfigError, match="--until must be after --since"):
        fetch(request(fake, tmp_path, until_ms=0))


def test_outages_and_rate_limits_are_retried(fake, tmp_path):
    fake.fail("/api/v3/klines", status=503, times=2)
    fake.fail("/api/v3/klines", status=429, retry_after_s=0.01, times=1)
    done = fetch(request(fake, tmp_path, since_ms=parse_utc_ms("2023-12-31T12:00", "")))
    assert done.written == 720
    assert [r.status for r in fake.requests("/api/v3/klines")] == [503, 503, 429, 200]


def test_the_result_is_validated_and_problems_reported(fake, tmp_path, capsys):
    path = tmp_path / "binance_BTCUSDT_1h.csv"
    path.write_text("timestamp,open,high,low,close,volume\n"
                    "2023-12-31T10:00:00Z,1,2,1,2,5\n"
                    "2023-12-31T10:00:00Z,1,2,1,2,5\n")
    code = main(["data", "fetch", "--symbol", "BTC/USDT", "--since", "2023-12-31T10:00", "--out",
                 str(tmp_path), "--base-url", fake.url])
    out = capsys.readouterr().out
    assert code == 1 and "13 candles written" in out and "duplicate" in out.lower()


def test_a_file_the_command_did_not_write_is_left_alone(fake, tmp_path):
    target = request(fake, tmp_path).path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("date;price\n")
    with pytest.raises(DataError, match="not a file this command wrote"):
        fetch(request(fake, tmp_path))
    assert target.read_text() == "date;price\n"
