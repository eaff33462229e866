"""Calendar-month and calendar-year returns of an equity curve, for the report's heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def monthly_returns(equity: pd.Series, initial_value: float | None = None) -> pd.DataFrame:
    """Years x months (1..12) table of compounded returns, plus a 'year' column.

    Each month compares its last mark with the previous month's last mark; the first month
    compares with `initial_value` (default: the first mark). Months without marks are NaN.
    """
    import pandas as pd

    base = float(equity.iloc[0]) if initial_value is None else float(initial_value)
    month_end = equity.resample("ME").last().dropna()
    previous = month_end.shift(1).fillna(base)
    returns = month_end / previous - 1.0
    table = pd.DataFrame({"year": returns.index.year, "month": returns.index.month,
                          "value": returns.to_numpy()})
    grid = table.pivot(index="year", columns="month", values="value")
    grid = grid.reindex(columns=range(1, 13))
    grid["year"] = (1.0 + grid.fillna(0.0)).prod(axis=1) - 1.0
    return grid
