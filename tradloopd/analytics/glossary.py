"""Renders `docs/metrics.md` from the metric catalogue: `python -m tradloopd.analytics.glossary`."""

from __future__ import annotations

import sys
from pathlib import Path

from tradloopd.analytics.catalog import GROUPS, METRICS
from tradloopd.analytics.table import GROUP_TITLES

DOC_PATH = Path("docs") / "metrics.md"

_INTRO = """\
# Metrics

`tradloopd.analytics.compute_metrics` returns these keys, in this order, in `metrics.json`,
the terminal table and the HTML report. This file is generated from
`tradloopd/analytics/catalog.py` by `python -m tradloopd.analytics.glossary`; a test keeps it
in sync.

## Conventions

- **Bar returns** `r_i = E_i / E_(i-1) - 1` between consecutive equity marks (bar closes);
  `n` is their count. Total return and CAGR use the initial cash `C` as the base; the two agree
  with compounded bar returns whenever the first mark equals the initial cash.
- **Annualisation by the real calendar.** `P` (periods per year) = `n / Y`, where `Y` is the
  time between the first and last mark in 365.25-day years. 24/7 5-minute crypto gives about
  105,190, US daily stocks about 252, EUR/USD daily bars (with Sunday-evening bars) about 310,
  24/7 hourly 8,766. Pass `periods_per_year=` to override it (for example for a very short run).
  CAGR always uses calendar years.
- **Risk-free rate** 0. Sortino, Omega and the VaR family use a 0 threshold.
- **Signs.** Drawdowns, VaR and CVaR are negative fractions (a 5% loss is -0.05); VaR and CVaR
  are per bar, not annualised.
- **Ruin.** Bar returns stop at the first mark with equity <= 0 (that return is -100%); CAGR is
  then -100%.
- **Trades.** A win has net pnl > 0, a loss pnl < 0; break-even trades count as trades, are not
  wins, and end both streaks. Trade return = pnl / (qty * entry price).
- **Undefined values are `null`** (`n/a` in tables), never NaN or infinity: fewer returns than
  a statistic needs (2 for dispersion, 3 for skew, 4 for kurtosis), a standard deviation
  <= 1e-12 (flat equity, constant growth), no losing bar (Sortino, Omega), no drawdown
  (Calmar), no losing or no winning trade (profit factor, payoff ratio, Kelly), no trades, no
  benchmark, a flat benchmark (alpha, beta).
- **Benchmark** `B`: a value series aligned with the equity marks, by default buy and hold of
  the traded instrument scaled to the initial cash, an equal-weight basket for several symbols.
  `b_i` are its bar returns.
- **Durations** are seconds in `metrics.json` (keys ending `_s`) and human-readable in tables.

## Checked against reference libraries

`tests/analytics/test_metric_reference.py` recomputes the metrics with
[empyrical-reloaded] and [quantstats] (and scipy for skew, kurtosis and normal expected
shortfall) on the same bar returns and periods per year, on a synthetic daily series, BTC/USDT
5-minute bars and AAPL daily bars against SPY; relative tolerance 1e-9. Convention differences,
converted in the test: the ulcer index divides by the number of marks (quantstats: returns - 1);
the information ratio is annualised (both libraries: per bar); alpha is `a * P` (as quantstats;
empyrical compounds `(1 + a)^P - 1`); quantstats' win rate leaves break-even trades out.
Trade metrics are also checked against hand-computed answers.

[empyrical-reloaded]: https://pypi.org/project/empyrical-reloaded/
[quantstats]: https://pypi.org/project/quantstats/
"""


def render_markdown() -> str:
    """The full text of docs/metrics.md."""
    parts = [_INTRO]
    for group in GROUPS:
        parts.append(f"\n## {GROUP_TITLES[group]}\n\n| key | label | definition | formula |\n"
                     "|---|---|---|---|\n")
        for m in (m for m in METRICS if m.group == group):
            formula = m.formula.replace("|", "\\|")
            definition = m.definition.replace("|", "\\|")
            parts.append(f"| `{m.key}` | {m.label} | {definition} | `{formula}` |\n")
    return "".join(parts)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DOC_PATH
    target.write_text(render_markdown(), encoding="utf-8")
    print(target)
