"""`tradloopd data check FILE` prints every problem with file and line and exits 0 only when clean."""

from __future__ import annotations

import io

from tradloopd.data import check_command


def run_check(path: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = check_command(path, out=out)
    return code, out.getvalue().splitlines()


def bar(minute: int, low: str = "99") -> str:
    return f"2024-01-01T00:{minute:02d}:00Z,100,101,{low},100.5,1"


def test_clean_file_exits_0_with_a_description(write_csv):
    path = write_csv(bar(0), bar(1), bar(2), name="binance_spot_BTCUSDT_1m.csv")
    code, lines = run_check(path)
    assert code == 0
    assert lines == [
        f"{path}: 3 rows, 0 problems, 0 gaps",
        f"{path}: OK: 3 bars BTCUSDT from 2024-01-01T00:00:00Z to 2024-01-01T00:02:00Z, "
        "timeframe 1m, price decimals 1",
    ]


def test_every_problem_is_listed_and_exit_code_is_1(write_csv):
    path = write_csv(*(bar(minute, low="0" if minute % 2 else "99") for minute in range(60)))
    code, lines = run_check(path)
    assert code == 1
    assert lines[0] == f"{path}: 60 rows, 30 problems, 0 gaps"
    assert lines[1] == f"{path} line 3: low 0.0 is not positive"
    assert len(lines) == 32  # summary, 30 problems (uncapped), advice
    assert lines[-1] == (
        f"{path}: refused as it is; fix the rows listed above, or pass --clean to drop or sort them"
    )


def test_gaps_are_shown_capped_and_do_not_fail(write_csv):
    path = write_csv(*(bar(minute) for minute in range(60) if minute % 4 != 3))
    code, lines = run_check(path)
    assert code == 0
    assert lines[0] == f"{path}: 45 rows, 0 problems, 14 gaps"
    assert lines[1] == (
        f"{path} line 5: gap of 2m between 2024-01-01T00:02:00Z and 2024-01-01T00:04:00Z (1 missing 1m bar)"
    )
    assert lines[11] == (
        "... and 4 more gaps (information only: weekends, holidays and exchange outages show as gaps)"
    )
    assert lines[12].startswith(f"{path}: OK: 45 bars")


def test_unreadable_and_headerless_files_exit_1(write_csv, tmp_path):
    code, lines = run_check(str(tmp_path / "missing.csv"))
    assert (code, lines) == (1, [f"{tmp_path / 'missing.csv'}: no such file"])
    path = write_csv("1,2,3", header="a,b,c")
    code, lines = run_check(path)
    assert code == 1
    assert lines[1].startswith(f"{path} line 1: missing columns 'timestamp', 'open'")
    assert lines[-1] == f"{path}: cannot be used; fix the file"


def test_importing_the_command_does_not_import_pandas_numpy_or_pyarrow(run_python):
    code = (
        "import sys\n"
        "import tradloopd.data, tradloopd.data.check\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))\n"
    )
    assert run_python(code).strip() == "[]"
