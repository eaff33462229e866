"""Backtest analytics: metrics from the equity curve and trades, the terminal table, reports.

Light to import: `compute_metrics` needs only numpy; pandas and matplotlib load inside the
report functions.
"""

from tradloopd.analytics.catalog import METRICS, Metric
from tradloopd.analytics.inputs import EquityCurve, TradeLog
from tradloopd.analytics.metrics import compute_metrics

__all__ = ["METRICS", "EquityCurve", "Metric", "TradeLog", "compute_metrics"]
