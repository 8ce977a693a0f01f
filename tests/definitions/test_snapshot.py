"""Snapshot generation from differentials (fixtures in data/profiles and data/broken)."""

from __future__ import annotations

import pytest

from pcocheck.definitions import DefinitionRegistry, Discriminator, StructureDef
from pcocheck.definitions.compile import strip_slices

from .conftest import BROKEN, EXAMPLE


def _profile(registry: DefinitionRegistry, name: str) -> StructureDef:
    found = registry.structure(EXAMPLE + name)
    assert found is not None, registry.problems
    return found


def _ids(sd: StructureDef) -> list[str]:
    return [e.id for e in sd.elements]


@pytest.mark.parametrize(
    "name", ["test-goal", "test-scale", "test-observation", "test-observation-child"]
)
def test_snapshots_are_well_formed(registry: DefinitionRegistry, name: str) -> None:
    sd = _profile(registry, name)
    ids = _ids(sd)
    assert len(ids) == len(set(ids))
    assert all(e.path == strip_slices(e.id) for e in sd.elements)
    # Every element's parent (for a slice: the element holding the sliced one) comes first.
    seen = {sd.elements[0].id}
    for element in sd.elements[1:]:
        assert element.id.rsplit(".", 1)[0] in seen, element.id
        seen.add(element.id)
    assert registry.problems == []


def test_header_fields(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    assert goal.type == "Goal" and goal.kind == "resource" and goal.is_profile
    assert goal.version == "1.0.0" and goal.name == "TestGoal"
    assert goal.canonical == EXAMPLE + "test-goal|1.0.0"
    assert goal.package == "folder:" + str(goal.package).removeprefix("folder:")
    assert registry.structure(EXAMPLE + "test-goal|1.0.0") is goal
    assert registry.structure(EXAMPLE + "test-goal|1.0") is goal
    assert registry.structure(EXAMPLE + "test-goal|2.0.0") is None


def test_slice_is_inserted_after_the_sliced_subtree(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    ids = _ids(goal)
    category = goal.by_id["Goal.category"]
    assert category.must_support
    assert category.slicing is not None
    assert category.slicing.discriminators == (Discriminator("value", "$this"),)
    pco = goal.by_id["Goal.category:pco"]
    assert pco.slice_name == "pco" and pco.path == "Goal.category"
    assert (pco.min, pco.max) == (0, "1")
    assert pco.binding is not None and pco.binding.strength == "required"
    assert pco.binding.value_set == "http://example.org/fhir/ValueSet/test-categories"
    assert pco.slicing is None
    # Unspecified fields come from the sliced element.
    domain = goal.by_id["Goal.category:domain"]
    assert domain.max == "*" and domain.types == category.types
    assert domain.binding == category.binding
    assert (
        ids.index("Goal.category")
        < ids.index("Goal.category:pco")
        < ids.index("Goal.category:pco.coding.system")
        < ids.index("Goal.category:domain")
        < ids.index("Goal.target")
    )
    assert [e.slice_name for e in goal.children_of("Goal") if e.path == "Goal.category"] == [
        None, "pco", "domain",
    ]  # fmt: skip


def test_datatype_children_are_unfolded_inside_a_slice(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    coding = goal.by_id["Goal.category:pco.coding"]
    assert coding.min == 1 and coding.path == "Goal.category.coding"
    system = goal.by_id["Goal.category:pco.coding.system"]
    assert system.fixed == ("Uri", "http://example.org/fhir/CodeSystem/test-concepts")
    assert system.min == 1 and [t.code for t in system.types] == ["uri"]
    # Siblings come from the Coding definition, untouched.
    assert goal.by_id["Goal.category:pco.coding.code"].min == 0
    assert "Goal.category.coding" not in goal.by_id  # the unsliced element was not needed


def test_pattern_on_a_datatype(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    measure = goal.by_id["Goal.target.measure"]
    assert measure.pattern == (
        "CodeableConcept",
        {"coding": [{"system": "http://loinc.org", "code": "107332-9"}]},
    )
    assert measure.min == 1
    assert measure.short is not None and len(measure.short) <= 80 and measure.short.endswith("…")
    assert goal.by_id["Goal.target.measure.coding"].min == 1
    assert goal.by_id["Goal.target"].max == "1"
    assert "gol-1" in {c.key for c in goal.by_id["Goal.target"].constraints}


def test_choice_restrictions(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    start = goal.by_id["Goal.start[x]"]
    assert [t.code for t in start.types] == ["date"] and start.min == 1
    # The renamed choice detailQuantity maps onto detail[x], restricted to Quantity.
    detail = goal.by_id["Goal.target.detail[x]"]
    assert [t.code for t in detail.types] == ["Quantity"] and detail.min == 1
    assert "Goal.target.detailQuantity" not in goal.by_id
    assert goal.by_id["Goal.target.detail[x].system"].fixed == ("Uri", "http://unitsofmeasure.org")
    assert goal.by_id["Goal.target.detail[x].system"].path == "Goal.target.detail[x].system"
    # Choices the profile does not touch keep all their types.
    assert len(goal.by_id["Goal.target.due[x]"].types) == 2


def test_renamed_choice_reaching_into_the_type(registry: DefinitionRegistry) -> None:
    observation = _profile(registry, "test-observation")
    value = observation.by_id["Observation.value[x]"]
    assert [t.code for t in value.types] == ["Quantity"] and value.min == 1
    system = observation.by_id["Observation.value[x].system"]
    assert system.fixed == ("Uri", "http://unitsofmeasure.org")
    effective = observation.by_id["Observation.effective[x]"]
    assert [t.code for t in effective.types] == ["dateTime", "Period"]


def test_type_slice_on_a_choice(registry: DefinitionRegistry) -> None:
    observation = _profile(registry, "test-observation")
    base = observation.by_id["Observation.component.value[x]"]
    assert len(base.types) == 11
    assert base.slicing is not None
    assert base.slicing.discriminators == (Discriminator("type", "$this"),)
    type_slice = observation.by_id["Observation.component.value[x]:valueQuantity"]
    assert [t.code for t in type_slice.types] == ["Quantity"]
    assert type_slice.slice_name == "valueQuantity"
    code = observation.by_id["Observation.component.value[x]:valueQuantity.code"]
    assert code.min == 1 and code.path == "Observation.component.value[x].code"


def test_complex_extension(registry: DefinitionRegistry) -> None:
    scale = _profile(registry, "test-scale")
    assert scale.type == "Extension" and scale.context == ("Goal",)
    extension = scale.by_id["Extension.extension"]
    assert extension.min == 1
    # The base Extension.extension already slices by url.
    assert extension.slicing is not None
    assert extension.slicing.discriminators == (Discriminator("value", "url"),)
    level_value = scale.by_id["Extension.extension:level.value[x]"]
    assert [t.code for t in level_value.types] == ["Coding"] and level_value.min == 1
    assert level_value.binding is not None
    assert level_value.binding.value_set == "http://loinc.org/vs/LL6900-6"
    assert scale.by_id["Extension.extension:level.url"].fixed == ("Uri", "level")
    assert scale.by_id["Extension.extension:level.extension"].max == "0"
    text_value = scale.by_id["Extension.extension:text.value[x]"]
    assert [t.code for t in text_value.types] == ["string"] and text_value.min == 1
    assert scale.by_id["Extension.extension:text"].min == 1
    assert scale.by_id["Extension.value[x]"].max == "0"
    assert scale.by_id["Extension.url"].fixed == ("Uri", EXAMPLE + "test-scale")


def test_extension_slice_keeps_type_profile(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    scale = goal.by_id["Goal.extension:scale"]
    assert scale.types[0].code == "Extension"
    assert scale.types[0].profiles == (EXAMPLE + "test-scale",)  # version stripped
    assert scale.max == "5" and scale.must_support
    # Children of a profiled extension are not expanded.
    assert not goal.children_of("Goal.extension:scale")


def test_constraints_are_added_and_replaced_by_key(registry: DefinitionRegistry) -> None:
    goal = _profile(registry, "test-goal")
    keys = [c.key for c in goal.root.constraints]
    assert "tg-1" in keys and "dom-2" in keys
    child = _profile(registry, "test-observation-child")
    constraints = {c.key: c for c in child.root.constraints}
    assert constraints["obs-6"].human == "Replaced on purpose"
    assert "obs-7" in constraints


def test_profile_chain(registry: DefinitionRegistry) -> None:
    child = _profile(registry, "test-observation-child")
    assert child.base_definition == EXAMPLE + "test-observation|1.0.0"
    # Inherited from test-observation ...
    assert child.by_id["Observation.value[x].system"].fixed == ("Uri", "http://unitsofmeasure.org")
    assert child.by_id["Observation.category:survey"].min == 1
    # ... plus its own changes, inside an inherited slice.
    assert child.by_id["Observation.category:survey.coding"].min == 1
    focus = child.by_id["Observation.focus"]
    assert focus.max == "1"
    assert focus.types[0].target_profiles == (EXAMPLE + "test-goal",)
    # The parent's compiled snapshot is not modified.
    parent = _profile(registry, "test-observation")
    assert "Observation.category:survey.coding" not in parent.by_id


def test_cycles_unknown_bases_and_bad_paths_are_problems(registry: DefinitionRegistry) -> None:
    registry.add_folder(BROKEN)
    assert registry.structure(EXAMPLE + "orphan") is None
    assert registry.structure(EXAMPLE + "loop-a") is None
    bad = registry.structure(EXAMPLE + "bad-paths")
    assert bad is not None  # what could be applied still is
    assert bad.by_id["Goal.description"].short == "Still applied"
    problems = registry.problems
    by_kind: dict[str, list[str]] = {}
    for problem in problems:
        by_kind.setdefault(problem.kind, []).append(problem.message)
    assert any("is not loaded" in m for m in by_kind["unknown-base"])
    assert any("cycle" in m for m in by_kind["unknown-base"])
    snapshot = by_kind["snapshot"]
    assert any("noSuchElement" in m for m in snapshot)
    assert any("restrict it to one type first" in m for m in snapshot)
    assert len(snapshot) == 2  # one message per bad element, no follow-on noise
    assert any(p.kind == "bad-json" and p.source.endswith("broken.json") for p in problems)


def test_unknown_base_is_reported_without_compiling(registry: DefinitionRegistry) -> None:
    registry.add_folder(BROKEN)
    problems = registry.problems  # no structure() call first
    assert any(
        p.kind == "unknown-base" and p.source.endswith("StructureDefinition-orphan.json")
        for p in problems
    )


def test_listing_compiles_every_loaded_profile(registry: DefinitionRegistry) -> None:
    urls = sorted(sd.url for sd in registry.structures())
    assert urls == [
        EXAMPLE + "test-goal",
        EXAMPLE + "test-observation",
        EXAMPLE + "test-observation-child",
        EXAMPLE + "test-scale",
    ]
