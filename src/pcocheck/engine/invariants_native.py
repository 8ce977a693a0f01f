"""Pure-Python checks for the invariants that apply to (almost) every element, and for
those that fhirpathpy made expensive on common resources (us-core-16/17 on every NPI,
org-1, the Bundle invariants, con-3, Timing, Range, Duration, Distance; see BENCHMARKS.md).

Each function returns the FHIRPath result its R4 expression gives (``[]``, ``[True]``
or ``[False]``), so that the evaluator treats native, fast-subset and fhirpathpy
results the same way and the tests can compare them one for one.

Where fhirpathpy 2.2.4 departs from the FHIR specification the native check follows the
specification; the differences are listed in ``tests/engine_units/test_invariants.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pcocheck.engine.fhirpath_fast import compile_fast
from pcocheck.engine.fhirpath_model import (
    CHOICE_TYPES,
    PRIMITIVE_SYSTEM_TYPE,
    URI_TYPES,
    has_value,
    is_subtype,
    member,
    typed_strings,
)
from pcocheck.engine.fhirpath_temporal import compare_texts
from pcocheck.engine.narrative import xhtml_has_content, xhtml_markup_problems

TRUE: Final = [True]
FALSE: Final = [False]
EMPTY: Final[list[bool]] = []


class NativeContext:
    """What a native check may look at besides the node itself.

    One instance is reused by an evaluator for every call (set with :meth:`bind`).
    """

    __slots__ = ("_root_of", "outer", "resource", "type_path")

    def __init__(self, root_of: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> None:
        self._root_of = root_of
        self.type_path = ""
        self.resource: dict[str, Any] = {}
        self.outer: dict[str, Any] = {}  # the resource's container (see root)

    def bind(self, type_path: str, resource: dict[str, Any], outer: dict[str, Any]) -> None:
        self.type_path = type_path
        self.resource = resource
        self.outer = outer

    def root(self) -> dict[str, Any]:
        """``%rootResource``: the container of a contained resource, else the resource."""
        return self._root_of(self.resource, self.outer)


NativeCheck = Callable[[Any, NativeContext], list[bool]]


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


# ele-1: hasValue() or (children().count() > id.count())
def ele_1(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return TRUE if node is not None and not isinstance(node, list) else FALSE
    for key, value in node.items():
        if key not in ("id", "_id", "resourceType") and has_value(value):
            return TRUE
    return FALSE


# ext-1: extension.exists() != value.exists()
def ext_1(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    has_extension = has_value(node.get("extension")) or has_value(node.get("_extension"))
    if ctx.type_path == "Extension":
        has_val = False
        for key, value in node.items():
            if key in _EXTENSION_VALUE_KEYS and has_value(value):
                has_val = True
                break
    else:
        key, _ = member(ctx.type_path, "value", node)
        has_val = key is not None and (has_value(node.get(key)) or has_value(node.get("_" + key)))
    return TRUE if has_extension != has_val else FALSE


_EXTENSION_VALUE_TYPES: Final = frozenset(CHOICE_TYPES["Extension.value"])
# value[x] of an Extension as JSON keys: each allowed type, with and without the "_" of
# its companion (one set lookup per key instead of slicing it)
_EXTENSION_VALUE_KEYS: Final = frozenset(
    f"{underscore}value{name}" for name in _EXTENSION_VALUE_TYPES for underscore in ("", "_")
)


# per-1: start.hasValue().not() or end.hasValue().not() or (start <= end)
def per_1(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    start = node.get("start")
    end = node.get("end")
    if not _is_primitive_value(start) or not _is_primitive_value(end):
        return TRUE
    if not isinstance(start, str) or not isinstance(end, str):
        return EMPTY
    order = compare_texts(start, end)
    if order is None:
        return EMPTY
    return TRUE if order <= 0 else FALSE


def _is_primitive_value(value: Any) -> bool:
    return value is not None and not isinstance(value, dict | list)


# ref-1: reference.startsWith('#').not() or
#        (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))
def ref_1(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    reference = node.get("reference")
    if not isinstance(reference, str):
        return EMPTY
    if not reference.startswith("#"):
        return TRUE
    if reference == "#":
        return EMPTY  # '#'.substring(1) is empty (start outside the string): unknown
    wanted = reference[1:]
    for contained in _items(ctx.root().get("contained")):
        if isinstance(contained, dict) and contained.get("id") == wanted:
            return TRUE
    return FALSE


# ref-1 with the guard R5 adds (see pcocheck.engine.errata): a Reference without a
# reference string passes.
def ref_1_guarded(node: Any, ctx: NativeContext) -> list[bool]:
    if isinstance(node, dict) and not isinstance(node.get("reference"), str):
        return TRUE
    if isinstance(node, dict) and node.get("reference") == "#":
        # '#' names the container: valid from a contained resource only (R5 ref-1).
        return TRUE if ctx.root() is not ctx.resource else EMPTY
    return ref_1(node, ctx)


# dom-3: every contained resource is referenced from elsewhere in the resource
# (``#id`` in a Reference.reference or a uri/url/canonical) or refers to its container.
def dom_3(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    contained = [c for c in _items(node.get("contained")) if isinstance(c, dict)]
    if not contained:
        return TRUE
    targets: set[str] | None = None
    for resource in contained:
        local_id = resource.get("id")
        if not isinstance(local_id, str):
            continue  # '#' + {} is empty: FHIRPath cannot call it unmatched
        if targets is None:
            targets = _local_targets(ctx.resource)
        if "#" + local_id in targets:
            continue
        if _refers_to_container(resource):
            continue
        return FALSE
    return TRUE


def _local_targets(resource: dict[str, Any]) -> set[str]:
    """``#id`` strings of ``resource`` found in a ``reference`` or a uri-typed element."""
    found: set[str] = set()
    typed_needed = False
    stack: list[tuple[Any, str]] = [(resource, "")]
    while stack:  # untyped first: references are recognised by their key alone
        node, key = stack.pop()
        if isinstance(node, dict):
            stack.extend((value, child) for child, value in node.items())
        elif isinstance(node, list):
            stack.extend((item, key) for item in node)
        elif isinstance(node, str) and node.startswith("#"):
            if key == "reference":
                found.add(node)
            else:
                typed_needed = True
    if typed_needed:
        resource_type = str(resource.get("resourceType", ""))
        for _key, type_path, text in typed_strings(resource, resource_type):
            if text.startswith("#") and type_path in URI_TYPES:
                found.add(text)
    return found


def _refers_to_container(resource: dict[str, Any]) -> bool:
    resource_type = str(resource.get("resourceType", ""))
    for key, type_path, text in typed_strings(resource, resource_type):
        if text == "#" and (key == "reference" or type_path == "canonical"):
            return True
    return False


# txt-1: htmlChecks()
# R4 publishes txt-1 (allowed markup) and txt-2 (some content) with the same expression;
# each key checks its own half, so an empty div fails txt-2 only (as in the reference).
def txt_1(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, str):
        return FALSE
    return FALSE if xhtml_markup_problems(node) else TRUE


def txt_2(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, str):
        return FALSE
    return TRUE if xhtml_has_content(node) else FALSE


# obs-7: value.empty() or
#        component.code.where(coding.intersect(%resource.code.coding).exists()).empty()
def obs_7(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    component = node.get("component")
    if component is None or component == []:
        return TRUE  # no component code can repeat the Observation's (the usual case)
    key, _ = member(ctx.type_path, "value", node)
    if key is None or not (has_value(node.get(key)) or has_value(node.get("_" + key))):
        return TRUE
    code = ctx.resource.get("code")
    codings = (
        [c for c in _items(code.get("coding")) if c is not None] if isinstance(code, dict) else []
    )
    if not codings:
        return TRUE
    for component in _items(node.get("component")):
        if not isinstance(component, dict):
            continue
        for component_code in _items(component.get("code")):
            if not isinstance(component_code, dict):
                continue
            for coding in _items(component_code.get("coding")):
                if coding is not None and coding in codings:
                    return FALSE
    return TRUE


# us-core-1: $this is DateTime implies $this.toString().length() >= 10
# (also spelt "$this is dateTime"; an instant is always longer than 10 characters, so the
# two spellings give the same answers)
def us_core_1(node: Any, ctx: NativeContext) -> list[bool]:
    if PRIMITIVE_SYSTEM_TYPE.get(ctx.type_path) != "DateTime" or isinstance(node, dict | list):
        return TRUE
    return TRUE if len(_to_string(node)) >= 10 else FALSE


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _single(node: dict[str, Any], key: str) -> Any:
    """The one value of ``node[key]`` (``None`` when absent or without a value).

    A primitive that has only its ``_key`` companion (extensions, no value) has no value
    (FHIR JSON §2.6.2): string functions on it give an empty result. A list of several
    values cannot be the single item a string function needs.
    """
    value = node.get(key)
    if isinstance(value, list):
        if len(value) > 1:
            raise TypeError(f"Expected a single item for {key}, but got {len(value)}")
        value = value[0] if value else None
    return value


def _single_string(node: dict[str, Any], key: str) -> str | None:
    value = _single(node, key)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"Expected string, but got {value}")  # fhirpathpy's words


def _count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


def _implies(left: bool | None, right: bool | None) -> list[bool]:
    """FHIRPath ``implies`` with ``None`` for an empty operand."""
    if left is False or right is True:
        return TRUE
    if left is True:
        return FALSE if right is False else EMPTY
    return EMPTY


# us-core-16: value.matches('^[0-9]{10}$')   (the NPI is ten digits)
_NPI_SHAPE: Final = re.compile(r"^[0-9]{10}$", re.DOTALL)


def us_core_16(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    value = _single_string(node, "value")
    if value is None:
        return EMPTY
    # re.search, as fhirpathpy runs matches(): "$" also matches before one final newline.
    return TRUE if _NPI_SHAPE.search(value) else FALSE


# us-core-17: the NPI check digit, written out digit by digit in FHIRPath: the Luhn sum
# of the first ten characters (even positions doubled, minus 9 above 9) plus 24 (the
# ``80840`` prefix) is a multiple of 10. A missing or non-numeric character makes one
# operand empty, so the whole sum is empty (unknown, not a failure).
_INTEGER: Final = re.compile(r"^[+-]?\d+$")  # toInteger()'s pattern


_LUHN_DOUBLED: Final = tuple(d * 2 if d < 5 else d * 2 - 9 for d in range(10))


def us_core_17(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    value = _single_string(node, "value")
    if value is None or len(value) < 10:
        return EMPTY
    head = value[:10]
    if head.isascii() and head.isdigit():  # the usual NPI: the sum without the regex
        total = 24 + sum(_LUHN_DOUBLED[int(c)] for c in head[0::2]) + sum(map(int, head[1::2]))
        return TRUE if total % 10 == 0 else FALSE
    total = 24
    for index in range(10):
        char = value[index]
        if not _INTEGER.match(char):
            return EMPTY
        digit = int(char)
        if index % 2 == 0:
            digit = digit * 2 if digit < 5 else digit * 2 - 9
        total += digit
    return TRUE if total % 10 == 0 else FALSE


# org-1: (identifier.count() + name.count()) > 0
def org_1(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    names = _count(node.get("name")) or _count(node.get("_name"))
    return TRUE if _count(node.get("identifier")) + names > 0 else FALSE


# bdl-4: entry.all(response.exists() = (%resource.type = 'batch-response' or
#        %resource.type = 'transaction-response' or %resource.type = 'history'))
_RESPONSE_TYPES: Final = frozenset({"batch-response", "transaction-response", "history"})


def bdl_4(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    entries = [e for e in _items(node.get("entry")) if e is not None]
    if not entries:
        return TRUE  # all() of nothing is true
    bundle_type = _single(ctx.resource, "type")
    if bundle_type is None:
        return FALSE  # every criterion is empty, and all() wants true
    wanted = bundle_type in _RESPONSE_TYPES
    for entry in entries:
        has_response = isinstance(entry, dict) and has_value(entry.get("response"))
        if has_response != wanted:
            return FALSE
    return TRUE


# bdl-8: fullUrl.contains('/_history/').not()
def bdl_8(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    full_url = _single_string(node, "fullUrl")
    if full_url is None:
        return EMPTY
    return FALSE if "/_history/" in full_url else TRUE


def bdl_8_guarded(node: Any, ctx: NativeContext) -> list[bool]:
    """bdl-8 as corrected by :mod:`pcocheck.engine.errata`: an entry without fullUrl passes."""
    if not isinstance(node, dict):
        return EMPTY
    return TRUE if _single_string(node, "fullUrl") is None else bdl_8(node, ctx)


def _first_entry_is(bundle_type: str, resource_type: str) -> NativeCheck:
    """``type = 'T' implies entry.first().resource.is(R)`` (bdl-11, bdl-12)."""

    def check(node: Any, ctx: NativeContext) -> list[bool]:
        if not isinstance(node, dict):
            return EMPTY
        declared = _single(node, "type")
        if declared is not None and declared != bundle_type:
            return TRUE
        is_type: bool | None = None
        first = next((e for e in _items(node.get("entry")) if e is not None), None)
        if isinstance(first, dict):
            resource = _single(first, "resource")
            if isinstance(resource, dict):
                is_type = resource.get("resourceType") == resource_type
        return _implies(None if declared is None else True, is_type)

    return check


bdl_11 = _first_entry_is("document", "Composition")
bdl_12 = _first_entry_is("message", "MessageHeader")


# con-3: clinicalStatus.exists() or verificationStatus.coding.where(system=
#        'http://terminology.hl7.org/CodeSystem/condition-ver-status' and
#        code = 'entered-in-error').exists() or category.select($this='problem-list-item').empty()
# As published, ``$this='problem-list-item'`` compares a CodeableConcept with a string:
# one (false) item per category, so the last clause means "no category". Kept as written
# (it is a warning in R4), like fhirpathpy and the HL7 validator evaluate it.
_CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def con_3(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    if has_value(node.get("clinicalStatus")) or has_value(node.get("_clinicalStatus")):
        return TRUE
    for status in _items(node.get("verificationStatus")):
        if isinstance(status, dict):
            for coding in _items(status.get("coding")):
                if (
                    isinstance(coding, dict)
                    and coding.get("system") == _CONDITION_VERIFICATION
                    and coding.get("code") == "entered-in-error"
                ):
                    return TRUE
    return FALSE if _items(node.get("category")) else TRUE


def _not_negative(name: str) -> NativeCheck:
    """``name.exists() implies name >= 0`` on a decimal (tim-4, tim-5)."""

    def check(node: Any, ctx: NativeContext) -> list[bool]:
        if not isinstance(node, dict):
            return EMPTY
        value = _single(node, name)
        if value is None:
            # only an extension (no value): exists, but ">= 0" is empty, and so is implies
            return EMPTY if has_value(node.get("_" + name)) else TRUE
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} {value!r} is not a number")
        return TRUE if value >= 0 else FALSE

    return check


tim_4 = _not_negative("duration")
tim_5 = _not_negative("period")


# rng-2: low.empty() or high.empty() or (low <= high)
# Quantities compare only with the same unit (system and code, or else the unit text):
# different units give an empty result, as in the FHIRPath comparison pcocheck uses.
def rng_2(node: Any, ctx: NativeContext) -> list[bool]:
    if not isinstance(node, dict):
        return EMPTY
    low, high = node.get("low"), node.get("high")
    if not has_value(low) or not has_value(high):
        return TRUE
    left, right = _quantity(low), _quantity(high)
    if left is None or right is None or left[1] != right[1]:
        return EMPTY
    return TRUE if left[0] <= right[0] else FALSE


def _quantity(data: Any) -> tuple[Decimal, tuple[Any, Any]] | None:
    if not isinstance(data, dict):
        return None
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    code = data.get("code")
    return number, ((data.get("system"), code) if code is not None else (None, data.get("unit")))


# -- Observation-level invariants met on every Observation of a PCO export ------------------
# Each answers the common shapes directly (no ``_x`` companion, singletons and lists as
# FHIR writes them) and hands anything else to its fast-subset compilation, whose answer
# it must equal (tests/engine_units/test_observation_natives.py compares them).


def _simple_count(node: dict[str, Any], name: str) -> int | None:
    """How many items FHIRPath navigation to ``name`` gives (a non-choice element that is
    not a resource), or None when a ``_name`` companion is there (not answered here)."""
    if "_" + name in node:
        return None
    value = node.get(name)
    if value is None:
        return 0
    if type(value) is list:
        return sum(1 for item in value if item is not None)
    return 1


def _value_count(node: dict[str, Any], type_path: str) -> int | None:
    """:func:`_simple_count` for the choice element ``value``."""
    key, _ = member(type_path, "value", node)
    return 0 if key is None else _simple_count(node, key)


OBS_6: Final = "dataAbsentReason.empty() or value.empty()"
US_CORE_2: Final = (
    "(component.empty() and hasMember.empty()) implies "
    "(dataAbsentReason.exists() or value.exists())"
)
US_CORE_3: Final = (
    "value.ofType(Quantity).system.empty() or "
    "value.ofType(Quantity).system = 'http://unitsofmeasure.org'"
)


def obs_6(node: Any, ctx: NativeContext) -> list[bool]:
    if type(node) is dict:
        absent = _simple_count(node, "dataAbsentReason")
        if absent == 0:
            return TRUE
        values = _value_count(node, ctx.type_path)
        if absent is not None and values is not None:
            return FALSE if values else TRUE
    return _OBS_6_FAST(node, ctx)


def us_core_2(node: Any, ctx: NativeContext) -> list[bool]:
    if type(node) is dict:
        components = _simple_count(node, "component")
        members = _simple_count(node, "hasMember")
        if components is not None and members is not None:
            if components or members:
                return TRUE  # the condition is false
            absent = _simple_count(node, "dataAbsentReason")
            if absent:
                return TRUE
            values = _value_count(node, ctx.type_path)
            if absent == 0 and values is not None:
                return TRUE if values else FALSE
    return _US_CORE_2_FAST(node, ctx)


def us_core_3(node: Any, ctx: NativeContext) -> list[bool]:
    if type(node) is dict:
        key, value_type = member(ctx.type_path, "value", node)
        if key is None:
            return TRUE  # no value: no system
        if not is_subtype("BackboneElement" if "." in value_type else value_type, "Quantity"):
            return TRUE  # ofType(Quantity) keeps nothing
        quantity = node.get(key)
        if type(quantity) is dict and "_" + key not in node and "_system" not in quantity:
            system = quantity.get("system")
            if system is None:
                return TRUE
            if type(system) is str:
                return TRUE if system == _UCUM else FALSE
    return _US_CORE_3_FAST(node, ctx)


# -- element invariants met on every organisation, practitioner, patient and goal ----------
CPT_2: Final = "value.empty() or system.exists()"
ORG_2: Final = "where(use = 'home').empty()"  # org-3 too (on telecom)
GOL_1: Final = "(detail.exists() and measure.exists()) or detail.exists().not()"
US_CORE_6: Final = (
    "(family.exists() or given.exists()) xor extension.where("
    "url='http://hl7.org/fhir/StructureDefinition/data-absent-reason').exists()"
)
_DATA_ABSENT_REASON: Final = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"


def cpt_2(node: Any, ctx: NativeContext) -> list[bool]:
    if type(node) is dict:
        values = _simple_count(node, "value")
        if values == 0:
            return TRUE
        systems = _simple_count(node, "system")
        if values is not None and systems is not None:
            return TRUE if systems else FALSE
    return _CPT_2_FAST(node, ctx)


def not_home(node: Any, ctx: NativeContext) -> list[bool]:
    """org-2 and org-3 (the same expression on an address and a telecom)."""
    if type(node) is dict and "_use" not in node:
        use = node.get("use")
        if use is None:
            return TRUE
        if type(use) is str:
            return FALSE if use == "home" else TRUE
    return _ORG_2_FAST(node, ctx)


def gol_1(node: Any, ctx: NativeContext) -> list[bool]:
    if type(node) is dict:
        key, _ = member(ctx.type_path, "detail", node)
        details = 0 if key is None else _simple_count(node, key)
        if details == 0:
            return TRUE
        measures = _simple_count(node, "measure")
        if details is not None and measures is not None:
            return TRUE if measures else FALSE
    return _GOL_1_FAST(node, ctx)


def us_core_6(node: Any, ctx: NativeContext) -> list[bool]:
    if type(node) is dict and "_extension" not in node:
        families = _simple_count(node, "family")
        givens = _simple_count(node, "given")
        extensions = node.get("extension")
        if families is not None and givens is not None:
            absent: bool | None = None
            if extensions is None:
                absent = False
            elif type(extensions) is list and all(
                type(e) is dict and "_url" not in e and type(e.get("url")) in (str, type(None))
                for e in extensions
                if e is not None
            ):
                absent = any(
                    e is not None and e.get("url") == _DATA_ABSENT_REASON for e in extensions
                )
            if absent is not None:
                return TRUE if (families > 0 or givens > 0) != absent else FALSE
    return _US_CORE_6_FAST(node, ctx)


def _with_ucum(expression: str) -> NativeCheck:
    """The fast subset for an expression whose only obstacle is the ``%ucum`` variable."""
    return _fast(expression.replace("%ucum", f"'{_UCUM}'"))


_UCUM: Final = "http://unitsofmeasure.org"
DRT_1: Final = "code.exists() implies ((system = %ucum) and value.exists())"
DIS_1: Final = "(code.exists() or value.empty()) and (system.empty() or system = %ucum)"


def _fast(expression: str) -> NativeCheck:
    compiled = compile_fast(expression)
    if compiled is None:  # pragma: no cover - guarded by tests
        raise RuntimeError(f"not in the fast subset: {expression}")

    def check(node: Any, ctx: NativeContext) -> list[bool]:
        return compiled([(node, ctx.type_path)])

    return check


_OBS_6_FAST: Final = _fast(OBS_6)
_US_CORE_2_FAST: Final = _fast(US_CORE_2)
_US_CORE_3_FAST: Final = _fast(US_CORE_3)
_CPT_2_FAST: Final = _fast(CPT_2)
_ORG_2_FAST: Final = _fast(ORG_2)
_GOL_1_FAST: Final = _fast(GOL_1)
_US_CORE_6_FAST: Final = _fast(US_CORE_6)


#: key → (R4 expression, check). A constraint is checked natively only when both its
#: key and its (whitespace-normalised) expression match.
NATIVE: Final[dict[str, tuple[str, NativeCheck]]] = {
    "ele-1": ("hasValue() or (children().count() > id.count())", ele_1),
    "ext-1": ("extension.exists() != value.exists()", ext_1),
    "dom-2": ("contained.contained.empty()", _fast("contained.contained.empty()")),
    "dom-3": (
        "contained.where((('#'+id in (%resource.descendants().reference | "
        "%resource.descendants().as(canonical) | %resource.descendants().as(uri) | "
        "%resource.descendants().as(url))) or descendants().where(reference = '#').exists() "
        "or descendants().where(as(canonical) = '#').exists() or "
        "descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched', id)"
        ".empty()",
        dom_3,
    ),
    "dom-4": (
        "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()",
        _fast("contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"),
    ),
    "dom-5": ("contained.meta.security.empty()", _fast("contained.meta.security.empty()")),
    "dom-6": ("text.`div`.exists()", _fast("text.`div`.exists()")),
    "per-1": ("start.hasValue().not() or end.hasValue().not() or (start <= end)", per_1),
    "qty-3": ("code.empty() or system.exists()", _fast("code.empty() or system.exists()")),
    "sqty-1": ("comparator.empty()", _fast("comparator.empty()")),
    "ref-1": (
        "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
        "%rootResource.contained.id.trace('ids'))",
        ref_1,
    ),
    "txt-1": ("htmlChecks()", txt_1),
    "obs-7": (
        "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists())"
        ".empty()",
        obs_7,
    ),
    # US Core 6.1.0, on Observation.effective[x] of the screening/assessment profiles
    "us-core-1": ("$this is DateTime implies $this.toString().length() >= 10", us_core_1),
    # Checked through fhirpathpy on every Practitioner NPI, Organization and Bundle before
    # (us-core-17 alone took over a millisecond per Practitioner; bdl-4 a second per
    # 10,000-entry Bundle): see BENCHMARKS.md.
    "us-core-16": ("value.matches('^[0-9]{10}$')", us_core_16),
    "us-core-17": (
        "(((select(value.substring(0,1).toInteger()).select(iif($this<5, $this*2, "
        "(($this*2)-9))))+(value.substring(1,1).toInteger())+(select(value.substring(2,1)"
        ".toInteger()).select(iif($this<5, $this*2, (($this*2)-9))))+(value.substring(3,1)"
        ".toInteger())+(select(value.substring(4,1).toInteger()).select(iif($this<5, $this*2, "
        "(($this*2)-9))))+(value.substring(5,1).toInteger())+(select(value.substring(6,1)"
        ".toInteger()).select(iif($this<5, $this*2, (($this*2)-9))))+(value.substring(7,1)"
        ".toInteger())+(select(value.substring(8,1).toInteger()).select(iif($this<5, $this*2, "
        "(($this*2)-9))))+(value.substring(9,1).toInteger()) + 24)mod 10=0)",
        us_core_17,
    ),
    "org-1": ("(identifier.count() + name.count()) > 0", org_1),
    # On every Observation (R4 obs-6; US Core 6.1.0 us-core-2 and us-core-3): about 2 % of
    # a PCO export's run through the fast subset (see BENCHMARKS.md).
    "obs-6": (OBS_6, obs_6),
    "us-core-2": (US_CORE_2, us_core_2),
    "us-core-3": (US_CORE_3, us_core_3),
    # On every contact point, organisation address and telecom, goal target and patient
    # name of a PCO export (R4 cpt-2, org-2, org-3, gol-1; US Core us-core-6).
    "cpt-2": (CPT_2, cpt_2),
    "org-2": (ORG_2, not_home),
    "org-3": (ORG_2, not_home),
    "gol-1": (GOL_1, gol_1),
    "us-core-6": (US_CORE_6, us_core_6),
    "bdl-4": (
        "entry.all(response.exists() = (%resource.type = 'batch-response' or "
        "%resource.type = 'transaction-response' or %resource.type = 'history'))",
        bdl_4,
    ),
    "bdl-8": ("fullUrl.contains('/_history/').not()", bdl_8),
    "bdl-11": ("type = 'document' implies entry.first().resource.is(Composition)", bdl_11),
    "bdl-12": ("type = 'message' implies entry.first().resource.is(MessageHeader)", bdl_12),
    # Common datatypes and resources of clinical exports (Condition, Timing, Range,
    # Duration, Distance) that fhirpathpy evaluated before.
    "con-3": (
        "clinicalStatus.exists() or verificationStatus.coding.where(system='http://"
        "terminology.hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error')"
        ".exists() or category.select($this='problem-list-item').empty()",
        con_3,
    ),
    "tim-4": ("duration.exists() implies duration >= 0", tim_4),
    "tim-5": ("period.exists() implies period >= 0", tim_5),
    "rng-2": ("low.empty() or high.empty() or (low <= high)", rng_2),
    "drt-1": (DRT_1, _with_ucum(DRT_1)),
    "dis-1": (DIS_1, _with_ucum(DIS_1)),
}


def normalise(expression: str) -> str:
    """Collapse whitespace so that reformatted copies of an expression match."""
    return " ".join(expression.split())


#: Other published spellings of the same invariants.
NATIVE_VARIANTS: Final[tuple[tuple[str, str, NativeCheck], ...]] = (
    # txt-2 "The narrative SHALL have some non-whitespace content" shares txt-1's expression.
    ("txt-2", "htmlChecks()", txt_2),
    # ref-1 as corrected by pcocheck.engine.errata.
    (
        "ref-1",
        "reference.exists() implies (reference.startsWith('#').not() or "
        "(reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids')) or "
        "(reference = '#' and %rootResource != %resource))",
        ref_1_guarded,
    ),
    # bdl-8 as corrected by pcocheck.engine.errata (every Bundle entry is checked).
    (
        "bdl-8",
        "fullUrl.exists() implies fullUrl.contains('/_history/').not()",
        bdl_8_guarded,
    ),
    # US Core 6.1.0 as published spells the type in lower case (a FHIR dateTime).
    ("us-core-1", "$this is dateTime implies $this.toString().length() >= 10", us_core_1),
)

NATIVE_BY_EXPRESSION: Final[dict[tuple[str, str], NativeCheck]] = {
    **{(key, normalise(expression)): check for key, (expression, check) in NATIVE.items()},
    **{(key, normalise(expression)): check for key, expression, check in NATIVE_VARIANTS},
}


def _no_contained(node: Any) -> bool:
    # No "contained": every dom-2..dom-5 expression starts at an empty collection and is
    # true. A stray "_contained" is left to the evaluation.
    return type(node) is dict and "contained" not in node and "_contained" not in node


def _has_div(node: Any) -> bool:
    if type(node) is not dict or "_text" in node:  # "_text": left to the evaluation
        return False
    text = node.get("text")
    div = text.get("div") if type(text) is dict else None
    return type(div) is str and div != ""


#: check → a test of the node alone that, when true, means the check passes: the common
#: resource (nothing contained, a narrative div) then needs no evaluation at all.
QUICK_PASS: Final[dict[NativeCheck, Callable[[Any], bool]]] = {
    NATIVE["dom-2"][1]: _no_contained,
    NATIVE["dom-3"][1]: _no_contained,
    NATIVE["dom-4"][1]: _no_contained,
    NATIVE["dom-5"][1]: _no_contained,
    NATIVE["dom-6"][1]: _has_div,
}
