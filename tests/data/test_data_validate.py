"""Malformed bar files are refused with file, line and problem; clean mode repairs and reports."""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from tradloopd.data import load_bars, load_bars_checked
from tradloopd.errors import DataError

T0 = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z
MINUTE = 60 * 10**9


def bar(
    minute: int, o: str = "100.0", h: str = "101.0", lo: str = "99.0", c: str = "100.5", v: str = "10"
) -> str:
    return f"2024-01-01T00:{minute:02d}:00Z,{o},{h},{lo},{c},{v}"


def refusal(path: str) -> str:
    with pytest.raises(DataError) as caught:
        load_bars(path)
    return str(caught.value)


def only_problem(path: str, message: str) -> str:
    return f"{path} {message} — run 'tradloopd data check {path}' for details, or pass --clean"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (bar(1, h="101.5", c="102.0"), "line 3: high 101.5 is below close 102.0 (OHLC violation)"),
        (bar(1, o="102.0"), "line 3: high 101.0 is below open 102.0 (OHLC violation)"),
        (bar(1, lo="100.2"), "line 3: low 100.2 is above open 100.0 (OHLC violation)"),
        (bar(1, o="abc"), "line 3: cannot read open 'abc' as a number"),
        (bar(1, c=""), "line 3: empty close"),
        (bar(1, c="NaN"), "line 3: close is missing (NaN)"),
        (bar(1, h="inf"), "line 3: high is infinite (inf)"),
        (bar(1, lo="0"), "line 3: low 0.0 is not positive"),
        (bar(1, lo="-1"), "line 3: low -1.0 is not positive"),
        (bar(1, v="-3"), "line 3: volume -3.0 is negative"),
        (bar(1) + ",7", "line 3: expected 6 fields, found 7"),
        (bar(1).rsplit(",", 1)[0], "line 3: expected 6 fields, found 5"),
        (
            "yesterday,100,101,99,100,1",
            "line 3: cannot read timestamp yesterday (expected ISO-8601 such as "
            "2024-01-31T09:30:00Z, a date, or epoch s/ms/us/ns)",
        ),
        (",100,101,99,100,1", "line 3: empty timestamp"),
    ],
)
def test_one_bad_row_is_named_by_file_line_and_problem(write_csv, row, message):
    path = write_csv(bar(0), row, bar(2))
    assert refusal(path) == only_problem(path, message)


def test_duplicates_and_order_are_named_with_the_other_line(write_csv):
    exact = write_csv(bar(0), bar(1), bar(1), bar(2), name="exact.csv")
    assert refusal(exact) == only_problem(
        exact, "line 4: duplicate of line 3 (timestamp 2024-01-01T00:01:00Z, same values)"
    )
    conflict = write_csv(bar(0), bar(1), bar(2), bar(1, c="100.7", v="12"), name="conflict.csv")
    assert refusal(conflict) == only_problem(
        conflict,
        "line 5: timestamp 2024-01-01T00:01:00Z already on line 3 with other values "
        "(close 100.7 vs 100.5, volume 12.0 vs 10.0); conflicting duplicate",
    )
    late = write_csv(bar(0), bar(2), bar(1), bar(3), name="order.csv")
    assert refusal(late) == only_problem(
        late,
        "line 4: timestamp 2024-01-01T00:01:00Z is earlier than 2024-01-01T00:02:00Z on line 3 "
        "(out of order)",
    )


def test_first_problem_is_shown_with_the_count_of_the_rest(write_csv):
    # the last row is no duplicate: the row it repeats is unusable
    path = write_csv(bar(0), bar(1, o="x"), bar(2, lo="0"), bar(3, h="99.5"), bar(3))
    assert refusal(path) == (
        f"{path} line 3: cannot read open 'x' as a number; 2 more problems — "
        f"run 'tradloopd data check {path}' for all, or pass --clean"
    )


def test_blank_lines_are_skipped_but_counted_in_line_numbers(write_csv):
    path = write_csv(bar(0), "", bar(1), "", "", bar(2, lo="100.2"))
    assert refusal(path) == only_problem(path, "line 7: low 100.2 is above open 100.0 (OHLC violation)")
    clean = write_csv(bar(0), "", bar(1), "", name="blank.csv")
    assert len(load_bars(clean)) == 2


def test_line_numbers_hold_in_gzip_files_and_after_rows_with_wrong_field_counts(write_csv):
    path = write_csv(bar(0), bar(1) + ",9", bar(2), bar(3, v="-1"), name="x.csv.gz")
    _, report = load_bars_checked(path, clean=True)
    assert [(p.line, p.kind) for p in report.errors] == [(3, "bad_row"), (5, "negative_volume")]


def test_missing_column_and_empty_file_cannot_be_cleaned(write_csv):
    path = write_csv(bar(0), header="timestamp,open,high,low,close")
    expected = (
        f"{path} line 1: missing column 'volume' (found: timestamp, open, high, low, close); "
        "expected timestamp,open,high,low,close,volume in any case, with "
        "date/datetime/time/open_time also accepted for timestamp"
    )
    assert refusal(path) == expected
    with pytest.raises(DataError, match="missing column 'volume'"):
        load_bars(path, clean=True)
    empty = write_csv(name="empty.csv")
    with pytest.raises(DataError) as caught:
        load_bars(empty, clean=True)
    assert str(caught.value) == f"{empty} line 1: no data rows after the header"


def test_nothing_usable_left_after_cleaning_is_refused(write_csv):
    path = write_csv(bar(0, o="x"), bar(1, lo="0"))
    with pytest.raises(DataError) as caught:
        load_bars(path, clean=True)
    assert str(caught.value) == f"{path} line 1: none of the 2 data rows is usable"


def test_gaps_are_information_and_do_not_refuse(write_csv):
    path = write_csv(bar(0), bar(1), bar(2), bar(6), bar(7), bar(9))
    bars, report = load_bars_checked(path)
    assert len(bars) == 6 and bars.timeframe_ns == MINUTE
    assert report.ok and not report.errors
    assert [report.describe(p) for p in report.infos] == [
        f"{path} line 5: gap of 4m between 2024-01-01T00:02:00Z and 2024-01-01T00:06:00Z (3 missing 1m bars)",
        f"{path} line 7: gap of 2m between 2024-01-01T00:07:00Z and 2024-01-01T00:09:00Z (1 missing 1m bar)",
    ]


def test_clean_drops_repairs_and_reports_each_row(write_csv):
    path = write_csv(
        bar(0),
        bar(2),
        bar(1),  # out of order: sorted
        bar(3, h="99"),  # OHLC violation: dropped
        bar(2),  # exact duplicate of line 3: dropped
        bar(1, c="100.7"),  # conflicts with line 4: the first is kept
        bar(4, o="?"),  # unparsable: dropped
        bar(5),
    )
    bars, report = load_bars_checked(path, clean=True)
    assert list(bars.ts) == [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 5 * MINUTE]
    assert bars.close[1] == 100.5  # the first of the conflicting rows
    assert (report.rows, report.kept, report.cleaned) == (8, 4, True)
    assert [(p.line, p.kind) for p in report.problems] == [
        (4, "out_of_order"),
        (5, "ohlc_violation"),
        (6, "duplicate"),
        (7, "conflicting_duplicate"),
        (8, "bad_number"),
        (9, "gap"),
    ]
    text = report.format().splitlines()
    assert text[0] == f"{path}: 8 rows, 5 problems, 1 gap, cleaned: kept 4 of 8 rows"
    assert text[2] == f"{path} line 5: high 99.0 is below open 100.0 (OHLC violation) — row dropped"
    assert text[4].endswith("conflicting duplicate — first row kept, this one dropped")
    assert text[1].endswith("(out of order) — moved into time order")


def test_clean_on_a_clean_file_changes_nothing(write_csv):
    path = write_csv(bar(0), bar(1), bar(2))
    bars, report = load_bars_checked(path, clean=True)
    assert len(bars) == 3 and report.problems == () and report.kept == 3


def test_report_format_is_capped_and_entries_are_structured(write_csv):
    path = write_csv(*(bar(minute, lo="0") for minute in range(30)))
    with pytest.raises(DataError, match="29 more problems"):
        load_bars(path)
    from tradloopd.data.read import read_table
    from tradloopd.data.validate import check_table

    report = check_table(read_table(path)).report
    lines = report.format(limit=5).splitlines()
    assert len(lines) == 7 and lines[-1] == "... and 25 more"
    assert len(report.format(limit=None).splitlines()) == 31
    decoded = msgspec.json.decode(msgspec.json.encode(report.problems[0]))
    assert decoded == {
        "file": path,
        "line": 2,
        "column": "low",
        "kind": "non_positive_price",
        "message": "low 0.0 is not positive",
    }


def test_parquet_problems_are_numbered_by_row(tmp_path):
    import pandas as pd

    path = str(tmp_path / "bars.parquet")
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2024-01-01", periods=3, freq="1min", tz="UTC"),
            "open": [100.0, None, 100.0],
            "high": [101.0, 101.0, 101.0],
            "low": [99.0, 99.0, 99.0],
            "close": [100.0, 100.0, 102.0],
            "volume": [1.0, 1.0, 1.0],
        }
    )
    frame.to_parquet(path)
    with pytest.raises(DataError) as caught:
        load_bars(path)
    assert str(caught.value).startswith(f"{path} row 2: open is missing (null); 1 more problem")
    bars, report = load_bars_checked(path, clean=True)
    assert len(bars) == 1
    assert [report.describe(p) for p in report.errors][1] == (
        f"{path} row 3: high 101.0 is below close 102.0 (OHLC violation) — row dropped"
    )
    assert np.array_equal(bars.close, [100.0])
