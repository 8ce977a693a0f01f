"""Fixed and pattern values: matching instance JSON against ElementDefinition
``fixed[x]`` (exact) and ``pattern[x]`` (subset) values, and short renderings of both
for messages.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

_SYSTEM_NAMES = {
    "http://loinc.org": "LOINC",
    "http://snomed.info/sct": "SNOMED CT",
    "http://unitsofmeasure.org": "UCUM",
}


def matches_pattern(instance: Any, pattern: Any) -> bool:
    """True when ``instance`` holds everything ``pattern`` says (FHIR pattern semantics).

    Objects: every pattern property must match. Arrays: every pattern item must match
    some instance item (a CodeableConcept pattern matches when one coding carries its
    system and code). Primitives: equal.

    An object or array pattern (from a definition: the same few, for every resource) is
    compiled once into nested closures (:func:`_compile`) with the same semantics.
    """
    kind = type(pattern)
    if kind is dict or kind is list:
        entry = _COMPILED.get(id(pattern))
        if entry is None or entry[0] is not pattern:
            if len(_COMPILED) >= _COMPILED_KEPT:
                _COMPILED.clear()
            entry = (pattern, _compile(pattern))  # the pattern is kept: its id stays its own
            _COMPILED[id(pattern)] = entry
        return entry[1](instance)
    return _interpret(instance, pattern)


Matcher = Callable[[Any], bool]
_COMPILED: dict[int, tuple[Any, Matcher]] = {}
_COMPILED_KEPT = 4096


def _interpret(instance: Any, pattern: Any) -> bool:
    """The definition of pattern matching, one level at a time."""
    if type(pattern) is str and type(instance) is not list:
        return bool(instance == pattern)  # the usual leaf (system, code): plain equality
    if isinstance(pattern, dict):
        if not isinstance(instance, dict):
            return False
        for key, value in pattern.items():
            if key not in instance or not _interpret(instance[key], value):
                return False
        return True
    if isinstance(pattern, list):
        items = instance if isinstance(instance, list) else [instance]
        return all(any(_interpret(item, wanted) for item in items) for wanted in pattern)
    if isinstance(instance, list):
        return len(instance) == 1 and _interpret(instance[0], pattern)
    return _same_primitive(instance, pattern)


def _compile(pattern: Any) -> Matcher:
    """A closure answering ``_interpret(instance, pattern)`` for this ``pattern``."""
    if isinstance(pattern, dict):
        members = tuple((key, _compile(value)) for key, value in pattern.items())

        def match_object(instance: Any) -> bool:
            if not isinstance(instance, dict):
                return False
            for key, match in members:
                if key not in instance or not match(instance[key]):
                    return False
            return True

        return match_object
    if isinstance(pattern, list):
        wanted = tuple(_compile(item) for item in pattern)

        def match_array(instance: Any) -> bool:
            items = instance if isinstance(instance, list) else [instance]
            return all(any(match(item) for item in items) for match in wanted)

        return match_array

    def match_leaf(instance: Any) -> bool:
        return _interpret(instance, pattern)

    return match_leaf


def matches_fixed(instance: Any, fixed: Any) -> bool:
    """Exact match: same properties, same array lengths, same values."""
    if isinstance(fixed, dict):
        if not isinstance(instance, dict) or set(instance) - {"id", "extension"} != set(fixed):
            return False
        return all(matches_fixed(instance[key], value) for key, value in fixed.items())
    if isinstance(fixed, list):
        if not isinstance(instance, list) or len(instance) != len(fixed):
            return False
        return all(matches_fixed(a, b) for a, b in zip(instance, fixed, strict=True))
    return _same_primitive(instance, fixed)


def _same_primitive(instance: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(instance, bool):
        return instance is expected
    if isinstance(expected, int | float | Decimal) and isinstance(instance, int | float | Decimal):
        # exact: input decimals are Decimal, definitions' floats compare by their text
        return _exact(instance) == _exact(expected)
    return bool(instance == expected)


def _exact(number: float | Decimal) -> Decimal:
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def describe(value: Any) -> str:
    """A compact human rendering: ``LOINC 107332-9``, ``'level'``, ``{system: …}``."""
    if isinstance(value, dict):
        codings = value.get("coding")
        if isinstance(codings, list) and codings:
            return ", ".join(describe(c) for c in codings)
        if "code" in value and ("system" in value or len(value) <= 2):
            system = value.get("system")
            name = _SYSTEM_NAMES.get(system, system) if isinstance(system, str) else None
            return f"{name} {value['code']}" if name else str(value["code"])
        if "system" in value and "value" in value:
            return f"{value['system']}|{value['value']}"
        parts = ", ".join(f"{k}: {describe(v)}" for k, v in value.items())
        return "{" + parts + "}"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return str(value)
