"""Loading reads the file shapes real data comes in: header spellings, time formats, gzip, Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradloopd.data import load_bars, load_many, symbol_from_path
from tradloopd.errors import DataError

T0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z
HOUR = 3_600 * 10**9
ROWS = ("100.5,101.25,99.75,101.0,12.5", "101.0,102.0,100.5,101.5,3")


def rows_with(stamps: tuple[str, str]) -> list[str]:
    return [f"{stamp},{values}" for stamp, values in zip(stamps, ROWS, strict=True)]


@pytest.mark.parametrize(
    "stamps",
    [
        ("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"),
        ("2024-01-01T00:00:00", "2024-01-01 01:00:00"),
        ("2024-01-01T02:00:00+02:00", "2024-01-01T01:00:00+00:00"),
        ("2024-01-01T00:00:00Z", "2024-01-01T01:00:00.000Z"),
        ("1704067200", "1704070800"),
        ("1704067200000", "1704070800000"),
        ("1704067200000000", "1704070800000000"),
        ("1704067200000000000", "1704070800000000000"),
        ("1704067200.0", "1704070800.0"),
    ],
)
def test_timestamp_forms_give_the_same_utc_nanoseconds(write_csv, stamps):
    bars = load_bars(write_csv(*rows_with(stamps)))
    assert list(bars.ts) == [T0, T0 + HOUR]
    assert bars.timeframe_ns == HOUR


def test_plain_dates_are_midnight_utc_and_mixed_forms_are_read_value_by_value(write_csv):
    bars = load_bars(write_csv(*rows_with(("2024-01-01", "2024-01-01T01:00:00+00:00"))))
    assert list(bars.ts) == [T0, T0 + HOUR]


def test_fractional_epoch_seconds_keep_their_fraction(write_csv):
    bars = load_bars(write_csv(*rows_with(("1704067200.25", "1704067200.5"))))
    assert list(bars.ts) == [T0 + 250_000_000, T0 + 500_000_000]


def test_an_epoch_value_in_another_unit_is_a_bad_timestamp(write_csv):
    path = write_csv("1704067200000,1,1,1,1,1", "1704070800,1,1,1,1,1", "1704074400000,1,1,1,1,1")
    with pytest.raises(DataError, match=r"line 3: cannot read timestamp 1704070800 "):
        load_bars(path)


def test_header_names_are_case_insensitive_with_aliases_and_extra_columns(write_csv):
    path = write_csv(
        "2024-01-01T00:00:00Z,BTC,100,101,99,100.5,7,x",
        header="\ufeffOpen_Time,Symbol,Open,HIGH,Low,Close,Volume,Note",
    )
    bars = load_bars(path)
    assert list(bars.ts) == [T0] and list(bars.close) == [100.5] and list(bars.volume) == [7.0]
    dated = write_csv("2024-01-01,1,2,0.5,1.5,0", header="Date,Open,High,Low,Close,Volume", name="d.csv")
    assert list(load_bars(dated).ts) == [T0]


def test_gzip_and_parquet_round_trip_exactly(write_csv, tmp_path):
    plain = load_bars(write_csv(*rows_with(("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"))))
    zipped = load_bars(
        write_csv(*rows_with(("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z")), name="x.csv.gz")
    )
    parquet_path = tmp_path / "bars.parquet"
    plain.to_frame().to_parquet(parquet_path)
    from_parquet = load_bars(parquet_path)
    for other in (zipped, from_parquet):
        assert np.array_equal(other.ts, plain.ts)
        for name, values in plain.columns().items():
            assert np.array_equal(other.columns()[name], values), name
    assert plain.price_decimals == 2


@pytest.mark.parametrize(
    "stamps",
    [
        pd.Series([T0, T0 + HOUR]).astype("datetime64[ns]"),  # naive: UTC
        pd.Series(pd.to_datetime([T0, T0 + HOUR], utc=True)).dt.tz_convert("America/New_York"),
        pd.Series([T0 // 10**6, (T0 + HOUR) // 10**6]),  # epoch ms integers
        pd.Series(["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"]),
    ],
)
def test_parquet_timestamps_in_any_type(tmp_path, stamps):
    path = tmp_path / "bars.parquet"
    frame = pd.DataFrame(
        {
            "timestamp": stamps,
            "open": [1.0, 2],
            "high": [2.0, 3],
            "low": [1.0, 1],
            "close": [2.0, 2],
            "volume": [1, 2],
        }
    )
    frame.to_parquet(path)
    assert list(load_bars(path).ts) == [T0, T0 + HOUR]


def test_files_that_cannot_be_read_say_why(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_bars(tmp_path / "nope.csv")
    (tmp_path / "bars.json").write_text("{}")
    with pytest.raises(DataError, match=r"bars\.json: unknown file type; expected one of .csv"):
        load_bars(tmp_path / "bars.json")
    (tmp_path / "broken.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"broken\.csv\.gz: cannot read the file"):
        load_bars(tmp_path / "broken.csv.gz")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 but not really")
    with pytest.raises(DataError, match=r"broken\.parquet: cannot read the file as Parquet"):
        load_bars(tmp_path / "broken.parquet")
    (tmp_path / "latin1.csv").write_bytes(b"timestamp,open,high,low,close,volume\n2024-01-01,1,1,1,1,1\xe9\n")
    with pytest.raises(DataError, match=r"latin1\.csv: not UTF-8 text \(byte 57\); save it as UTF-8"):
        load_bars(tmp_path / "latin1.csv")


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("binance_spot_BTCUSDT_5m.csv.gz", "BTCUSDT"),
        ("quandl_wiki_AAPL_1d.csv", "AAPL"),
        ("oanda_EURUSD_bid_1h.csv.gz", "EURUSD"),
        ("data/ETHUSDT-1h.parquet", "ETHUSDT"),
        ("SPY.csv", "SPY"),
        ("prices.csv", "prices"),
        ("btc_perp_1m_2022-01.csv.gz", "btc_perp_1m_2022-01"),
    ],
)
def test_symbol_comes_from_the_file_name(name, symbol):
    assert symbol_from_path(name) == symbol


def test_symbol_can_be_given(write_csv):
    path = write_csv(*rows_with(("2024-01-01", "2024-01-02")), name="quandl_wiki_AAPL_1d.csv")
    assert load_bars(path).symbol == "AAPL"
    assert load_bars(path, symbol="AAPL.US").symbol == "AAPL.US"


def test_load_many_reads_a_directory_sorted_by_symbol(tmp_path, write_csv):
    rows = rows_with(("2024-01-01", "2024-01-02"))
    write_csv(*rows, name="b_MSFT_1d.csv")
    write_csv(*rows, name="a_IBM_1d.csv.gz")
    load_bars(write_csv(*rows, name="x.csv")).to_frame().to_parquet(tmp_path / "AAPL.parquet")
    (tmp_path / "x.csv").unlink()
    (tmp_path / ".hidden").write_text("ignored")
    assert [s.symbol for s in load_many(tmp_path)] == ["AAPL", "IBM", "MSFT"]
    assert [s.symbol for s in load_many([tmp_path / "b_MSFT_1d.csv"])] == ["MSFT"]


def test_load_many_refuses_empty_dirs_unknown_files_and_repeated_symbols(tmp_path: Path):
    with pytest.raises(DataError, match="no bar files to load"):
        load_many(tmp_path)
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match=r"cannot load notes\.txt \(unknown file type"):
        load_many(tmp_path)
    (tmp_path / "notes.txt").unlink()
    for name in ("x_AAPL_1d.csv", "y_AAPL_1h.csv"):
        (tmp_path / name).write_text("timestamp,open,high,low,close,volume\n2024-01-01,1,1,1,1,1\n")
    with pytest.raises(DataError, match="both give symbol AAPL; keep one file per symbol"):
        load_many(tmp_path)
    with pytest.raises(DataError, match="not a directory"):
        load_many(tmp_path / "x_AAPL_1d.csv")
