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


# Per script: how it is told the other tree, its options for one short round, and what it
# prints when the trees differ (it must stop) or agree (it must time them).
SCRIPTS = {
    "before_after.py": (
        "--before-src",
        ["--rounds", "1", "--runs", "1"],
        "the trees report different findings",
        "small.ndjson: 20 resources; before",
    ),
    "alternate.py": (
        "--before",
        ["--jobs", "1", "2", "--repeat", "1"],
        "the report differs",
        "after  --jobs 2",
    ),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_stops_when_the_trees_do_different_work(
    script: str, corpus: Path, tree_without_profiles: Path
) -> None:
    option, rest, refusal, _ = SCRIPTS[script]
    done = run(script, str(corpus), option, str(tree_without_profiles), *rest)
    assert done.returncode != 0
    assert refusal in done.stderr


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_times_trees_that_do_the_same_work(script: str, corpus: Path) -> None:
    option, rest, _, timed = SCRIPTS[script]
    done = run(script, str(corpus), option, str(ROOT / "src"), *rest)
    assert done.returncode == 0, done.stderr
    assert timed in done.stdout
