"""A Subject's claimed profiles and its PCO profile (read inline, once per resource) are
those of rules.access.claimed_profiles and the first claim under the PCO base, whatever
shape meta.profile has."""

from __future__ import annotations

from typing import Any

import pytest

from pcocheck.rules.access import claimed_profiles
from pcocheck.rules.codes import PCO_SD
from pcocheck.rules.facts import Subject
from pcocheck.rules.references import Scope
from pcocheck.view import Anchor, ResourceView

GAS = PCO_SD + "pco-gas-goal-profile"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"

METAS: list[Any] = [
    None,
    "x",
    [],
    {},
    {"profile": None},
    {"profile": "not a list"},
    {"profile": {"a": 1}},
    {"profile": []},
    {"profile": [US_CORE]},
    {"profile": [GAS]},
    {"profile": [US_CORE, GAS + "|1.0.0", GAS]},
    {"profile": [3, None, {"x": 1}, GAS]},
    {"profile": [PCO_SD + "a", PCO_SD + "b"]},
    {"profile": [PCO_SD]},
]


@pytest.mark.parametrize("meta", METAS, ids=repr)
def test_subject_profiles_match_claimed_profiles(meta: Any) -> None:
    resource: dict[str, Any] = {"resourceType": "Goal", "id": "g"}
    if meta is not None:
        resource["meta"] = meta
    view = ResourceView(resource, Anchor(source=None, file="f.json"))
    subject = Subject(view, resource, (), Scope(lambda: None, ("f.json", None, None, None), True))  # type: ignore[arg-type,return-value]
    expected = claimed_profiles(resource)
    assert subject.profiles == expected
    first = next((p for p in expected if p.startswith(PCO_SD)), None)
    assert subject.profile == first
