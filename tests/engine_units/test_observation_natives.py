"""The native obs-6, us-core-2 and us-core-3 (engine/invariants_native.py) give the answer
of their fast-subset compilation on any Observation-like node: random shapes, companions
and nulls included (those the natives hand to the compilation, the others they answer)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pcocheck.definitions.model import Constraint
from pcocheck.engine.fhirpath_fast import compile_fast
from pcocheck.engine.fhirpath_model import has_value, member
from pcocheck.engine.invariants import InvariantEvaluator
from pcocheck.engine.invariants_native import (
    _EXTENSION_VALUE_TYPES,
    NATIVE,
    OBS_6,
    US_CORE_2,
    US_CORE_3,
    NativeContext,
    ext_1,
    obs_6,
    us_core_2,
    us_core_3,
)

UCUM = "http://unitsofmeasure.org"
_EXTENSION = {"extension": [{"url": "http://example.org/x", "valueString": "x"}]}
_CODING = {"coding": [{"system": "http://loinc.org", "code": "1-8"}]}
_QUANTITY = st.fixed_dictionaries(
    {},
    optional={
        "value": st.sampled_from([1, 2.5]),
        "system": st.sampled_from([UCUM, "http://example.org/units", None, 3, ""]),
        "_system": st.just(_EXTENSION),
        "code": st.just("1"),
    },
)
_ANY = st.one_of(
    st.none(),
    st.just([]),
    st.just([None]),
    st.just(_EXTENSION),
    st.just([_EXTENSION, None]),
    st.just(_CODING),
    st.just([_CODING]),
    st.just("text"),
    _QUANTITY,
    st.lists(_QUANTITY, max_size=2),
)
_KEYS = [
    "component",
    "_component",
    "hasMember",
    "_hasMember",
    "dataAbsentReason",
    "_dataAbsentReason",
    "valueQuantity",
    "_valueQuantity",
    "valueString",
    "_valueString",
    "valueCodeableConcept",
    "valueInteger",
]
_OBSERVATIONS = st.dictionaries(st.sampled_from(_KEYS), _ANY, max_size=5).map(
    lambda node: {"resourceType": "Observation", **node}
)
_NODES = st.one_of(_OBSERVATIONS, st.sampled_from(["x", 1, None, [], [{}]]))


def _context(type_path: str) -> NativeContext:
    ctx = NativeContext(lambda resource, outer: outer)
    ctx.bind(type_path, {"resourceType": "Observation"}, {"resourceType": "Observation"})
    return ctx


@given(node=_NODES, type_path=st.sampled_from(["Observation", "Observation.component"]))
@settings(max_examples=800, deadline=None)
def test_natives_equal_their_fast_compilation(node: Any, type_path: str) -> None:
    ctx = _context(type_path)
    for expression, native in ((OBS_6, obs_6), (US_CORE_2, us_core_2), (US_CORE_3, us_core_3)):
        compiled = compile_fast(expression)
        assert compiled is not None
        assert native(node, ctx) == compiled([(node, type_path)]), (expression, node)


def test_the_common_shapes_are_answered_without_the_compilation() -> None:
    ctx = _context("Observation")
    scored = {"resourceType": "Observation", "valueQuantity": {"value": 3, "system": UCUM}}
    assert us_core_3(scored, ctx) == [True]
    assert us_core_3({**scored, "valueQuantity": {"value": 3, "system": "s"}}, ctx) == [False]
    assert us_core_2({"resourceType": "Observation"}, ctx) == [False]
    assert us_core_2({"resourceType": "Observation", "valueCodeableConcept": _CODING}, ctx) == [
        True
    ]
    assert obs_6({**scored, "dataAbsentReason": _CODING}, ctx) == [False]


def test_the_table_names_them_with_their_published_expressions() -> None:
    assert NATIVE["obs-6"] == (OBS_6, obs_6)
    assert NATIVE["us-core-2"] == (US_CORE_2, us_core_2)
    assert NATIVE["us-core-3"] == (US_CORE_3, us_core_3)


# -- natives made quicker: the same answers as their general versions (kept here) ----------
_US_CORE_17 = NATIVE["us-core-17"][0]


def _ext_1_general(node: Any, ctx: NativeContext) -> list[bool]:
    """ext-1 as it was written before the key table (every key sliced)."""
    if not isinstance(node, dict):
        return []
    has_extension = has_value(node.get("extension")) or has_value(node.get("_extension"))
    if ctx.type_path == "Extension":
        has_val = False
        for key, value in node.items():
            name = key[1:] if key[:1] == "_" else key
            if name[:5] == "value" and name[5:] in _EXTENSION_VALUE_TYPES and has_value(value):
                has_val = True
                break
    else:
        key, _ = member(ctx.type_path, "value", node)
        has_val = key is not None and (has_value(node.get(key)) or has_value(node.get("_" + key)))
    return [has_extension != has_val]


@given(
    value=st.one_of(
        st.text(alphabet="0123456789", min_size=10, max_size=11),
        st.text(alphabet="0123456789a+-\u0663 ", min_size=9, max_size=11),
    )
)
@settings(max_examples=150, deadline=None)
def test_us_core_17_npi_check_digit_as_fhirpathpy(value: str) -> None:
    c = Constraint("us-core-17", "error", "", _US_CORE_17)
    node = {"system": "http://hl7.org/fhir/sid/us-npi", "value": value}
    resource = {"resourceType": "Basic"}
    outcomes = [
        evaluator.evaluate(c, node, resource=resource, root=resource, type_name="Identifier")
        for evaluator in (InvariantEvaluator(), InvariantEvaluator(accelerate=False))
    ]
    assert InvariantEvaluator().strategy(c) == "native"
    assert outcomes[0].passed is outcomes[1].passed


_EXTENSIONS = st.dictionaries(
    st.sampled_from(
        ["url", "extension", "_extension", "valueString", "_valueString", "valueCoding"]
        + ["__valueString", "valueFoo", "_valueCode", "value", "id"]
    ),
    st.sampled_from([None, [], "x", [_EXTENSION], {"code": "c"}, _EXTENSION]),
    max_size=4,
)


@given(node=_EXTENSIONS, type_path=st.sampled_from(["Extension", "Observation", "Quantity"]))
@settings(max_examples=300, deadline=None)
def test_ext_1_as_its_general_version(node: dict[str, Any], type_path: str) -> None:
    ctx = _context(type_path)
    assert ext_1(node, ctx) == _ext_1_general(node, ctx)


@given(
    component=st.sampled_from(
        [None, [], [None], [{}], [{"code": _CODING}], [{"code": {"coding": [{"code": "x"}]}}]]
    ),
    value=st.sampled_from([None, "x", [], {"value": 1}]),
)
@settings(max_examples=100, deadline=None)
def test_obs_7_with_and_without_components_as_fhirpathpy(component: Any, value: Any) -> None:
    node: dict[str, Any] = {"resourceType": "Observation", "status": "final", "code": _CODING}
    if component is not None:
        node["component"] = component
    if value is not None:
        node["valueString" if isinstance(value, str) else "valueQuantity"] = value
    c = Constraint("obs-7", "error", "", NATIVE["obs-7"][0])
    outcomes = [
        evaluator.evaluate(c, node, resource=node, root=node, type_name="Observation")
        for evaluator in (InvariantEvaluator(), InvariantEvaluator(accelerate=False))
    ]
    assert outcomes[0].passed is outcomes[1].passed


# -- contact points, addresses, goal targets, names: natives against their compilation -----
_DAR = {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "x"}
_SMALL = st.sampled_from(
    [None, [], [None], "home", "work", ["home"], 3, _EXTENSION, [_EXTENSION], [_DAR]]
    + [[_DAR, None], [{"url": None}], [{"_url": _EXTENSION}], [{"url": ["x"]}], ["x"], {"a": 1}]
    + [{"value": 1}, [{"value": 1}], "Doe", ["Ann", None]]
)
_ELEMENTS = st.dictionaries(
    st.sampled_from(
        ["value", "_value", "system", "_system", "use", "_use", "family", "_family", "given"]
        + ["_given", "extension", "_extension", "measure", "_measure", "detailQuantity"]
        + ["_detailQuantity", "detailString", "detailCodeableConcept", "detail"]
    ),
    _SMALL,
    max_size=5,
)


@given(
    node=st.one_of(_ELEMENTS, st.sampled_from(["x", None, 1, []])),
    type_path=st.sampled_from(
        ["ContactPoint", "Address", "Organization.address", "Goal.target", "HumanName"]
        + ["BackboneElement"]
    ),
)
@settings(max_examples=1500, deadline=None)
def test_element_natives_equal_their_fast_compilation(node: Any, type_path: str) -> None:
    ctx = _context(type_path)
    for key in ("cpt-2", "org-2", "org-3", "gol-1", "us-core-6"):
        expression, native = NATIVE[key]
        compiled = compile_fast(expression)
        assert compiled is not None
        assert native(node, ctx) == compiled([(node, type_path)]), (key, node)
