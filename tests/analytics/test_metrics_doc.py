"""docs/metrics.md is generated from the catalogue and documents every metric."""

from __future__ import annotations

from pathlib import Path

from tradloopd.analytics.catalog import METRICS
from tradloopd.analytics.glossary import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_docs_metrics_md_is_in_sync() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/metrics.md is stale: run `python -m tradloopd.analytics.glossary`"
    )


def test_every_metric_has_a_row_with_definition_and_formula() -> None:
    text = render_markdown()
    for metric in METRICS:
        assert f"| `{metric.key}` | {metric.label} |" in text
        assert metric.definition.strip() and metric.formula.strip()
        assert metric.definition.endswith("."), metric.key
