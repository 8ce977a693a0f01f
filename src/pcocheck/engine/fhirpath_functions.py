"""FHIRPath functions that fhirpathpy 2.2.4 lacks or gets wrong for FHIR invariants.

They are registered through fhirpathpy's user invocation table (see
:func:`invocation_table`). Entries are installed in the evaluation context directly
(not through ``options["userInvocationTable"]``, which would strip the nodes of their
FHIR type), so every function here receives fhirpathpy ``ResourceNode`` objects.

Added: ``hasValue()``, ``getValue()``, ``htmlChecks()``, ``resolve()``,
``memberOf(url)``, ``conformsTo(url)``; ``trace()`` is silent (fhirpathpy prints).

Replaced:

* ``is``/``as``/``ofType`` (function and operator forms): an unqualified type name is
  looked up in the FHIR model first and then among the System types, and a FHIR
  primitive *is* the System type it maps to, so ``$this is DateTime`` holds for a FHIR
  ``dateTime`` (fhirpathpy says false, which silently disables US Core's us-core-1).
  ``as`` filters its input like the HL7 validator does instead of failing on more than
  one item (R4's dom-3 applies ``descendants().as(canonical)``).
* ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``: FHIR date/dateTime/instant values are
  compared as FHIRPath dates (timezones, precision; fhirpathpy compares the strings),
  Quantities with the same unit compare their values (fhirpathpy raises), and the
  ``_x`` companion of a primitive is not counted as a second item.
* ``in``/``contains``: a collection of several items is accepted (all must be members),
  as the HL7 validator does; fhirpathpy raises (R4's tim-9 applies ``when in (...)`` to a
  repeating element).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from fhirpathpy.engine.invocations import equality as _fp_equality
from fhirpathpy.engine.invocations import logic as _fp_logic
from fhirpathpy.engine.nodes import FP_DateTime, ResourceNode, TypeInfo

from pcocheck.engine.fhirpath_errors import UncertainResult
from pcocheck.engine.fhirpath_model import (
    DATE_TYPES,
    PRIMITIVE_SYSTEM_TYPE,
    QUANTITY_TYPES,
    SYSTEM_TYPES,
    TYPE_PARENT,
    is_subtype,
)
from pcocheck.engine.fhirpath_temporal import compare_texts
from pcocheck.engine.narrative import (  # re-exported: the narrative checks lived here
    XHTML_NS as XHTML_NS,
)
from pcocheck.engine.narrative import (
    _NarrativeChecker as _NarrativeChecker,
)
from pcocheck.engine.narrative import (
    xhtml_has_content,
)
from pcocheck.engine.narrative import (
    xhtml_markup_problems as xhtml_markup_problems,
)
from pcocheck.engine.narrative import (
    xhtml_problems as xhtml_problems,
)
from pcocheck.jsonutil import listed

Resolver = Callable[[str], dict[str, Any] | None]
MemberOf = Callable[[str, str | None, str | None], bool | None]
ConformsTo = Callable[[dict[str, Any], str], bool | None]


@dataclass(slots=True)
class EvaluationState:
    """Per-evaluation facts the functions need, stored in the fhirpathpy context."""

    resource: dict[str, Any]
    root: dict[str, Any]
    resolver: Resolver | None = None
    member_of: MemberOf | None = None
    conforms_to: ConformsTo | None = None
    key: str = ""  # the key of the constraint being evaluated (txt-1 and txt-2 differ)


STATE_KEY: Final = "pcocheck"


def _state(ctx: dict[str, Any]) -> EvaluationState:
    state = ctx.get(STATE_KEY)
    if not isinstance(state, EvaluationState):
        raise UncertainResult("evaluation state missing")
    return state


def _data(item: Any) -> Any:
    return item.data if isinstance(item, ResourceNode) else item


def _fhir_type(item: Any) -> str | None:
    """FHIR type of a node (``dateTime``, ``Quantity``, ``Observation``) or None."""
    if isinstance(item, ResourceNode):
        path = item.path
        if not isinstance(path, str):
            data = item.data
            if isinstance(data, dict) and isinstance(data.get("resourceType"), str):
                return str(data["resourceType"])
            return None
        if "." in path and not path.startswith("System."):
            return "BackboneElement"
        return path
    if isinstance(item, dict) and isinstance(item.get("resourceType"), str):
        return str(item["resourceType"])
    return None


def _is_companion(item: Any) -> bool:
    """The ``_x`` object of a primitive, which fhirpathpy lists as a separate item."""
    if not isinstance(item, ResourceNode) or not isinstance(item.data, dict):
        return False
    return isinstance(item.path, str) and item.path in PRIMITIVE_SYSTEM_TYPE


def _values(items: list[Any]) -> list[Any]:
    return [item for item in items if not _is_companion(item) and _data(item) is not None]


# -- types ---------------------------------------------------------------------------------
def _system_type_of_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float | Decimal):
        return "Decimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, FP_DateTime):
        return "DateTime"
    type_name = type(value).__name__
    if type_name == "FP_Time":
        return "Time"
    if type_name == "FP_Quantity":
        return "Quantity"
    return None


def node_is(item: Any, type_info: Any) -> bool:
    """Whether ``item`` is of the type named by a fhirpathpy ``TypeInfo``."""
    name = str(getattr(type_info, "name", ""))
    namespace = getattr(type_info, "namespace", None)
    fhir_type = _fhir_type(item)
    is_fhir_name = name in TYPE_PARENT or name in ("Resource", "Element")
    if namespace != TypeInfo.System and is_fhir_name:
        if fhir_type is None or fhir_type.startswith("System."):
            return False
        return is_subtype(fhir_type, name)
    if namespace == TypeInfo.FHIR or name not in SYSTEM_TYPES:
        return False
    if fhir_type is not None:
        if fhir_type in QUANTITY_TYPES or is_subtype(fhir_type, "Quantity"):
            return name == "Quantity"
        return PRIMITIVE_SYSTEM_TYPE.get(fhir_type) == name
    data = _data(item)
    if isinstance(data, FP_DateTime):  # a literal: @2025-02-15 is a Date, @2025-02-15T... not
        has_time = "T" in str(data.asStr or "")
        return name == ("DateTime" if has_time else "Date")
    return _system_type_of_value(data) == name


def _of_type(ctx: dict[str, Any], coll: list[Any], type_info: Any) -> list[Any]:
    return [item for item in coll if node_is(item, type_info)]


def _is_fn(ctx: dict[str, Any], coll: list[Any], type_info: Any) -> list[bool]:
    items = _values(coll) or coll
    if not items:
        return []
    if len(items) > 1:
        raise ValueError("'is' needs a single item on its left side")
    return [node_is(items[0], type_info)]


# -- comparisons ---------------------------------------------------------------------------
def _date_text(item: Any) -> str | None:
    data = _data(item)
    if isinstance(data, FP_DateTime):
        text = data.asStr
        return text if isinstance(text, str) else None
    if isinstance(item, ResourceNode) and item.path in DATE_TYPES and isinstance(data, str):
        return data
    return None


def _is_quantity(item: Any) -> bool:
    if not isinstance(item, ResourceNode) or not isinstance(item.data, dict):
        return False
    fhir_type = _fhir_type(item)
    return fhir_type is not None and (
        fhir_type in QUANTITY_TYPES or is_subtype(fhir_type, "Quantity")
    )


def _quantity(item: Any) -> tuple[Decimal, tuple[Any, Any]] | None:
    """Value and unit of a FHIR Quantity node (``None`` without a numeric value)."""
    if not _is_quantity(item):
        return None
    data = item.data
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    unit: tuple[Any, Any] = (
        (data.get("system"), data.get("code"))
        if data.get("code") is not None
        else (None, data.get("unit"))
    )
    return number, unit


def _order(a: list[Any], b: list[Any]) -> int | Callable[[], Any] | None:
    """-1/0/1 or None (unknown) for dates and quantities; a thunk to delegate otherwise."""
    left, right = _values(a), _values(b)
    if not left or not right:
        return None  # a primitive with only extensions has no value to compare
    if len(left) == 1 and len(right) == 1:
        left_date, right_date = _date_text(left[0]), _date_text(right[0])
        if left_date is not None and right_date is not None:
            return compare_texts(left_date, right_date)
        if _is_quantity(left[0]) and _is_quantity(right[0]):
            left_q, right_q = _quantity(left[0]), _quantity(right[0])
            if left_q is None or right_q is None or left_q[1] != right_q[1]:
                return None  # no value, or different units: not comparable here
            return (left_q[0] > right_q[0]) - (left_q[0] < right_q[0])
    return lambda: (left, right)


_RELATIONS: Final[dict[str, Callable[[int], bool]]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}
_fp_equal: Any = _fp_equality.equal
_create_node: Any = ResourceNode.create_node
_FALLBACK: Final[dict[str, Callable[..., Any]]] = {
    "<": _fp_equality.lt,
    "<=": _fp_equality.lte,
    ">": _fp_equality.gt,
    ">=": _fp_equality.gte,
}


def _comparison(op: str) -> Callable[[dict[str, Any], list[Any], list[Any]], Any]:
    relation = _RELATIONS[op]
    fallback = _FALLBACK[op]

    def compare(ctx: dict[str, Any], a: list[Any], b: list[Any]) -> Any:
        if not a or not b:
            return []
        outcome = _order(a, b)
        if callable(outcome):
            left, right = outcome()
            return fallback(ctx, left, right)
        if outcome is None:
            return []
        return [relation(outcome)]

    return compare


def _equal(ctx: dict[str, Any], a: list[Any], b: list[Any]) -> Any:
    if not a or not b:
        return []
    left, right = _values(a), _values(b)
    if not left or not right:
        return []
    if len(left) == 1 and len(right) == 1:
        left_date, right_date = _date_text(left[0]), _date_text(right[0])
        if left_date is not None and right_date is not None:
            outcome = compare_texts(left_date, right_date)
            return [] if outcome is None else [outcome == 0]
    return _fp_equal(ctx, left, right)


def _unequal(ctx: dict[str, Any], a: list[Any], b: list[Any]) -> Any:
    result = _equal(ctx, a, b)
    if isinstance(result, list) and len(result) == 1 and isinstance(result[0], bool):
        return [not result[0]]
    return result


def _membership(ctx: dict[str, Any], items: list[Any], pool: list[Any]) -> Any:
    """``items in pool``; like the HL7 validator, every item of a collection must be in it."""
    left = _values(items)
    if not left:
        return []
    right = [_data(item) for item in _values(pool)]
    if not right:
        return [False]
    return [all(_data(item) in right for item in left)]


def _trace(ctx: dict[str, Any], coll: list[Any], *params: Any) -> list[Any]:
    """``trace()`` returns its input; fhirpathpy's prints to standard output."""
    return coll


def _in(ctx: dict[str, Any], a: list[Any], b: list[Any]) -> Any:
    return _membership(ctx, a, b)


def _contains(ctx: dict[str, Any], a: list[Any], b: list[Any]) -> Any:
    return _membership(ctx, b, a)


# -- FHIR functions ------------------------------------------------------------------------
def _has_value(ctx: dict[str, Any], coll: list[Any]) -> bool:
    items = [item for item in coll if not _is_companion(item)]
    if len(items) != 1:
        return False
    data = _data(items[0])
    return data is not None and not isinstance(data, dict | list)


def _get_value(ctx: dict[str, Any], coll: list[Any]) -> list[Any]:
    items = [item for item in coll if not _is_companion(item)]
    if len(items) != 1:
        return []
    data = _data(items[0])
    if data is None or isinstance(data, dict | list):
        return []
    return [data]


def _html_checks(ctx: dict[str, Any], coll: list[Any]) -> bool:
    # R4 publishes txt-1 (allowed markup) and txt-2 (some content) with this same
    # expression: each key checks its own half, so an empty div fails txt-2 only.
    items = _values(coll)
    if len(items) != 1 or not isinstance(_data(items[0]), str):
        return False
    text = str(_data(items[0]))
    state = ctx.get(STATE_KEY)
    if isinstance(state, EvaluationState) and state.key == "txt-2":
        return xhtml_has_content(text)
    return not xhtml_markup_problems(text)


def _reference_text(item: Any) -> str | None:
    data = _data(item)
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        reference = data.get("reference")
        return reference if isinstance(reference, str) else None
    return None


def _resolve(ctx: dict[str, Any], coll: list[Any]) -> list[Any]:
    state = _state(ctx)
    found: list[Any] = []
    for item in coll:
        reference = _reference_text(item)
        if reference is None:
            continue
        target: dict[str, Any] | None = None
        if reference.startswith("#"):
            container = state.root
            if reference == "#":
                target = container
            else:
                for candidate in listed(container.get("contained")):
                    if isinstance(candidate, dict) and candidate.get("id") == reference[1:]:
                        target = candidate
                        break
        elif state.resolver is not None:
            target = state.resolver(reference)
        if isinstance(target, dict):
            found.append(_create_node(target))
    return found


def _member_of(ctx: dict[str, Any], coll: list[Any], url: Any) -> list[bool]:
    state = _state(ctx)
    items = _values(coll)
    if not items:
        return []
    if len(items) > 1:
        raise ValueError("memberOf() needs a single item")
    if not isinstance(url, str):
        raise ValueError("memberOf() needs a value set URL")
    if state.member_of is None:
        raise UncertainResult("memberOf() needs a terminology service, none is available")
    data = _data(items[0])
    pairs: list[tuple[str | None, str | None]] = []
    if isinstance(data, str):
        pairs.append((None, data))
    elif isinstance(data, dict) and "coding" in data:
        for coding in listed(data.get("coding")):
            if isinstance(coding, dict):
                pairs.append((_str_or_none(coding.get("system")), _str_or_none(coding.get("code"))))
    elif isinstance(data, dict):
        pairs.append((_str_or_none(data.get("system")), _str_or_none(data.get("code"))))
    if not pairs:
        return [False]
    uncertain = False
    for system, code in pairs:
        answer = state.member_of(url, system, code)
        if answer is True:
            return [True]
        if answer is None:
            uncertain = True
    if uncertain:
        raise UncertainResult(f"membership in {url} could not be determined")
    return [False]


def _conforms_to(ctx: dict[str, Any], coll: list[Any], url: Any) -> list[bool]:
    state = _state(ctx)
    items = _values(coll)
    if not items:
        return []
    if len(items) > 1:
        raise ValueError("conformsTo() needs a single item")
    data = _data(items[0])
    if not isinstance(url, str) or not isinstance(data, dict):
        raise ValueError("conformsTo() needs a resource and a profile URL")
    if state.conforms_to is None:
        raise UncertainResult("conformsTo() needs a profile checker, none is available")
    answer = state.conforms_to(data, url)
    if answer is None:
        raise UncertainResult(f"conformance to {url} could not be determined")
    return [answer]


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def invocation_table() -> dict[str, dict[str, Any]]:
    """Entries for fhirpathpy's invocation registry (same shape as its own)."""
    return {
        "hasValue": {"fn": _has_value},
        "getValue": {"fn": _get_value},
        "htmlChecks": {"fn": _html_checks},
        "resolve": {"fn": _resolve},
        "memberOf": {"fn": _member_of, "arity": {1: ["String"]}},
        "conformsTo": {"fn": _conforms_to, "arity": {1: ["String"]}},
        "ofType": {"fn": _of_type, "arity": {1: ["TypeSpecifier"]}},
        "is": {"fn": _is_fn, "arity": {1: ["TypeSpecifier"]}},
        "as": {"fn": _of_type, "arity": {1: ["TypeSpecifier"]}},
        "isOp": {"fn": _is_fn, "arity": {2: ["Any", "TypeSpecifier"]}},
        "asOp": {"fn": _of_type, "arity": {2: ["Any", "TypeSpecifier"]}},
        "trace": {"fn": _trace, "arity": {0: [], 1: ["String"], 2: ["String", "Expr"]}},
        "inOp": {"fn": _in, "arity": {2: ["Any", "Any"]}},
        "containsOp": {"fn": _contains, "arity": {2: ["Any", "Any"]}},
        "=": {"fn": _equal, "arity": {2: ["Any", "Any"]}, "nullable": True},
        "!=": {"fn": _unequal, "arity": {2: ["Any", "Any"]}, "nullable": True},
        "<": {"fn": _comparison("<"), "arity": {2: ["Any", "Any"]}, "nullable": True},
        "<=": {"fn": _comparison("<="), "arity": {2: ["Any", "Any"]}, "nullable": True},
        ">": {"fn": _comparison(">"), "arity": {2: ["Any", "Any"]}, "nullable": True},
        ">=": {"fn": _comparison(">="), "arity": {2: ["Any", "Any"]}, "nullable": True},
        "or": {"fn": _logical(_fp_logic.or_op), "arity": {2: ["Any", "Any"]}},
        "and": {"fn": _logical(_fp_logic.and_op), "arity": {2: ["Any", "Any"]}},
        "xor": {"fn": _logical(_fp_logic.xor_op), "arity": {2: ["Any", "Any"]}},
        "implies": {"fn": _logical(_fp_logic.implies_op), "arity": {2: ["Any", "Any"]}},
    }


def _as_boolean(items: Any) -> Any:
    """A Boolean operand by FHIRPath singleton evaluation (§4.5), as the HL7 validator
    applies it: empty stays empty, a single Boolean is itself, any other content is true.
    fhirpathpy raises instead, so US Core's ``telecom or endpoint`` (pd-1) or
    ``practitioner or organization`` (us-core-13) could not be evaluated."""
    values = items if isinstance(items, list) else [items]
    if not values:
        return []
    if len(values) == 1:
        value = values[0].data if isinstance(values[0], ResourceNode) else values[0]
        if value is True or value is False:
            return value
    return True


def _logical(operator: Any) -> Any:
    def apply(ctx: Any, left: Any, right: Any) -> Any:
        return operator(ctx, _as_boolean(left), _as_boolean(right))

    return apply
