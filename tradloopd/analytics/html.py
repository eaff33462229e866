"""The self-contained HTML report page: inline CSS, charts as base64 PNG, no external URL."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from html import escape

from tradloopd.analytics.catalog import GROUPS, METRICS
from tradloopd.analytics.display import format_value
from tradloopd.analytics.rundir import Run
from tradloopd.analytics.table import GROUP_TITLES

_INFO_FIELDS = (("strategy", "Strategy"), ("params", "Parameters"), ("data", "Data"),
                ("symbols", "Symbols"), ("start", "Start"), ("end", "End"), ("bars", "Bars"),
                ("cash", "Initial cash"), ("fee", "Fee per fill"),
                ("slippage_bps", "Slippage (bps)"))

_CSS = """
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2329;
margin:0;background:#f4f5f7}
main{max-width:1140px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:16px;margin:14px 0}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{padding:3px 12px;border-bottom:1px solid #eef0f2;text-align:left;vertical-align:top}
td.v,th.v{text-align:right;white-space:nowrap}
tr.group th{background:#eef3f9;color:#2b4a6b;font-size:13px;text-transform:uppercase}
.metrics{columns:2;column-gap:28px}.metrics table{width:100%;break-inside:avoid;margin-bottom:14px}
.wide .metrics{columns:1}
figure{margin:0 0 18px}figure img{width:100%;height:auto;display:block}
figcaption{color:#5b6670;font-size:12px}code{font-size:12px}
"""


@dataclass(frozen=True, slots=True)
class EmbeddedChart:
    """One chart of the report: a caption and its PNG bytes."""

    title: str
    png: bytes


def render_page(title: str, runs: list[Run], sections: list[tuple[str, list[EmbeddedChart]]]
                ) -> str:
    """The whole HTML document: run descriptions, metrics side by side, then chart sections."""
    wide = " class=\"wide\"" if len(runs) > 2 else ""
    body = [f"<h1>{escape(title)}</h1>", _runs_html(runs),
            f"<section{wide}><h2>Metrics</h2>{_metrics_html(runs)}</section>"]
    for heading, charts in sections:
        figures = "".join(_figure_html(chart) for chart in charts)
        body.append(f"<section><h2>{escape(heading)}</h2>{figures}</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(body)}</main></body></html>\n")


def _figure_html(chart: EmbeddedChart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (f"<figure><img alt=\"{escape(chart.title)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{escape(chart.title)}</figcaption></figure>")


def _runs_html(runs: list[Run]) -> str:
    head = "".join(f"<th>{escape(run.name)}</th>" for run in runs)
    rows = []
    for key, label in _INFO_FIELDS:
        cells = "".join(f"<td>{_info_text(run.info.get(key))}</td>" for run in runs)
        rows.append(f"<tr><th>{label}</th>{cells}</tr>")
    return f"<section><h2>Runs</h2><table><tr><th></th>{head}</tr>{''.join(rows)}</table></section>"


def _info_text(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, dict):
        return "<code>" + escape(json.dumps(value, sort_keys=True)) + "</code>"
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


def _metrics_html(runs: list[Run]) -> str:
    names = "".join(f"<th class=\"v\">{escape(run.name)}</th>" for run in runs)
    tables = []
    for group in GROUPS:
        rows = [f"<tr class=\"group\"><th>{GROUP_TITLES[group]}</th>{names}</tr>"]
        for metric in (m for m in METRICS if m.group == group):
            cells = "".join(f"<td class=\"v\">{format_value(metric.fmt, run.metrics.get(metric.key))}"
                            "</td>" for run in runs)
            rows.append(f"<tr><td title=\"{escape(metric.definition)}\">{escape(metric.label)}"
                        f"</td>{cells}</tr>")
        tables.append(f"<table>{''.join(rows)}</table>")
    return f"<div class=\"metrics\">{''.join(tables)}</div>"
