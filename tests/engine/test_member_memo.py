"""Clean objects remembered per spec among array items and slice members
(VisitSpec.items, ProfileSpec.items; see engine/memo.py) must never hide a finding.

The same object is skipped when it was clean before under the same spec and its check
looked at nothing beyond it. Each case puts an object first where it is clean and then
where its spec or its context makes it wrong: the finding must be there, and the compiled
walk must agree with the interpretive one (which remembers nothing) finding for finding.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.engine.compiled import CompiledPass, ProfileSpec, VisitSpec
from pcocheck.engine.extension_keys import ExtensionKeys
from pcocheck.runner import Run, build_checkers
from tests.engine.test_compiled_differential import _assert_same, _corpus_module

US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"


def _write(tmp_path: Path, resources: list[dict[str, Any]]) -> str:
    path = tmp_path / "input.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return str(path)


def _patient(pid: str, **members: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": "female", **members}


def test_an_item_clean_for_the_base_is_checked_again_by_a_profile(tmp_path: Path) -> None:
    # An identifier without a system is clean for R4's Patient.identifier items; US Core
    # requires Patient.identifier.system: another spec, checked afresh.
    identifier = [{"value": "1"}, {"system": "urn:x", "value": "2"}]
    plain = [_patient(f"p{i}", identifier=copy.deepcopy(identifier)) for i in range(3)]
    claimed = _patient(
        "c",
        meta={"profile": [US_CORE_PATIENT]},
        identifier=copy.deepcopy(identifier),
        name=[{"family": "Ali", "given": ["Grace"]}],
    )
    findings = _assert_same([_write(tmp_path, [*plain, claimed])])
    where = [f["resource"] for f in findings if "identifier" in str(f.get("expression"))]
    assert where and set(where) == {"Patient/c"}


def test_an_item_resolving_a_contained_reference_is_checked_in_each_resource(
    tmp_path: Path,
) -> None:
    # Patient.contact items are remembered per spec; one whose organization resolves to a
    # contained resource looked beyond itself and is never remembered.
    contact = [{"name": {"family": "Ng"}, "organization": {"reference": "#o1"}}]
    organization = {"resourceType": "Organization", "id": "o1", "name": "Clinic"}
    with_target = [
        _patient(f"a{i}", contained=[dict(organization)], contact=copy.deepcopy(contact))
        for i in range(3)
    ]
    without = _patient("b", contact=copy.deepcopy(contact))
    findings = _assert_same([_write(tmp_path, [*with_target, without])])
    about = [f["resource"] for f in findings if "contact" in str(f.get("expression"))]
    assert about and set(about) == {"Patient/b"}


def test_a_wrong_item_after_clean_ones_is_reported_each_time(tmp_path: Path) -> None:
    # The same items, then one that differs by a wrong code: the wrong one is reported in
    # every resource, the clean ones in none.
    good = {"system": "phone", "value": "555-0100", "use": "home"}
    bad = {"system": "phone", "value": "555-0100", "use": "holiday"}
    resources = [_patient(f"p{i}", telecom=[dict(good), dict(bad)]) for i in range(4)]
    findings = _assert_same([_write(tmp_path, resources)])
    wrong = [(f["resource"], f["expression"]) for f in findings if "telecom" in str(f)]
    assert sorted(wrong) == [(f"Patient/p{i}", "Patient.telecom[1].use") for i in range(4)]


def _visits(path: str, monkeypatch: pytest.MonkeyPatch, remember: bool) -> tuple[int, list[Any]]:
    """Complex values checked (base and profile passes) and the run's findings."""
    calls = 0
    base, profile = CompiledPass.visit_complex, CompiledPass.visit_profile_complex

    def counted_base(self: CompiledPass, *args: Any) -> None:
        nonlocal calls
        calls += 1
        base(self, *args)

    def counted_profile(self: CompiledPass, *args: Any) -> int:
        nonlocal calls
        calls += 1
        return profile(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(CompiledPass, "visit_complex", counted_base)
        patch.setattr(CompiledPass, "visit_profile_complex", counted_profile)
        # Extensions remembered by what their definition's pass reads skip that pass
        # whole (engine.extension_keys): not what this test counts.
        patch.setattr(ExtensionKeys, "memo_for", lambda self, definition: None)
        if not remember:
            for spec_class in (VisitSpec, ProfileSpec):
                made = spec_class.__init__

                def without(self: Any, *args: Any, _made: Any = made, **kw: Any) -> None:
                    _made(self, *args, **kw)
                    self.items = None

                patch.setattr(spec_class, "__init__", without)
        config = RunConfig(paths=(path,))
        result = Run(config, build_checkers(config)).execute()
    return calls, [f.to_dict() for f in result.findings]


@pytest.mark.parametrize("vary", [False, True])
def test_remembered_members_save_checks_and_change_no_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vary: bool
) -> None:
    corpus = _corpus_module()
    path = _write(tmp_path, list(corpus.resources(400, 9, vary=vary)))
    remembered, with_memo = _visits(path, monkeypatch, True)
    every, without_memo = _visits(path, monkeypatch, False)
    assert with_memo == without_memo
    # The plain corpus repeats whole arrays (the slots' memos skip them first); the
    # varied one repeats their items.
    assert remembered < every * 0.9 if vary else remembered <= every
