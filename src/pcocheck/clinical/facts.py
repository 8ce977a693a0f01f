"""Small helpers the clinical rules share: reference keys, FHIR dates, codings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from pcocheck.engine.references import parse_reference
from pcocheck.finding import JsonPath
from pcocheck.jsonutil import listed
from pcocheck.view import ResourceView


def reference_key(reference: Any) -> str | None:
    """``Goal/x`` for relative/absolute references, the urn itself for urn:uuid/oid."""
    if isinstance(reference, dict):
        reference = reference.get("reference")
    if not isinstance(reference, str):
        return None
    parsed = parse_reference(reference)
    if parsed.kind in ("relative", "absolute") and parsed.type and parsed.id:
        return f"{parsed.type}/{parsed.id}"
    if parsed.kind == "urn":
        return reference
    return None


def view_keys(view: ResourceView) -> list[str]:
    """Every key other resources may use to point at this one."""
    keys = []
    if view.id:
        keys.append(f"{view.resource_type}/{view.id}")
    if view.full_url and view.full_url.startswith("urn:"):
        keys.append(view.full_url)
    return keys


def parse_when(value: Any) -> datetime | None:
    """A FHIR date/dateTime/instant as an aware datetime (partial dates at their start)."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    text = value
    try:
        if len(text) == 4:
            return datetime(int(text), 1, 1, tzinfo=UTC)
        if len(text) == 7:
            return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        if len(text) == 10:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def effective(resource: dict[str, Any]) -> tuple[datetime | None, JsonPath]:
    """When an Observation applies (dateTime, instant, else Period end, else start)."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            return parse_when(resource[key]), (key,)
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        for key in ("end", "start"):
            if key in period:
                return parse_when(period[key]), ("effectivePeriod", key)
    return None, ()


def as_date(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def codings(concept: Any) -> list[tuple[str | None, str]]:
    """(system, code) of every coding with a code in a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    found = []
    for coding in listed(concept.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            system = coding.get("system")
            found.append((system if isinstance(system, str) else None, coding["code"]))
    return found


def loinc_codes(concept: Any) -> set[str]:
    return {code for system, code in codings(concept) if system == "http://loinc.org"}


def walk_codings(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every object with a ``system`` or ``code`` string, with its path, depth first."""
    if isinstance(node, dict):
        if isinstance(node.get("code"), str) and "system" in node:
            yield path, node
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from walk_codings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_codings(value, (*path, index))


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def claims(resource: dict[str, Any], urls: frozenset[str]) -> bool:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    if not isinstance(profiles, list):
        return False
    return any(isinstance(p, str) and p.split("|", 1)[0] in urls for p in profiles)
