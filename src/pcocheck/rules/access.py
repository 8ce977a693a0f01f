"""Defensive reading of parsed JSON for the PCO rules: wrong shapes yield nothing (the
profile engine reports them) and never raise."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pcocheck.finding import JsonPath
from pcocheck.jsonutil import listed


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_number(value: Any) -> Decimal | None:
    """A JSON number (not a boolean) as an exact Decimal, else None.

    Input documents are parsed with decimals as ``Decimal`` (exact text and value:
    ``15.0000000000000001`` is not 15); floats (from definitions) go through their
    shortest text, so ``0.1`` stays 0.1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return None


def codings(concept: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """(path, coding) for each well-formed coding of a CodeableConcept."""
    for index, coding in enumerate(listed(as_dict(concept).get("coding"))):
        if isinstance(coding, dict):
            yield (*path, "coding", index), coding


def has_code(concept: Any, system: str, codes: frozenset[str] | set[str]) -> bool:
    return any(c.get("system") == system and code_of(c) in codes for _, c in codings(concept))


def code_of(coding: dict[str, Any]) -> str | None:
    """A Coding's code when it is a string (so it can be looked up in sets and dicts)."""
    code = coding.get("code")
    return code if isinstance(code, str) else None


def loinc_codes(concept: Any) -> list[str]:
    """The LOINC codes of a CodeableConcept, in order."""
    if not isinstance(concept, dict):
        return []
    found = concept.get("coding")
    if not isinstance(found, list):
        return []
    return [
        code
        for c in found
        if isinstance(c, dict)
        and c.get("system") == "http://loinc.org"
        and isinstance(code := c.get("code"), str)
    ]


def canonical_base(url: str) -> str:
    """A canonical without its ``|version``."""
    return url.split("|", 1)[0]


def claims(profiles: list[str], wanted: str) -> bool:
    return any(canonical_base(p) == wanted for p in profiles)


def claimed_profiles(resource: dict[str, Any]) -> list[str]:
    return [p for p in listed(as_dict(resource.get("meta")).get("profile")) if isinstance(p, str)]


def reference_of(value: Any) -> str | None:
    """The ``reference`` string of a Reference, stripped, or None."""
    ref = as_dict(value).get("reference")
    if isinstance(ref, str) and ref.strip():
        return ref.strip()
    return None


def fmt(number: Decimal) -> str:
    """A score as people write it, from its exact value: ``10`` for 10 and 10.0, ``15.10``
    as written, never a float rounding (``1.23457e+29``)."""
    if number == number.to_integral_value() and number.adjusted() < 28:
        return str(int(number))
    return str(number)
