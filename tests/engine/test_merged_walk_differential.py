"""The merged walk (engine/merged.py) against the separate profile passes it replaces.

The base pass and every profile pass of a resource run in one traversal; each pass must
still give exactly the findings of its own run, in the same order, with the same
attribution (profile, advisory downgrade and dedupe). Compared as full lists on every
fixture (default and strict options), on generated corpora (plain, --vary, a Bundle) and
on seeded mutations of a corpus, which reach the irregular cases (choices in two forms,
'_' companions of complex elements, children out of definition order, absent children).
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.compiled import CompiledPass
from pcocheck.engine.core import ProfileEngine
from pcocheck.engine.merged import MergedPass
from pcocheck.runner import Run, build_checkers
from tests.conftest import fixture_files
from tests.engine.test_compiled_differential import _corpus_module, _mutate


def _findings(paths: list[str], merged: bool, **options: Any) -> list[dict[str, Any]]:
    config = RunConfig(paths=tuple(paths), **options)
    checkers = build_checkers(config)
    engines = [c for c in checkers if isinstance(c, ProfileEngine)]
    assert engines
    for engine in engines:
        assert engine.pass_class is MergedPass  # the default
        if not merged:
            engine.pass_class = CompiledPass  # separate profile passes
    result = Run(config, checkers).execute()
    return [f.to_dict() for f in result.findings]


def _assert_same(paths: list[str], **options: Any) -> list[dict[str, Any]]:
    separate = _findings(paths, merged=False, **options)
    merged = _findings(paths, merged=True, **options)
    assert len(merged) == len(separate)
    for before, after in zip(separate, merged, strict=True):
        assert after == before
    return merged


def test_every_fixture_gives_the_same_findings() -> None:
    files = fixture_files()
    assert len(files) > 100
    findings = _assert_same(files)
    assert any(f["profile"] for f in findings)  # profile findings are compared too


def test_every_fixture_with_the_strict_options_gives_the_same_findings() -> None:
    files = [f for f in fixture_files() if "/engine/" in f or "/parity/" in f or "/journeys/" in f]
    assert files
    _assert_same(files, must_support=True, allow_example_urls=False, security_checks=True)


def test_generated_corpora_give_the_same_findings(tmp_path: Path) -> None:
    corpus = _corpus_module()
    plain = tmp_path / "corpus.ndjson"
    plain.write_text(
        "".join(json.dumps(r) + "\n" for r in corpus.resources(300, 5)), encoding="utf-8"
    )
    varied = tmp_path / "varied.ndjson"
    varied.write_text(
        "".join(json.dumps(r) + "\n" for r in corpus.resources(400, 7, vary=True)),
        encoding="utf-8",
    )
    bundle = tmp_path / "bundle.json"
    entries = [
        {"fullUrl": f"urn:uuid:{r['resourceType']}-{r['id']}", "resource": r}
        for r in corpus.resources(200, 3)
    ]
    bundle.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        encoding="utf-8",
    )
    findings = _assert_same([str(plain), str(varied), str(bundle)])
    assert any(f["profile"] for f in findings)


def _shuffled(node: Any, rng: random.Random) -> Any:
    """``node`` with the members of some objects in another order (the merged walk
    follows the JSON order; profile findings must stay in definition order)."""
    if isinstance(node, dict):
        items = [(k, _shuffled(v, rng)) for k, v in node.items()]
        if rng.random() < 0.3:
            rng.shuffle(items)
        return dict(items)
    if isinstance(node, list):
        return [_shuffled(item, rng) for item in node]
    return node


def _sibling_form(key: str, rng: random.Random) -> str | None:
    """Another form of a choice key (``detailQuantity`` -> ``detailString``)."""
    for cut in range(1, len(key)):
        if key[cut].isupper():
            other = rng.choice(["String", "Quantity", "Integer", "CodeableConcept", "Boolean"])
            return key[:cut] + other if key[cut:] != other else None
    return None


_SHAPES: list[Any] = [None, {}, [], "x", 7, [{}], [None], {"text": "t"}, [{"text": "t"}]]


def _mutate_near_top(resource: dict[str, Any], rng: random.Random) -> None:
    """Change a member of the resource or of its elements' items, where profiles look
    (the merged scopes): the irregular shapes the merged walk must hand back to a
    profile pass's own code."""
    holders: list[tuple[dict[str, Any], str]] = []
    for key, value in resource.items():
        holders.append((resource, key))
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                holders.extend((item, k) for k in item)
                for inner in item.values():
                    for leaf in inner if isinstance(inner, list) else [inner]:
                        if isinstance(leaf, dict):
                            holders.extend((leaf, k) for k in leaf)
    holder, key = rng.choice(holders)
    if key == "resourceType":
        return
    action = rng.randrange(6)
    if action == 0:
        del holder[key]
    elif action == 1:
        holder["_" + key] = rng.choice([{}, {"id": "a"}, "x", [None]])
    elif action == 2:
        sibling = _sibling_form(key, rng)
        if sibling is not None:
            holder[sibling] = rng.choice(["x", 1, True, {"text": "t"}, {"value": 1}])
    elif action == 3:
        value = holder.pop(key)  # now last: out of definition order
        holder[key] = value
    elif action == 4 and isinstance(holder[key], list) and holder[key]:
        holder[key] = [*holder[key], copy.deepcopy(holder[key][0])]
    else:
        holder[key] = copy.deepcopy(rng.choice(_SHAPES))


@pytest.mark.parametrize("seed", [4, 5])
def test_resources_mutated_where_profiles_look_give_the_same_findings(
    tmp_path: Path, seed: int
) -> None:
    corpus = _corpus_module()
    rng = random.Random(seed)
    lines = []
    for resource in corpus.resources(300, seed, vary=seed == 5):
        for _ in range(rng.randrange(1, 4)):
            _mutate_near_top(resource, rng)
        lines.append(json.dumps(resource))
    path = tmp_path / "mutated.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = _assert_same([str(path)], must_support=seed == 4)
    codes = {f["code"] for f in findings if f["profile"]}
    assert {"FHIR-CARD-001", "FHIR-STRUCT-009"} <= codes  # profile checks were reached


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mutated_resources_give_the_same_findings(tmp_path: Path, seed: int) -> None:
    corpus = _corpus_module()
    rng = random.Random(seed)
    lines = []
    for resource in corpus.resources(200, seed, vary=seed == 3):
        for _ in range(rng.randrange(1, 5)):
            _mutate(resource, rng)
        lines.append(json.dumps(_shuffled(resource, rng)))
    path = tmp_path / "mutated.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = _assert_same([str(path)], must_support=seed == 2)
    assert len({f["code"] for f in findings}) > 10  # the mutations reach many checks
    assert any(f["profile"] for f in findings)


def test_profile_findings_made_out_of_definition_order_are_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A US Core Patient whose members come in reverse definition order, with profile
    findings under several children and absent ones: the merged walk meets them in JSON
    order and must reorder them (the separate pass's order), which this test sees done."""
    from pcocheck.engine import merged

    reordered: list[int] = []
    real = merged._in_definition_order

    def spy(findings: list[Any], segments: list[tuple[int, int]]) -> None:
        before = list(findings)
        real(findings, segments)
        reordered.append(int(findings != before))

    monkeypatch.setattr(merged, "_in_definition_order", spy)
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "identifier": [{"value": "1"}],
        "name": [{"text": "A"}],
        "telecom": [{"value": "555"}],
        "gender": "female",
    }
    shuffled = dict(reversed(list(patient.items())))
    path = tmp_path / "patient.ndjson"
    path.write_text(json.dumps(patient) + "\n" + json.dumps(shuffled) + "\n", encoding="utf-8")
    findings = _assert_same([str(path)], must_support=True)
    assert len([f for f in findings if f["profile"]]) >= 4
    assert 1 in reordered  # findings were made out of definition order and put back


def _summaries_after(calls: list[tuple[str, str, str]], shared: bool) -> list[dict[str, Any]]:
    """The run's summaries after ``calls`` — (pass, code, member) in the order the merged
    walk makes them — with each profile pass's share held (``shared``) or not."""
    from pcocheck.engine.walker import BASE, PROFILE
    from pcocheck.view import Anchor, ResourceView

    config = RunConfig(paths=())
    engine = next(c for c in build_checkers(config) if isinstance(c, ProfileEngine))
    view = ResourceView({"resourceType": "Patient", "id": "p"}, Anchor(source=None, file="a"))
    sd = engine.structure("Patient")
    assert sd is not None
    base = MergedPass(engine, view, view.resource, (), sd, BASE, None, "Patient", lambda r: None)
    profile = MergedPass(
        engine, view, view.resource, (), sd, PROFILE, "http://x/p|1", "P", lambda r: None
    )
    profile.share = None
    base.state = engine.export_state()
    engine.hold(base.state)
    for who, code, member in calls:
        walk = base if who == "base" else profile
        if walk is profile and shared:
            base.enter(profile)
        engine.summarise(walk, code, (member,), f"{code} at {member}", ("group",))
        engine.hold(base.state)
    if profile.share is not None:
        engine.merge_state(profile.share)
    return [f.to_dict() for f in engine.finish()]


def test_a_profile_pass_adds_to_the_run_wide_summaries_as_if_after_the_base_pass() -> None:
    """Summarised findings keep the first occurrence, and the run lists them in the order
    first met: the merged walk's interleaved calls, each profile's held in its share,
    leave exactly what the separate passes' order (base first) leaves."""
    merged_order = [
        ("profile", "FHIR-BIND-005", "b"),  # a key new to the run, met by the profile first
        ("base", "FHIR-BIND-004", "c"),
        ("profile", "FHIR-BIND-004", "a"),  # an earlier position: the example shown
        ("base", "FHIR-BIND-005", "d"),
        ("profile", "FHIR-BIND-004", "c"),  # the same position as the base's: counted
    ]
    separate_order = [c for c in merged_order if c[0] == "base"] + [
        c for c in merged_order if c[0] == "profile"
    ]
    expected = _summaries_after(separate_order, shared=False)
    assert _summaries_after(merged_order, shared=True) == expected
    assert _summaries_after(merged_order, shared=False) != expected  # the share matters
