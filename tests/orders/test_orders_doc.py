"""docs/orders.md stays true to the tests: every test it names exists, and every type is there."""

from __future__ import annotations

import re
from pathlib import Path

from tradloopd import messages

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "orders.md").read_text()


def test_every_test_the_doc_names_exists():
    named = set(re.findall(r"`(?:[\w/.]+::)?(test_\w+)`", DOC))
    defined = {m for path in (ROOT / "tests").rglob("test_*.py")
               for m in re.findall(r"^(?:async )?def (test_\w+)", path.read_text(), flags=re.M)}
    assert len(named) > 40
    assert named - defined == set()


def test_every_algorithm_and_order_term_is_documented():
    for algo in messages.Algo.__args__:  # type: ignore[attr-defined]
        assert f"`{algo.__name__}" in DOC or f"{algo.__name__}(" in DOC, algo.__name__
    for field in ("trail", "if_touched", "oca_group", "oto_parent", "combo", "algo"):
        assert f"`{field}`" in DOC, field
    for event in ("OrderPlaced", "OrderModified", "AlgoFilled"):
        assert f"`{event}`" in DOC, event
