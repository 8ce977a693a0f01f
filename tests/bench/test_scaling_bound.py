"""bench/scaling_bound.py cuts an input into parts that hold every record once, in order
(the bound it prints is only as good as those parts)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "scaling_bound.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scaling_bound", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("parts", [2, 3])
def test_ndjson_parts_hold_every_line_once_in_order(tmp_path: Path, parts: int) -> None:
    source = tmp_path / "in.ndjson"
    lines = [json.dumps({"resourceType": "Basic", "id": f"b{i}"}) + "\n" for i in range(7)]
    source.write_text("".join(lines))
    out = tmp_path / "parts"
    out.mkdir()
    cut = load_script().cut(source, parts, out)
    assert len(cut) == parts
    assert "".join(p.read_text() for p in cut) == "".join(lines)
    sizes = [len(p.read_text().splitlines()) for p in cut]
    assert max(sizes) - min(sizes) <= 1


def test_bundle_parts_keep_the_bundle_and_split_its_entries(tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    entries = [
        {"fullUrl": f"urn:uuid:{i}", "resource": {"resourceType": "Basic"}} for i in range(5)
    ]
    source.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    )
    out = tmp_path / "parts"
    out.mkdir()
    cut = load_script().cut(source, 2, out)
    bundles = [json.loads(p.read_text()) for p in cut]
    assert all(b["resourceType"] == "Bundle" and b["type"] == "collection" for b in bundles)
    assert [e for b in bundles for e in b["entry"]] == entries


def test_prints_the_bound_and_the_measured_speed_up(tmp_path: Path) -> None:
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
    assert "bound: " in done.stdout and "measured " in done.stdout
