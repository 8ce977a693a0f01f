"""The HTML report in a real headless Chromium: it renders, it is not blank, the summary
is visible at the top, the charts are inline SVG and nothing is loaded from elsewhere.

Needs Debian's ``chromium`` (``.ci/run`` installs it when missing, so CI always runs
this). Without it the test is skipped on a developer machine and fails under CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from tests.reporting.conftest import GoldenRun

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )


@pytest.fixture(scope="module")
def html_file(golden_run: GoldenRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(golden_run.render("html"), encoding="utf-8")
    return path


def test_html_is_self_contained(html_file: Path) -> None:
    text = html_file.read_text(encoding="utf-8")
    assert "<script" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert text.count("<svg") == 2


def test_dom_in_chromium_has_summary_charts_and_findings(html_file: Path, tmp_path: Path) -> None:
    proc = _run(["--dump-dom", html_file.as_uri()], tmp_path)
    dom = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'id="summary"' in dom and "FAILED" in dom
    assert dom.count("<svg") == 2 and "Findings by rule" in dom
    # Findings grouped by file and resource, with the offending JSON highlighted.
    assert "input/bundle.json" in dom and "Patient/p1 [entry 0]" in dom
    assert re.search(r"<mark>[^<]*gender[^<]*</mark>", dom)
    assert "input/export.ndjson" in dom and "Basic/n2" in dom


def _pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    raw = image.tobytes()
    return list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))


def test_screenshot_is_not_blank_and_shows_the_summary(html_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    proc = _run(["--window-size=1280,900", f"--screenshot={shot}", html_file.as_uri()], tmp_path)
    assert shot.exists(), proc.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    width, height = image.size
    assert (width, height) == (1280, 900)
    pixels = _pixels(image)
    colours = Counter(pixels)
    _background, share = colours.most_common(1)[0]
    assert share < 0.9 * len(pixels), "the page is (almost) one colour"
    assert len(colours) > 50, "too few colours for a rendered report"

    def close(pixel: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
        return all(abs(a - b) <= 12 for a, b in zip(pixel, target, strict=True))

    top = image.crop((0, 0, width, height // 2))
    top_pixels = _pixels(top)
    header = sum(close(p, (0x1D, 0x2B, 0x3A)) for p in top_pixels)
    failed_badge = sum(close(p, (0xC6, 0x28, 0x28)) for p in top_pixels)
    warning_card = sum(close(p, (0xB2, 0x6A, 0x00)) for p in top_pixels)
    # The dark header bar, the red FAILED verdict/error card and the amber warning card
    # are all drawn in the upper half: the summary is visible without scrolling.
    assert header > 20_000
    assert failed_badge > 2_000
    assert warning_card > 2_000
