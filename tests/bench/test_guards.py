"""The benchmark scripts' guards: a before/after comparison stops when the two trees do
not do the same work (bench/ is not part of the test run otherwise)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-resource synthetic PCO corpus from the benchmark's own generator."""
    out = tmp_path_factory.mktemp("corpus") / "small.ndjson"
    command = [sys.executable, str(BENCH / "make_corpus.py"), "--resources", "20"]
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def tree_without_profiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of src/ with no profiles/ beside it: it checks no PCO profile at all, so it
    is not the same work as this checkout (the mistake the guards catch)."""
    tree = tmp_path_factory.mktemp("tree")
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return tree / "src"


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(BENCH / script), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_before_after_refuses_trees_that_report_different_findings(
    corpus: Path, tree_without_profiles: Path
) -> None:
    done = run(
        "before_after.py", str(corpus), "--before-src", str(tree_without_profiles),
        "--rounds", "1", "--runs", "1",
    )  # fmt: skip
    assert done.returncode != 0
    assert "the trees report different findings" in done.stderr


def test_before_after_compares_trees_that_do_the_same_work(corpus: Path) -> None:
    done = run(
        "before_after.py", str(corpus), "--before-src", str(ROOT / "src"),
        "--rounds", "1", "--runs", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "small.ndjson: 20 resources; before" in done.stdout


def test_alternate_stops_when_the_reports_differ(corpus: Path, tree_without_profiles: Path) -> None:
    done = run(
        "alternate.py", str(corpus), "--before", str(tree_without_profiles),
        "--jobs", "1", "--repeat", "1",
    )  # fmt: skip
    assert done.returncode != 0
    assert "the report differs" in done.stderr


def test_alternate_times_trees_whose_reports_match(corpus: Path) -> None:
    done = run(
        "alternate.py", str(corpus), "--before", str(ROOT / "src"), "--jobs", "1", "2",
        "--repeat", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "after  --jobs 2" in done.stdout
