"""Replayed reference outcomes (ProfileEngine.check_reference) against checking every
reference afresh (ProfileEngine._check_reference): the same findings, in the same order,
on the fixtures, generated corpora, their seeded mutations and the cases where a replay
would be wrong (a resource referring to itself, an index that grows during the run)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.core import ProfileEngine
from pcocheck.runner import Run, build_checkers
from tests.conftest import fixture_files
from tests.engine.test_compiled_differential import _corpus_module, _mutate


def _findings(
    paths: list[str], replay: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], int]:
    """The run's findings, and how many references were checked afresh."""
    checked = 0
    fresh = ProfileEngine._check_reference

    def counted(self: ProfileEngine, *args: Any) -> None:
        nonlocal checked
        checked += 1
        fresh(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(ProfileEngine, "_check_reference", counted)
        if not replay:
            patch.setattr(ProfileEngine, "check_reference", counted)
        config = RunConfig(paths=tuple(paths))
        result = Run(config, build_checkers(config)).execute()
    return [f.to_dict() for f in result.findings], checked


def _assert_same(paths: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    fresh, every = _findings(paths, False, monkeypatch)
    replayed, some = _findings(paths, True, monkeypatch)
    assert replayed == fresh
    return every, some


def test_every_fixture_gives_the_same_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    files = fixture_files()
    assert len(files) > 100
    _assert_same(files, monkeypatch)


def test_a_generated_corpus_is_checked_with_fewer_reference_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus_module()
    path = tmp_path / "corpus.ndjson"
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in corpus.resources(300, 5)), encoding="utf-8"
    )
    every, some = _assert_same([str(path)], monkeypatch)
    assert some < every / 2  # a patient's references repeat over its journey


@pytest.mark.parametrize("seed", [3, 4])
def test_mutated_resources_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    corpus = _corpus_module()
    rng = random.Random(seed)
    lines = []
    for resource in corpus.resources(300, seed):
        if rng.random() < 0.5:
            _mutate(resource, rng)
        lines.append(json.dumps(resource))
    path = tmp_path / "mutated.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _assert_same([str(path)], monkeypatch)


def _patient(pid: str, other: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "link": [{"other": {"reference": other}, "type": "seealso"}],
    }


def test_a_resource_referring_to_itself_is_not_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # p2 -> p1 resolves in the run; the same reference in p1 itself does not (a record is
    # not a target of its own references across the run): a replay of p2's outcome
    # would hide that.
    lines = [
        _patient("p2", "Patient/p1"),
        _patient("p3", "Patient/p1"),
        _patient("p1", "Patient/p1"),
    ]
    path = tmp_path / "self.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    every, some = _assert_same([str(path)], monkeypatch)
    assert every == 3
    assert some == 2  # p3 replays p2's outcome; p1 is checked afresh


def test_references_in_two_files_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same reference text from two files: each file is its own key (the nearest
    # candidates are the referring file's).
    first = tmp_path / "a.ndjson"
    second = tmp_path / "b.ndjson"
    first.write_text(
        json.dumps({"resourceType": "Patient", "id": "p1"})
        + "\n"
        + json.dumps(_patient("p2", "Patient/p1"))
        + "\n",
        encoding="utf-8",
    )
    second.write_text(
        json.dumps(_patient("p3", "Patient/p1"))
        + "\n"
        + json.dumps({"resourceType": "Patient", "id": "p1"})
        + "\n",
        encoding="utf-8",
    )
    _assert_same([str(first), str(second)], monkeypatch)


@pytest.mark.parametrize("slim", [False, True])
def test_bundles_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slim: bool
) -> None:
    # References resolved in the Bundle: a generated collection (RESTful fullUrls) with
    # some mutated resources, and a chain of observations referring to each other
    # (conformance probes of targets that refer on).
    from pcocheck.inputs import stream

    monkeypatch.setattr(stream, "STREAM_MIN_CHARS", 0 if slim else 10**12)
    corpus = _corpus_module()
    rng = random.Random(5)
    entries = []
    for resource in corpus.resources(200, 6):
        if rng.random() < 0.3:
            _mutate(resource, rng)
        rtype, rid = resource.get("resourceType"), resource.get("id")
        entries.append({"fullUrl": f"http://example.org/fhir/{rtype}/{rid}", "resource": resource})
    collection = tmp_path / "collection.json"
    collection.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        encoding="utf-8",
    )
    linked = tmp_path / "linked.json"
    linked.write_text(json.dumps(corpus.linked_observations(60, 3)), encoding="utf-8")
    for path in (collection, linked):
        every, some = _assert_same([str(path)], monkeypatch)
        assert some < every


def test_profiles_narrowing_a_reference_alike_share_its_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The GAS goal and the PROM goal profiles narrow Goal.subject to the same target
    # profile (US Core Patient): the outcome is keyed by the targets and the path, not by
    # the profile's plan, so the second Goal's profile pass replays the first's.
    corpus = _corpus_module()
    journey = list(corpus.resources(10, 5))
    kept = [r for r in journey if r["id"] in ("p0", "gas0", "prom0")]
    assert [r["resourceType"] for r in kept] == ["Patient", "Goal", "Goal"]
    path = tmp_path / "goals.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
    profile_checks: list[str] = []
    fresh = ProfileEngine._check_reference

    def counted(self: ProfileEngine, walk: Any, *args: Any) -> None:
        if walk.mode != "base":
            profile_checks.append(walk.profile_name)
        fresh(self, walk, *args)

    monkeypatch.setattr(ProfileEngine, "_check_reference", counted)
    config = RunConfig(paths=(str(path),))
    result = Run(config, build_checkers(config)).execute()
    assert not [f for f in result.findings if f.severity in ("error", "fatal")]
    assert len(profile_checks) == 1
    monkeypatch.undo()
    every, some = _assert_same([str(path)], monkeypatch)
    assert some == every - 2  # the second Goal's subject: base and profile check replayed
