"""Property: any valid bar table written to CSV loads back identically."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradloopd.data import load_bars

prices = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)
volumes = st.floats(min_value=0.0, max_value=1e15, allow_nan=False, allow_infinity=False)


@st.composite
def bar_rows(draw: st.DrawFn) -> tuple[list[int], list[tuple[float, ...]]]:
    """Increasing epoch seconds (after 1973, so epoch ms cannot look like seconds) and OHLCV
    rows with low <= min(open, close) <= max(open, close) <= high."""
    count = draw(st.integers(1, 40))
    start = draw(st.integers(100_000_000, 4_000_000_000))
    steps = draw(st.lists(st.integers(1, 10**6), min_size=count - 1, max_size=count - 1))
    seconds = list(np.cumsum([start, *steps]))
    rows = []
    for _ in range(count):
        low, first, second, high = sorted(draw(st.lists(prices, min_size=4, max_size=4)))
        opened, closed = (first, second) if draw(st.booleans()) else (second, first)
        rows.append((opened, high, low, closed, draw(volumes)))
    return [int(s) for s in seconds], rows


def stamp(seconds: int, form: str) -> str:
    if form == "epoch_s":
        return str(seconds)
    if form == "epoch_ms":
        return str(seconds * 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(deadline=None, max_examples=60)
@given(
    table=bar_rows(),
    form=st.sampled_from(["iso", "epoch_s", "epoch_ms"]),
    name=st.sampled_from(["bars.csv", "bars.csv.gz"]),
)
def test_any_valid_bar_table_loads_back_identically(table, form, name):
    seconds, rows = table
    lines = ["timestamp,open,high,low,close,volume"] + [
        ",".join([stamp(s, form), *(repr(value) for value in row)])
        for s, row in zip(seconds, rows, strict=True)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        text = "\n".join(lines) + "\n"
        if name.endswith(".gz"):
            import gzip

            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
        bars = load_bars(path)
    assert bars.ts.tolist() == [s * 10**9 for s in seconds]
    loaded = np.column_stack([bars.open, bars.high, bars.low, bars.close, bars.volume])
    assert loaded.tolist() == [list(row) for row in rows]
