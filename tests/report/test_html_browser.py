"""report.html opened in a real headless browser (Debian's chromium), as a person would look at it:
the page is not blank, every picture loaded, and it fits a phone's width.

Skipped, with the reason, only where no chromium can be found (`.ci/run` installs it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from grader.report.html import write
from tests.report.test_html import report_with_pictures

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless browser: install Debian's chromium (apt-get install chromium; .ci/run does)")


def natural_widths(page_file: Path, viewport: dict[str, int], shot: Path) -> tuple[list, int, str, list[str]]:
    """Open the page: each image's (loaded, natural width), the sideways overflow, the text, the requests."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency: pip install -e '.[dev]'")
    executable = browser()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            page = chromium.new_context(viewport=viewport).new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            widths = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            text = page.inner_text("body")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            chromium.close()
    return widths, overflow, text, requests


def test_a_broken_picture_is_seen_as_broken(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><img src="data:image/png;base64,AAAA"></body></html>')
    widths, *_ = natural_widths(page, {"width": 400, "height": 300}, tmp_path / "shot.png")
    assert widths == [[True, 0]]  # what the real test would catch


@pytest.mark.parametrize("viewport", [{"width": 1000, "height": 800}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])  # fmt: skip
def test_the_report_renders_with_every_picture(viewport: dict[str, int], tmp_path: Path) -> None:
    page_file = write(report_with_pictures(), tmp_path)
    shot = tmp_path / "screenshot.png"
    widths, overflow, text, requests = natural_widths(page_file, viewport, shot)
    assert len(widths) == 10 and all(done and width > 0 for done, width in widths), widths
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []  # nothing from the network
    assert overflow <= 1, f"the page is {overflow} px wider than the screen"
    assert "alice.zip" in text and "4.5 / 14" in text
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float64)
    assert pixels.shape[1] == viewport["width"] and pixels.shape[0] > viewport["height"]
    assert pixels.std() > 20 and np.mean(pixels < 200) > 0.05  # not a blank page
