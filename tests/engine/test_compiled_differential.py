"""The compiled engine (engine/compiled.py) against the interpretive walk it replaces.

While both exist, every fixture of the repository, a generated PCO corpus and a corpus of
seeded random mutations of it (wrong JSON types, nulls, empty values, arrays for single
values, unknown and misspelt keys, broken formats, '_' companions) must give exactly the
same findings, in the same order, through both.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.core import ProfileEngine
from pcocheck.engine.merged import MergedPass
from pcocheck.engine.walker import Pass
from pcocheck.runner import Run, build_checkers
from tests.conftest import ROOT, fixture_files, load_script


def _corpus_module() -> Any:
    return load_script(ROOT / "bench" / "make_corpus.py", "make_corpus")


def _findings(paths: list[str], compiled: bool, **options: Any) -> list[dict[str, Any]]:
    config = RunConfig(paths=tuple(paths), **options)
    checkers = build_checkers(config)
    engines = [c for c in checkers if isinstance(c, ProfileEngine)]
    assert engines
    for engine in engines:
        assert engine.pass_class is MergedPass  # the default
        if not compiled:
            engine.pass_class = Pass
    result = Run(config, checkers).execute()
    return [f.to_dict() for f in result.findings]


def _assert_same(paths: list[str], **options: Any) -> list[dict[str, Any]]:
    old = _findings(paths, compiled=False, **options)
    new = _findings(paths, compiled=True, **options)
    assert len(new) == len(old)
    for before, after in zip(old, new, strict=True):
        assert after == before
    return new


def test_every_fixture_gives_the_same_findings() -> None:
    files = fixture_files()
    assert len(files) > 100
    assert _assert_same(files)


def test_every_fixture_with_the_strict_options_gives_the_same_findings() -> None:
    files = [f for f in fixture_files() if "/engine/" in f or "/parity/" in f]
    assert files
    _assert_same(files, must_support=True, allow_example_urls=False, security_checks=True)


def test_a_generated_corpus_gives_the_same_findings(tmp_path: Path) -> None:
    corpus = _corpus_module()
    path = tmp_path / "corpus.ndjson"
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in corpus.resources(300, 5)), encoding="utf-8"
    )
    _assert_same([str(path)])


def test_a_varied_generated_corpus_gives_the_same_findings(tmp_path: Path) -> None:
    # bench/make_corpus.py --vary: content that rarely repeats (the memo's trial phase,
    # slots that stop trying), dateTimes with zones and milliseconds, pooled codes.
    corpus = _corpus_module()
    path = tmp_path / "varied.ndjson"
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in corpus.resources(600, 7, vary=True)),
        encoding="utf-8",
    )
    findings = _assert_same([str(path)])
    assert not [f for f in findings if f["severity"] in ("error", "fatal")]


_ODD_VALUES: list[Any] = [
    None,
    "",
    " padded ",
    "<b>bold</b>",
    "2024-02-30",
    "http://example.org/x",
    0,
    -1,
    1.5,
    True,
    [],
    {},
    [None],
    ["x"],
    {"x": 1},
    {"extension": [{"url": "http://example.org/e", "valueString": "x"}]},
]


def _mutate(node: Any, rng: random.Random) -> None:
    """Change one random member somewhere in ``node`` (in place)."""
    holders: list[tuple[Any, Any]] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for key in value:
                holders.append((value, key))
                collect(value[key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                holders.append((value, index))
                collect(item)

    collect(node)
    holder, key = rng.choice(holders)
    if key == "resourceType":
        return
    action = rng.randrange(6)
    if action == 0 and isinstance(holder, dict):
        del holder[key]
    elif action == 1 and isinstance(holder, dict) and isinstance(key, str):
        holder[key + "X" if rng.random() < 0.5 else "_" + key] = rng.choice(_ODD_VALUES)
    elif action == 2:
        holder[key] = [holder[key]] if not isinstance(holder[key], list) else holder[key][:1][0:0]
    else:
        holder[key] = copy.deepcopy(rng.choice(_ODD_VALUES))


@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_resources_give_the_same_findings(tmp_path: Path, seed: int) -> None:
    corpus = _corpus_module()
    rng = random.Random(seed)
    lines = []
    for resource in corpus.resources(200, seed):
        for _ in range(rng.randrange(1, 4)):
            _mutate(resource, rng)
        lines.append(json.dumps(resource))
    path = tmp_path / "mutated.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = _assert_same([str(path)])
    assert len({f["code"] for f in findings}) > 10  # the mutations reach many checks
