"""Content from drafts before PCO STU1 (facts §11): old canonical bases, renamed profiles
and code systems, placeholder and replaced codes, the old GAS extension shape and old
value types. Every finding says what STU1 uses instead."""

from __future__ import annotations

import re
from typing import Any

from pcocheck.finding import Finding, JsonPath
from pcocheck.jsonutil import listed
from pcocheck.rules.access import as_dict, canonical_base, codings
from pcocheck.rules.codes import (
    BASELINE,
    FOLLOW_UP,
    GAS_EXTENSION,
    GAS_SCORE_PROFILE,
    GOAL_DOMAIN_CODES,
    LOINC,
    OLD_GAS_EXTENSION,
    PCO_CATEGORY_CODES,
    PCO_CS,
    PCO_SD,
    PROM_SCORE_PROFILE,
    PROM_TARGET_MEASURES,
    READINESS_PROFILE,
    READINESS_SYSTEM,
)
from pcocheck.rules.facts import Subject

OLD_BASE = "http://mtnlotus.com/uv/pco/"
SNOMED = "http://snomed.info/sct"

# --- profiles (STALE-001) ---------------------------------------------------------------
_WHAT_MATTERS = "pco-what-matters-assessment"
RENAMED_PROFILES: dict[str, str | None] = {
    "pco-goal": "pco-goal-profile",
    "pco-goal-prom-profile": "pco-prom-goal-profile",
    "pco-patient-gas-score": "pco-gas-score-observation",
    "pco-practitioner-gas-score": "pco-gas-score-observation",
    "pco-caregiver-gas-score": "pco-gas-score-observation",
    "pco-progress-score-observation": "pco-gas-score-observation",
    "pco-prom-score": "pco-prom-score-observation",
    "pco-what-matters-statement": _WHAT_MATTERS,
    "pco-what-matters-focus-area": _WHAT_MATTERS,
    "pco-what-matters-priority": _WHAT_MATTERS,
    "pco-what-matters-priority-focus": _WHAT_MATTERS,
    "pco-what-matters-assessment-components": _WHAT_MATTERS,
    "pco-well-being-assessment": _WHAT_MATTERS,
    "pco-well-being-priority": _WHAT_MATTERS,
    "pco-bothersome-health-concern": "pco-goal-barrier",
    "pco-most-bothersome-health-concern": "pco-goal-barrier",
    "pco-care-tradeoff": None,
}

# --- code systems (STALE-002) -----------------------------------------------------------
_CONCEPTS = PCO_CS + "pco-concepts-temporary"
_DOMAINS = PCO_CS + "pco-goal-domains-temporary"
_WM = PCO_CS + "what-matters-concepts-temporary"
_PHI = PCO_CS + "personal-health-inventory-temporary"
STU1_CODES: dict[str, frozenset[str]] = {
    _CONCEPTS: PCO_CATEGORY_CODES,
    _DOMAINS: GOAL_DOMAIN_CODES,
    _WM: frozenset({"now-rating", "now-reasons", "future-rating", "future-changes"}),
    _PHI: frozenset(
        {
            "health-inventory",
            "body",
            "mind",
            "nourishment",
            "recharge",
            "surroundings",
            "personal-development",
            "spirit-and-soul",
            "relationships",
            "professional-care",
        }
    ),
    READINESS_SYSTEM: frozenset({"readiness-assessment", "importance", "confidence"}),
}
# Old code system id (under either old base) -> STU1 system.
RENAMED_SYSTEMS: dict[str, str] = {
    "pco": _CONCEPTS,
    "pco-codes": _CONCEPTS,
    "pco-concepts": _CONCEPTS,
    "wellbeing-concepts": _CONCEPTS,  # its rating codes moved to _WM, see _system_for
    "ncqa-goal-domains": _DOMAINS,
    "pco-goal-domains": _DOMAINS,
    "what-matters-rating": _WM,
    "what-matters-concepts": _WM,
    "va-whole-health": _PHI,
    "va-whole-health-example": _PHI,
    "personal-health-inventory": _PHI,
    "personal-health-inventory-temporary-example": _PHI,
    "readiness-assessment-concepts": READINESS_SYSTEM,
}
FOREIGN_OLD_SYSTEMS: dict[str, str] = {
    "http://ncqa.org/fhir/pco-goals/CodeSystem/goal-domain": _DOMAINS,
}
GAS_CODES_SYSTEM = "pco-gas-codes-temporary"
# Old codes that changed in the STU1 system: (STU1 system, old code) -> STU1 code.
RENAMED_CODES: dict[tuple[str, str], str] = {
    (_CONCEPTS, "well-being"): "wellbeing",
    (_CONCEPTS, "person-centered-goal"): "person-centered",
    (READINESS_SYSTEM, "readiness-assessent"): "readiness-assessment",
}

# --- GAS codes ---------------------------------------------------------------------------
# Placeholder / replaced GAS score codes: code -> (what to use, role).
STALE_GAS_SCORE_CODES: dict[str, tuple[str, str]] = {
    "107332-9": ("LOINC 112296-9 (GAS baseline)", BASELINE),
    "68489": ("LOINC 112296-9 (GAS baseline)", BASELINE),
    "68490": ("LOINC 107333-7 (practitioner follow-up)", FOLLOW_UP),
    "68491": ("LOINC 107334-5 (patient follow-up)", FOLLOW_UP),
    "68492": ("LOINC 107331-1 (caregiver follow-up)", FOLLOW_UP),
}
_PLACEHOLDERS = frozenset({"68489", "68490", "68491", "68492"})
_GAS_SCORE_CODES = frozenset(
    {*STALE_GAS_SCORE_CODES, "112296-9", "107333-7", "107334-5", "107331-1"}
)
_OLD_LEVEL_WORDS: dict[str, int] = {
    "gas-much-better-than-expected": 2,
    "gas-better-than-expected": 1,
    "gas-expected-outcome": 0,
    "gas-less-than-expected": -1,
    "gas-much-less-than-expected": -2,
}
_OLD_LEVEL_NUMBERS: dict[str, int] = {"LA6113-0": 2, "LA6112-2": 1, "LA6111-4": 0}
_NEW_LEVEL = {2: "LA34479-8", 1: "LA34480-6", 0: "LA34481-4", -1: "LA34483-0", -2: "LA34484-8"}


def stale_level(code: str) -> int | None:
    """The GAS level a pre-STU1 level code meant, if ``code`` is one."""
    if code in _OLD_LEVEL_NUMBERS:
        return _OLD_LEVEL_NUMBERS[code]
    return _old_level_word(code)


def _old_level_word(code: str) -> int | None:
    for prefix in ("", "patient-", "caregiver-", "practitioner-"):
        if code.startswith(prefix) and code[len(prefix) :] in _OLD_LEVEL_WORDS:
            return _OLD_LEVEL_WORDS[code[len(prefix) :]]
    return None


def _level_advice(level: int) -> str:
    sign = f"+{level}" if level > 0 else str(level)
    return f"LOINC {_NEW_LEVEL[level]} ({sign})"


# --- the checks ---------------------------------------------------------------------------


def _walk_markers() -> tuple[tuple[str, ...], frozenset[str]]:
    """What every Coding :func:`_problem` reports writes verbatim in JSON without escapes,
    derived from the tables above (one marker per way to be reported): text markers (the
    old bases and systems, the replaced codes with their quotes) and the ids of the
    replaced systems under the current PCO CodeSystem base (matched exactly, so the current
    PCO systems, on most PCO resources, are not mistaken for them)."""
    markers = {OLD_BASE, GAS_CODES_SYSTEM, *FOREIGN_OLD_SYSTEMS}
    markers.update(_OLD_LEVEL_WORDS)  # any prefix, any system
    markers.update(f'"{code}"' for code in _PLACEHOLDERS)
    markers.update(f'"{code}"' for _, code in RENAMED_CODES)
    markers.add('"452341000124107"')
    old_ids = {*RENAMED_SYSTEMS, _PHI[len(PCO_CS) :]}  # _PHI: its old "what-matters" code
    return tuple(sorted(markers)), frozenset(old_ids)


WALK_MARKERS, _OLD_PCO_SYSTEM_IDS = _walk_markers()
# Fewer, shorter strings such that every marker holds one of them: a text without any
# holds no marker either (tests/rules/test_stale_markers.py checks the cover), so current
# content is cleared in fewer scans.
_MARKER_PROBES = (
    "mtnlotus",
    "ncqa.org",
    "gas-codes",
    "-expected",  # not "expected": current GAS level texts say "less than expected"
    '"684',
    '"4523',
    '-goal"',
    "assessent",
    '"well-',
)


def _grouped_probes(probes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The probes as (those searched alone, the searches of those sharing a first
    character): one regular expression per first character (``"(?:684|4523|well-)``) scans
    the text once, skipping at C speed to each occurrence of that character, where a
    substring test per probe scans it once each. Any search finds a match exactly when a
    probe of its group is in the text (tests/rules/test_stale_markers.py)."""
    by_first: dict[str, list[str]] = {}
    for probe in probes:
        by_first.setdefault(probe[0], []).append(probe)
    alone = tuple(group[0] for group in by_first.values() if len(group) == 1)
    groups = tuple(
        re.compile(
            re.escape(first) + "(?:" + "|".join(re.escape(p[1:]) for p in group) + ")"
        ).search
        for first, group in by_first.items()
        if len(group) > 1
    )
    return alone, groups


_PROBE_ALONE, _PROBE_GROUPS = _grouped_probes(_MARKER_PROBES)


# ``\/`` or an escaped ASCII character (``\u0000`` to ``\u007f``) anywhere: one regular
# expression search (it skips to each backslash at C speed) instead of two substring scans
# (a two-character ``in`` costs about a microsecond per record).
_RESPELLING_ESCAPE = re.compile(r"\\(?:/|u00[0-7])")


def may_be_stale(text: str) -> bool:
    """Whether a stale Coding may be written in ``text``. The JSON escapes that could
    spell a marker's (ASCII) characters differently (``\\/``, ``\\u0070``) make the text
    always walked; ``\\"`` and escaped non-ASCII letters cannot (no marker holds a quote,
    a backslash or a non-ASCII character)."""
    if _RESPELLING_ESCAPE.search(text) is not None:
        return True
    if (
        any(map(text.__contains__, _PROBE_ALONE))
        or any(probe(text) is not None for probe in _PROBE_GROUPS)
    ) and any(map(text.__contains__, WALK_MARKERS)):
        return True
    start = text.find(PCO_CS)
    while start >= 0:  # each system string under the PCO base: its id up to the quote
        start += len(PCO_CS)
        end = text.find('"', start)
        if text[start:end] in _OLD_PCO_SYSTEM_IDS:
            return True
        start = text.find(PCO_CS, start)
    return False


def check_stale(subject: Subject, out: list[Finding], *, codes: bool = True) -> None:
    """Pre-STU1 content in one resource. ``codes`` walks every Coding of the resource,
    contained resources included (the caller turns it off for contained resources, and
    when the resource's JSON text has none of :data:`WALK_MARKERS`)."""
    if subject.profiles:  # else meta.profile holds no string to judge
        _profiles(subject, out)
    if codes:
        _codings(subject, out)
    _gas_extensions(subject, out)
    if subject.resource_type == "Observation":
        _observation(subject, out)


def _old_profile_id(profile: str) -> str | None:
    """The pre-STU1 profile id ``profile`` claims, or None for any other profile."""
    base = canonical_base(profile)
    if base.startswith(OLD_BASE + "StructureDefinition/"):
        return base.rsplit("/", 1)[-1]
    if base.startswith(PCO_SD) and base[len(PCO_SD) :] in RENAMED_PROFILES:
        return base[len(PCO_SD) :]
    return None


# Profiles already judged (a bulk export claims the same few): URL -> old id or None.
# Lifetime: the process; bounded.
_OLD_PROFILE_IDS: dict[str, str | None] = {}
_OLD_PROFILE_IDS_KEPT = 10_000


def _profiles(subject: Subject, out: list[Finding]) -> None:
    profiles = listed(as_dict(subject.resource.get("meta")).get("profile"))
    for index, profile in enumerate(profiles):
        if not isinstance(profile, str):
            continue
        old_id = _OLD_PROFILE_IDS.get(profile, "")
        if old_id == "":
            old_id = _old_profile_id(profile)
            if len(_OLD_PROFILE_IDS) < _OLD_PROFILE_IDS_KEPT:
                _OLD_PROFILE_IDS[profile] = old_id
        if old_id is None:
            continue
        new_id = RENAMED_PROFILES.get(old_id, old_id)
        if new_id is None:
            advice = "STU1 has no equivalent profile; remove the claim"
        else:
            advice = f"claim {PCO_SD}{new_id} instead"
        out.append(
            subject.finding(
                "PCO-STALE-001",
                f"meta.profile {profile} is a pre-STU1 PCO profile; {advice}",
                ("meta", "profile", index),
            )
        )


def _codings(subject: Subject, out: list[Finding]) -> None:
    """Report the pre-STU1 Codings anywhere in the resource. The walk collects objects with
    a string ``system`` and a ``code`` without building paths; paths are worked out only
    for the few Codings reported."""
    found: list[dict[str, Any]] = []
    try:
        _collect(subject.resource, found)
    except RecursionError:  # absurdly deep JSON: the structural checks report it
        return
    reports = [(coding, problem) for coding in found if (problem := _problem(coding))]
    if not reports:
        return
    paths: dict[int, JsonPath] = {}
    _locate(subject.resource, (), {id(coding) for coding, _ in reports}, paths)
    for coding, (code, message, leaf) in reports:
        out.append(subject.finding(code, message, (*paths[id(coding)], leaf)))


def _collect(node: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and "code" in node:
            found.append(node)
        for value in node.values():
            if isinstance(value, dict | list):
                _collect(value, found)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, dict | list):
                _collect(value, found)


def _locate(node: Any, path: JsonPath, wanted: set[int], paths: dict[int, JsonPath]) -> None:
    if id(node) in wanted:
        paths[id(node)] = path
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                _locate(value, (*path, key), wanted, paths)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict | list):
                _locate(value, (*path, index), wanted, paths)


def _stu1_system(old: str, code: str) -> str | None:
    """The STU1 system replacing ``old``; None if ``old`` is not a pre-STU1 system."""
    if old in FOREIGN_OLD_SYSTEMS:
        return FOREIGN_OLD_SYSTEMS[old]
    for base in (PCO_CS, OLD_BASE + "CodeSystem/"):
        if old.startswith(base):
            old_id = old[len(base) :]
            if old_id == "wellbeing-concepts" and code in STU1_CODES[_WM]:
                return _WM
            if old_id in RENAMED_SYSTEMS:
                return RENAMED_SYSTEMS[old_id]
            if base != PCO_CS:  # an old base with an id STU1 still has
                return PCO_CS + old_id
    return None


def _problem(coding: dict[str, Any]) -> tuple[str, str, str] | None:
    """(finding code, message, element) for a pre-STU1 Coding, else None."""
    system = str(coding["system"])
    code = coding.get("code")
    if not isinstance(code, str):
        return None
    if system.startswith((PCO_CS, OLD_BASE)) and system.endswith("/" + GAS_CODES_SYSTEM):
        level = _old_level_word(code)
        use = _level_advice(level) if level is not None else _gas_code_advice(code)
        message = f"code system {system} was replaced by LOINC before STU1; for {code} use {use}"
        return "PCO-STALE-002", message, "system"
    new_system = _stu1_system(system, code)
    if new_system is not None:
        new_code = RENAMED_CODES.get((new_system, code), code)
        known = STU1_CODES.get(new_system)
        if known is None or new_code in known:
            advice = f"use {new_system}#{new_code}"
        else:
            advice = f"use {new_system} (which has no code {code!r}; pick its nearest concept)"
        message = f"code system {system} is from a pre-STU1 PCO draft; {advice}"
        return "PCO-STALE-002", message, "system"
    replacement = _stale_code(system, code)
    if replacement is not None:
        return "PCO-STALE-003", f"code {code} ({system}) is pre-STU1 content; {replacement}", "code"
    return None


def _gas_code_advice(code: str) -> str:
    if code == "goal-attainment-scaling":
        return "LOINC 107332-9 as a GAS goal's target.measure, 112296-9 for a baseline score"
    return "the LOINC GAS codes (112296-9, 107333-7, 107334-5, 107331-1)"


def _stale_code(system: str, code: str) -> str | None:
    """What to use instead of a pre-STU1 code in a current system, or None."""
    if system == LOINC and code in _PLACEHOLDERS:
        use = STALE_GAS_SCORE_CODES[code][0]
        if code == "68489":
            use += " for a score, LOINC 107332-9 as a GAS goal's target.measure"
        return f"{code} was a placeholder, not a LOINC code; use {use}"
    level = _old_level_word(code)
    if level is not None:
        return f"use {_level_advice(level)}"
    if system == SNOMED and code == "452341000124107":
        return "use SNOMED CT 811791000000103 (Identifying barriers to goal achievement)"
    if (system, code) == (_PHI, "what-matters"):
        return f"use {_CONCEPTS}#what-matters"
    renamed = RENAMED_CODES.get((system, code))
    if renamed is not None:
        return f"use {system}#{renamed}"
    return None


def _gas_extensions(subject: Subject, out: list[Finding]) -> None:
    for index, ext in enumerate(listed(subject.resource.get("extension"))):
        ext = as_dict(ext)
        url = ext.get("url")
        if url == OLD_GAS_EXTENSION:
            out.append(
                subject.finding(
                    "PCO-STALE-004",
                    f"the GAS extension URL {url} is pre-STU1; use {GAS_EXTENSION}",
                    ("extension", index, "url"),
                )
            )
        if url not in (GAS_EXTENSION, OLD_GAS_EXTENSION):
            continue
        for sub_index, sub in enumerate(listed(ext.get("extension"))):
            sub = as_dict(sub)
            rel = ("extension", index, "extension", sub_index)
            if sub.get("url") == "text":
                out.append(
                    subject.finding(
                        "PCO-STALE-004",
                        "GAS sub-extension 'text' was renamed 'progressText' in STU1; rename it "
                        "(progressText is required)",
                        (*rel, "url"),
                    )
                )
            elif sub.get("url") == "level":
                coding = as_dict(sub.get("valueCoding"))
                level = _OLD_LEVEL_NUMBERS.get(str(coding.get("code")))
                if level is not None and coding.get("system") in (LOINC, None):
                    out.append(_old_level(subject, (*rel, "valueCoding", "code"), coding, level))


def _old_level(subject: Subject, rel: JsonPath, coding: dict[str, Any], level: int) -> Finding:
    return subject.finding(
        "PCO-STALE-003",
        f"{coding.get('code')} (a numeric LOINC answer) was a pre-STU1 GAS level; use "
        f"{_level_advice(level)}",
        rel,
    )


def _observation(subject: Subject, out: list[Finding]) -> None:
    resource = subject.resource
    codes = subject.loinc
    if "107332-9" in codes:
        for path, coding in codings(resource.get("code"), ("code",)):
            if coding.get("system") == LOINC and coding.get("code") == "107332-9":
                out.append(
                    subject.finding(
                        "PCO-STALE-003",
                        "LOINC 107332-9 as a GAS score code is pre-STU1 (it stays the GAS "
                        "goal's target.measure); use LOINC 112296-9 for a GAS baseline score",
                        (*path, "code"),
                    )
                )
    if "valueCodeableConcept" in resource and (
        subject.claims(GAS_SCORE_PROFILE) or any(c in _GAS_SCORE_CODES for c in codes)
    ):
        value = resource.get("valueCodeableConcept")
        for path, coding in codings(value, ("valueCodeableConcept",)):
            level = _OLD_LEVEL_NUMBERS.get(str(coding.get("code")))
            if level is not None and coding.get("system") in (LOINC, None):
                out.append(_old_level(subject, (*path, "code"), coding, level))
    if "valueInteger" in resource and (
        subject.claims(PROM_SCORE_PROFILE) or any(c in PROM_TARGET_MEASURES for c in codes)
    ):
        out.append(
            subject.finding(
                "PCO-STALE-005",
                "a PROM score as valueInteger is pre-STU1; use valueQuantity "
                '{"value": N, "unit": "score", "system": "http://unitsofmeasure.org", '
                '"code": "1"}',
                ("valueInteger",),
            )
        )
    is_readiness = "valueQuantity" in resource and (
        subject.claims(READINESS_PROFILE)
        or any(c.get("system") == READINESS_SYSTEM for _, c in codings(resource.get("code")))
    )
    if is_readiness:
        out.append(
            subject.finding(
                "PCO-STALE-005",
                "a readiness rating as valueQuantity is pre-STU1; use valueCodeableConcept "
                "with a LOINC 0-10 answer from LL2335-9 (e.g. LA6114-8 for 3)",
                ("valueQuantity",),
            )
        )
