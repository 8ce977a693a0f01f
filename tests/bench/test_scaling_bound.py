"""bench/scaling_bound.py: the serial time of a run is what no helper span covers, and the
ceiling it prints is the shortest schedule of the measured work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "scaling_bound.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script(SCRIPT, "scaling_bound")


@pytest.mark.parametrize(
    ("spans", "serial"),
    [
        ([], 10.0),  # no helper: all of it
        ([[1.0, 9.0]], 2.0),
        ([[1.0, 4.0], [3.0, 6.0]], 5.0),  # overlapping spans count once
        ([[1.0, 2.0], [5.0, 6.0]], 8.0),  # the time between them is serial too
        ([[2.0, 3.0], [1.0, 9.0]], 2.0),  # in any order
    ],
)
def test_serial_time_is_what_no_span_covers(
    script: ModuleType, spans: list[list[float]], serial: float
) -> None:
    assert script.serial_time(10.0, spans) == pytest.approx(serial)


def test_ceiling_and_the_cpu_a_target_allows_agree(script: ModuleType) -> None:
    # 2 s alone of 1.0 s serial + 1.0 s spread over two cores: 2 / 1.5.
    assert script.ceiling(2.0, 1.0, 2.0, 2) == pytest.approx(4 / 3)
    assert script.ceiling(2.0, 0.0, 2.0, 2) == pytest.approx(2.0)  # nothing serial, no overhead
    allowed = script.cpu_allowed(1.73, 0.14, 2, 1.8)
    assert script.ceiling(1.73, 0.14, allowed, 2) == pytest.approx(1.8)


def test_prints_the_ceiling_and_the_measured_speed_up(tmp_path: Path) -> None:
    corpus = tmp_path / "small.ndjson"
    make = [sys.executable, str(ROOT / "bench" / "make_corpus.py"), "--resources", "20"]
    subprocess.run([*make, "--out", str(corpus)], check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(corpus), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "ceiling for this work on 2 cores" in done.stdout
    assert "measured " in done.stdout
