"""Does a returned resource match the search that returned it? FHIR search semantics for
the parameter types US Core uses (token, reference, date, string), over the element
paths the plan takes from the SearchParameter expressions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any


def listed(value: Any) -> list[Any]:
    """A JSON array as it is, a single value as a one-item list, nothing as empty."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def values_at(resource: dict[str, Any], path: str) -> list[Any]:
    """Values at a dotted element path; a choice element (``effective``) matches every
    typed form (``effectiveDateTime``, ``effectivePeriod`` ...). ``id`` is the id."""
    current: list[Any] = [resource]
    for step in path.split("."):
        following: list[Any] = []
        for node in current:
            if not isinstance(node, dict):
                continue
            if step in node:
                following.extend(listed(node[step]))
                continue
            for key, value in node.items():
                if key.startswith(step) and key[len(step) : len(step) + 1].isupper():
                    following.extend(listed(value))
        current = following
    return current


def _codings(value: Any) -> list[tuple[str | None, str]]:
    """(system, code) pairs a token value offers."""
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, bool):
        return [(None, str(value).lower())]
    if not isinstance(value, dict):
        return []
    if "coding" in value:
        out = []
        for coding in listed(value.get("coding")):
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                system = coding.get("system")
                out.append((system if isinstance(system, str) else None, coding["code"]))
        return out
    if isinstance(value.get("code"), str):  # Coding
        system = value.get("system")
        return [(system if isinstance(system, str) else None, value["code"])]
    if isinstance(value.get("value"), str):  # Identifier
        system = value.get("system")
        return [(system if isinstance(system, str) else None, value["value"])]
    return []


def token_matches(values: list[Any], query: str) -> bool:
    for alternative in query.split(","):
        system, bar, code = alternative.rpartition("|")
        for value in values:
            for found_system, found_code in _codings(value):
                if found_code.lower() != code.lower():
                    continue
                if not bar or (system == "" and found_system is None) or system == found_system:
                    return True
    return False


def reference_matches(values: list[Any], query: str, target_type: str | None) -> bool:
    """``patient=ID``, ``Patient/ID`` or an absolute URL ending in ``Type/ID``; a canonical
    (``questionnaire``) compares as a URL, ignoring ``|version``."""
    for alternative in query.split(","):
        wanted = alternative.split("|")[0]
        for value in values:
            ref = value.get("reference") if isinstance(value, dict) else value
            if not isinstance(ref, str):
                continue
            ref = ref.split("|")[0]
            if ref == wanted:
                return True
            if "/" not in wanted and target_type and ref.endswith(f"{target_type}/{wanted}"):
                return True
            if "/" in wanted and ref.endswith("/" + wanted):
                return True
    return False


def string_matches(values: list[Any], query: str) -> bool:
    wanted = [q.lower() for q in query.split(",")]
    texts: list[str] = []
    for value in values:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for part in value.values():
                texts.extend(p for p in listed(part) if isinstance(p, str))
    return any(t.lower().startswith(w) for t in texts for w in wanted)


PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


def date_range(text: str) -> tuple[datetime, datetime] | None:
    """The instant range a FHIR date/dateTime/instant covers: ``2025`` is the whole year."""
    text = text.strip()
    try:
        if len(text) == 4:
            start = datetime(int(text), 1, 1, tzinfo=UTC)
            return start, datetime(int(text) + 1, 1, 1, tzinfo=UTC)
        if len(text) == 7:
            year, month = int(text[:4]), int(text[5:7])
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return start, end
        if len(text) == 10:
            start = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return start, start + timedelta(days=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        precision = timedelta(seconds=1) if "." not in text else timedelta(microseconds=1)
        return moment, moment + precision
    except ValueError:
        return None


def _value_range(value: Any) -> tuple[datetime, datetime] | None:
    if isinstance(value, str):
        return date_range(value)
    if isinstance(value, dict):  # Period
        start = date_range(value["start"]) if isinstance(value.get("start"), str) else None
        end = date_range(value["end"]) if isinstance(value.get("end"), str) else None
        low = start[0] if start else datetime.min.replace(tzinfo=UTC)
        high = end[1] if end else datetime.max.replace(tzinfo=UTC)
        return low, high
    return None


def date_anchor(resource: dict[str, Any], paths: Iterable[str]) -> datetime | None:
    """Where the first date value of ``paths`` starts (a Period: its start)."""
    for path in paths:
        for value in values_at(resource, path):
            found = _value_range(value)
            if found is not None and found[0] != datetime.min.replace(tzinfo=UTC):
                return found[0]
    return None


def date_matches(values: list[Any], query: str) -> bool:
    prefix = query[:2] if query[:2] in PREFIXES else "eq"
    wanted = date_range(query[2:] if query[:2] in PREFIXES else query)
    if wanted is None:
        return False
    low, high = wanted
    for value in values:
        found = _value_range(value)
        if found is None:
            continue
        start, end = found
        if (
            (prefix == "eq" and start >= low and end <= high)
            or (prefix == "ne" and not (start >= low and end <= high))
            or (prefix == "gt" and end > high)
            or (prefix == "ge" and end > low)
            or (prefix == "lt" and start < low)
            or (prefix == "le" and start < high)
            or (prefix == "sa" and start >= high)
            or (prefix == "eb" and end <= low)
            or (prefix == "ap" and start < high and end > low)
        ):
            return True
    return False


def matches(
    resource: dict[str, Any],
    param_type: str,
    paths: list[str],
    query: str,
    target_type: str | None = None,
) -> bool | None:
    """True / False, or None when pcocheck cannot decide for this parameter type."""
    values = [v for path in paths for v in values_at(resource, path)]
    if param_type == "token":
        return token_matches(values, query)
    if param_type == "reference":
        return reference_matches(values, query, target_type)
    if param_type == "date":
        return date_matches(values, query)
    if param_type == "string":
        return string_matches(values, query)
    return None
