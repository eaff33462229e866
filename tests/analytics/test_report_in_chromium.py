"""The HTML report renders in headless Chromium: not blank, charts drawn, no console errors,
no request leaving the file. Skips when no Chromium binary is installed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from chromium_cdp import PageVisit, find_chromium, visit

CHART_BLUE = np.array([0x1F, 0x5F, 0xA8]) / 255  # the equity line colour in charts.PALETTE


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium, "
                    "or set TRADLOOPD_CHROMIUM to a Chromium/Chrome executable)")
    return binary


def pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")[..., :3]


def test_report_renders_offline_without_errors(chromium: str, single_report: Path,
                                               tmp_path: Path) -> None:
    page = visit(chromium, single_report.as_uri(), tmp_path / "profile", height=2600)
    assert page.console_errors == []
    assert all(url.startswith(("file:", "data:")) for url in page.requested_urls), (
        page.requested_urls)
    assert len(page.images) == 5
    assert all(image["complete"] and image["width"] > 500 for image in page.images)
    shot = pixels(page.screenshot_png)
    background = np.median(shot.reshape(-1, 3), axis=0)
    assert np.mean(np.abs(shot - background).sum(axis=-1) > 0.1) > 0.05, "screenshot is blank"
    assert np.sum(np.abs(shot - CHART_BLUE).sum(axis=-1) < 0.08) > 500, "no equity line drawn"


def test_the_check_catches_a_broken_page(chromium: str, tmp_path: Path) -> None:
    """Negative control: the same visit reports console errors and a missing image."""
    broken = tmp_path / "broken.html"
    broken.write_text('<html><body><p>text</p><img src="missing.png">'
                      '<script>console.error("boom")</script></body></html>')
    page: PageVisit = visit(chromium, broken.as_uri(), tmp_path / "profile")
    assert "boom" in page.console_errors
    assert any("ERR_FILE_NOT_FOUND" in error for error in page.console_errors)
    assert any(url.endswith("missing.png") for url in page.requested_urls)
    assert page.images == [{"complete": True, "width": 0, "height": 0}]
