"""URIs in the ``urn:uuid:`` and ``urn:oid:`` namespaces must be what they say.

FHIR R4 datatypes.html: a ``uuid`` is "A UUID, represented as a URI (RFC 4122)" and an
``oid`` "An OID represented as a URI (RFC 3001)"; any ``uri``, ``url`` or ``canonical``
(a ValueSet.url, a Coding.system, an Identifier.system, ...) written in those URN
namespaces is such a UUID or OID, so a malformed one (``urn:uuid:6a2ee390-978e`` with a
digit missing) is not a valid URI of that scheme. The HL7 reference validator reports
these as "UUIDs must be valid" / "OIDs must be valid".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from pcocheck.engine.primitives import check_primitive

_URI_TYPES: Final = frozenset({"uri", "url", "canonical", "System.String"})
_NAMESPACES: Final = (
    ("urn:uuid:", "uuid", "a valid UUID (RFC 4122)"),
    ("urn:oid:", "oid", "a valid OID (RFC 3001)"),
)


def urn_problem(type_code: str, value: object) -> str | None:
    """A message when a uri-like ``value`` in the urn:uuid:/urn:oid: namespace is not a
    valid UUID/OID; None otherwise (other values are not this module's business)."""
    if type_code not in _URI_TYPES or not isinstance(value, str):
        return None
    lowered = value[:9].lower()
    for prefix, kind, what in _NAMESPACES:
        if lowered.startswith(prefix):
            target = value.split("|", 1)[0] if type_code == "canonical" else value
            problem = check_primitive(kind, target)
            if problem is None:
                return None
            return f"{type_code} {problem}: a {prefix} URI must hold {what}"
    return None


def with_urn_check(
    type_code: str, checker: Callable[[object], str | None] | None
) -> Callable[[object], str | None] | None:
    """``checker`` (a primitive format checker) followed by :func:`urn_problem` for the
    uri-like types, so a compiled visit checks exactly what ``primitive_problem`` does."""
    if type_code not in _URI_TYPES:
        return checker
    if checker is None:
        return lambda value: urn_problem(type_code, value)
    base = checker
    return lambda value: base(value) or urn_problem(type_code, value)
