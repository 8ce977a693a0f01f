"""US Core 6.1.0 as shipped (src/pcocheck/data/uscore.zip, built by tools/build_uscore.py
from the official package): complete, resolvable, and its snapshots reproducible from
their differentials by pcocheck's own snapshot generator."""

from __future__ import annotations

import re

import pytest

from pcocheck.definitions import DefinitionRegistry, StructureDef, default_registry
from pcocheck.definitions.snapshot import expand_differential
from pcocheck.definitions.uscore import (
    DEPENDENCY_NAMESPACES,
    UsCoreArchive,
    capability_statement,
    search_parameters,
    shared_uscore,
)

US_CORE = "http://hl7.org/fhir/us/core/"
SDC_QR = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse"
# A published snapshot keeps type slices (value[x]:valueQuantity ...) that pcocheck's
# generator folds into the choice element itself; both mean the same constraint.
TYPE_SLICE = re.compile(r"\[x\]:[a-z]+[A-Z]\w*")

ARCHIVE = shared_uscore()
REGISTRY = default_registry()
STRUCTURE_URLS = ARCHIVE.structure_urls()


def test_the_archive_holds_the_whole_package() -> None:
    assert (ARCHIVE.package_name, ARCHIVE.package_version) == ("hl7.fhir.us.core", "6.1.0")
    assert len(STRUCTURE_URLS) == 59
    assert len(ARCHIVE.value_set_urls()) == 36
    assert len(ARCHIVE.code_system_urls()) == 5
    assert len(ARCHIVE.search_parameter_urls()) == 106
    assert ARCHIVE.index["source"]["sha256"] == (
        "4c4e7fbb07ef2fdb35bdfc3f5d09a417ee0d8644ea17cb3692ca6d03c4358b1d"
    )
    kinds = {ARCHIVE.structure(u).type for u in STRUCTURE_URLS}  # type: ignore[union-attr]
    assert {"Patient", "Observation", "Extension", "Goal", "QuestionnaireResponse"} <= kinds


def test_the_archive_opens_lazily() -> None:
    fresh = UsCoreArchive()
    assert fresh._members == {}
    fresh.structure(US_CORE + "StructureDefinition/us-core-goal")
    assert sorted(fresh._members) == ["index.json", "sd/us-core-goal.json"]


def test_registry_serves_us_core_from_the_archive() -> None:
    patient = REGISTRY.structure(US_CORE + "StructureDefinition/us-core-patient|6.1.0")
    assert patient is not None and patient.package == "hl7.fhir.us.core#6.1.0"
    # The published definition, not a re-authored one: genderIdentity is an Extension
    # with its own url (the hand-written copy constrained the core extension).
    gender = REGISTRY.structure(US_CORE + "StructureDefinition/us-core-genderIdentity")
    assert gender is not None and gender.base_definition == (
        "http://hl7.org/fhir/StructureDefinition/Extension"
    )
    url_element = gender.by_id["Extension.url"]
    assert url_element.fixed == ("Uri", US_CORE + "StructureDefinition/us-core-genderIdentity")
    assert REGISTRY.value_set(US_CORE + "ValueSet/us-core-narrative-status") is not None
    assert REGISTRY.code_system(US_CORE + "CodeSystem/us-core-category") is not None
    names = [(p.name, p.version) for p in REGISTRY.packages()]
    assert ("hl7.fhir.us.core", "6.1.0") in names


def test_a_later_source_overrides_the_shipped_us_core() -> None:
    registry = DefinitionRegistry()
    registry.add_archive(ARCHIVE)
    goal = US_CORE + "StructureDefinition/us-core-goal"
    override = {
        "resourceType": "StructureDefinition",
        "url": goal,
        "version": "9.9.9",
        "name": "LocalGoal",
        "type": "Goal",
        "kind": "resource",
        "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Goal",
        "differential": {"element": [{"id": "Goal", "path": "Goal"}]},
    }
    registry.add_resource(override, label="local")
    found = registry.structure(goal)
    assert found is not None and found.version == "9.9.9"
    pinned = registry.structure(goal + "|6.1.0")
    assert pinned is not None and pinned.package == "hl7.fhir.us.core#6.1.0"


def _parent_chain(sd: StructureDef) -> list[str]:
    chain: list[str] = []
    current = sd
    while current.derivation == "constraint":
        assert current.base_definition, current.url
        parent = REGISTRY.structure(current.base_definition)
        if parent is None:
            chain.append(f"UNRESOLVED {current.base_definition}")
            break
        chain.append(parent.url)
        current = parent
    return chain


@pytest.mark.parametrize("url", STRUCTURE_URLS, ids=lambda u: u.rsplit("/", 1)[-1])
def test_every_profile_resolves_its_parent_chain_and_builds_a_snapshot(url: str) -> None:
    published = ARCHIVE.structure(url)
    assert published is not None
    chain = _parent_chain(published)
    if chain and chain[-1].startswith("UNRESOLVED"):
        # Only US Core QuestionnaireResponse derives from a definition outside the
        # package and the R4 core (SDC); pcocheck says so instead of failing.
        assert (url, chain) == (
            US_CORE + "StructureDefinition/us-core-questionnaireresponse",
            [f"UNRESOLVED {SDC_QR}"],
        )
        assert REGISTRY.unavailable_dependency(SDC_QR) == "hl7.fhir.uv.sdc#3.0.0"
        return
    assert chain[-1].startswith("http://hl7.org/fhir/StructureDefinition/")
    assert REGISTRY.structure(chain[-1]).derivation == "specialization"  # type: ignore[union-attr]

    parent = REGISTRY.structure(published.base_definition or "")
    assert parent is not None
    differential = ARCHIVE.differential(url)
    assert differential
    elements, problems = expand_differential(differential, parent, REGISTRY.structure)
    assert [m for severity, m in problems if severity == "error"] == []
    generated = {e.id: e for e in elements}
    assert elements[0].id == published.elements[0].id
    missing = [e.id for e in published.elements if e.id not in generated]
    assert [i for i in missing if not TYPE_SLICE.search(i)] == []
    for element in published.elements:
        mine = generated.get(element.id)
        if mine is None:
            continue
        assert (mine.min, mine.max) == (element.min, element.max), element.id
        assert (mine.fixed, mine.pattern) == (element.fixed, element.pattern), element.id
        if element.is_choice and element.slicing is not None:
            continue  # type slices (see TYPE_SLICE): restricted on the choice itself
        assert mine.slicing == element.slicing, element.id
        if element.id.count(".") == 1 and element.id.endswith(".id"):
            continue  # the publisher types Resource.id as `id`, the R4 core as `string`
        mine_types = {(t.code, t.profiles) for t in mine.types}
        assert mine_types == {(t.code, t.profiles) for t in element.types}, element.id


def test_unresolved_references_belong_to_declared_dependencies() -> None:
    """Every canonical the US Core definitions point at is in US Core, in the R4 core, or
    in a package US Core depends on (reported as not available offline)."""
    unresolved: set[str] = set()
    for url in STRUCTURE_URLS:
        sd = ARCHIVE.structure(url)
        assert sd is not None
        wanted = [sd.base_definition or ""]
        for element in sd.elements:
            wanted.extend(p for t in element.types for p in (*t.profiles, *t.target_profiles))
            if element.binding and element.binding.value_set:
                wanted.append(element.binding.value_set)
        for ref in wanted:
            if not ref:
                continue
            known = REGISTRY.structure(ref) or REGISTRY.value_set(ref)
            if known is None:
                unresolved.add(ref)
                assert REGISTRY.unavailable_dependency(ref) is not None, ref
    # what the package leaves to its dependencies: SDC, VSAC, THO, the extensions pack
    packages = {REGISTRY.unavailable_dependency(u) for u in unresolved}
    assert "hl7.fhir.uv.sdc#3.0.0" in packages
    assert "us.nlm.vsac#0.10.0" in packages
    assert set(ARCHIVE.dependencies) >= {p.partition("#")[0] for p in packages if p}
    assert set(DEPENDENCY_NAMESPACES) >= set(ARCHIVE.dependencies) - {"hl7.fhir.r4.core"}


def test_a_loaded_dependency_is_not_reported_unavailable() -> None:
    registry = default_registry()
    assert registry.unavailable_dependency(SDC_QR) == "hl7.fhir.uv.sdc#3.0.0"
    registry.add_resource({"resourceType": "ValueSet", "url": "urn:x"}, label="hl7.fhir.uv.sdc")
    assert registry.unavailable_dependency(SDC_QR) is None
    assert registry.unavailable_dependency("http://example.org/StructureDefinition/x") is None


def test_capability_statements_and_search_parameters_are_reachable() -> None:
    server = capability_statement("server")
    assert server["resourceType"] == "CapabilityStatement"
    assert server["url"] == US_CORE + "CapabilityStatement/us-core-server"
    assert "text" not in server
    rest = server["rest"][0]
    assert rest["mode"] == "server"
    resources = {r["type"] for r in rest["resource"]}
    assert {"Patient", "Observation", "Goal", "QuestionnaireResponse"} <= resources
    client = capability_statement("client")
    assert client["rest"][0]["mode"] == "client"
    # fresh copies: a caller's changes do not leak into the next call
    server["rest"].clear()
    assert capability_statement("server")["rest"]

    patient = search_parameters("Patient")
    codes = {p["code"] for p in patient}
    assert {"_id", "identifier", "name", "birthdate", "gender"} <= codes
    assert all("Patient" in p["base"] for p in patient)
    everything = search_parameters()
    assert len(everything) == 106
    assert all(p["resourceType"] == "SearchParameter" for p in everything)
    # every search parameter the server statement names is among them
    named = {
        s["definition"]
        for r in rest["resource"]
        for s in r.get("searchParam", [])
        if s["definition"].startswith(US_CORE)
    }
    assert named <= {p["url"] for p in everything}


def test_every_us_core_invariant_is_in_the_shipped_fhirpath_cache() -> None:
    """US Core content must not pay fhirpathpy's parser warm-up at run time: rerun
    tools/build_fhirpath_cache.py after rebuilding the US Core archive."""
    from pcocheck.engine.invariants import _shipped_trees

    trees = _shipped_trees()
    expressions = {
        c.expression
        for url in STRUCTURE_URLS
        for e in ARCHIVE.structure(url).elements  # type: ignore[union-attr]
        for c in e.constraints
        if c.expression
    }
    assert sorted(expressions - set(trees)) == []
