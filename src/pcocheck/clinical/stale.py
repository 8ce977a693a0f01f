"""Pre-STU1 content (fact sheet §11): old canonicals, profile ids, code systems, codes
and representations, each with what to use instead."""

from __future__ import annotations

from typing import Any

from pcocheck.clinical.facts import loinc_codes, walk_codings
from pcocheck.clinical.instruments import BY_TOTAL_CODE, GAS_EXTENSION, GAS_LEVELS, PCO
from pcocheck.finding import Finding
from pcocheck.jsonutil import listed
from pcocheck.terminology import STALE_CODES, STALE_IN_VALUE_SET, STALE_SYSTEMS
from pcocheck.view import ResourceView

OLD_BASE = "http://mtnlotus.com/uv/pco/"
SD = PCO + "StructureDefinition/"
GAS_SCORE_VS = PCO + "ValueSet/goal-attainment-scaling-score"
GAS_ANSWERS_VS = "http://loinc.org/vs/LL6900-6"

# Profile ids of earlier drafts -> the STU1 profile that replaced them.
OLD_PROFILES = {
    "pco-goal": "pco-goal-profile",
    "pco-goal-prom-profile": "pco-prom-goal-profile",
    "pco-patient-gas-score": "pco-gas-score-observation",
    "pco-practitioner-gas-score": "pco-gas-score-observation",
    "pco-caregiver-gas-score": "pco-gas-score-observation",
    "pco-progress-score-observation": "pco-gas-score-observation",
    "pco-prom-score": "pco-prom-score-observation",
    "pco-what-matters-statement": "pco-what-matters-assessment",
    "pco-what-matters-focus-area": "pco-what-matters-assessment",
    "pco-what-matters-priority": "pco-what-matters-assessment",
    "pco-what-matters-priority-focus": "pco-what-matters-assessment",
    "pco-well-being-assessment": "pco-what-matters-assessment",
    "pco-well-being-priority": "pco-what-matters-assessment",
    "pco-what-matters-assessment-components": "pco-what-matters-assessment",
    "pco-bothersome-health-concern": "pco-goal-barrier",
    "pco-most-bothersome-health-concern": "pco-goal-barrier",
}


def _replacement_profile(url: str) -> str | None:
    canonical = url.split("|", 1)[0]
    for base in (SD, OLD_BASE + "StructureDefinition/"):
        if canonical.startswith(base):
            name = canonical[len(base) :]
            if name in OLD_PROFILES:
                return SD + OLD_PROFILES[name]
            if base == OLD_BASE + "StructureDefinition/":
                return SD + name
    if canonical.startswith(OLD_BASE):
        return PCO + canonical[len(OLD_BASE) :]
    return None


def check_stale(view: ResourceView, findings: list[Finding]) -> None:
    resource = view.resource
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    for index, url in enumerate(profiles if isinstance(profiles, list) else []):
        if isinstance(url, str):
            replacement = _replacement_profile(url)
            if replacement:
                findings.append(
                    view.finding(
                        "PCO-STALE-001",
                        f"{url} is a pre-STU1 profile; use {replacement} instead",
                        ("meta", "profile", index),
                    )
                )
    for path, coding in walk_codings(resource):
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            continue
        advice = STALE_CODES.get((system, code))
        if advice is not None:
            findings.append(
                view.finding(
                    "PCO-STALE-003",
                    f"{system}|{code} is pre-STU1 content: {advice}",
                    (*path, "code"),
                )
            )
        elif system in STALE_SYSTEMS:
            findings.append(
                view.finding(
                    "PCO-STALE-002",
                    f"code system {system} is from a pre-STU1 draft: {STALE_SYSTEMS[system]}",
                    (*path, "system"),
                )
            )
    if resource.get("resourceType") == "Goal":
        _check_gas_extensions(view, findings)
    elif resource.get("resourceType") == "Observation":
        _check_observation(view, findings)


def _check_gas_extensions(view: ResourceView, findings: list[Finding]) -> None:
    for index, extension in enumerate(listed(view.resource.get("extension"))):
        if not isinstance(extension, dict):
            continue
        url = extension.get("url")
        if url == OLD_BASE + "StructureDefinition/pco-goal-attainment-scaling":
            findings.append(
                view.finding(
                    "PCO-STALE-004",
                    f"{url} is the pre-STU1 GAS extension; use {GAS_EXTENSION}",
                    ("extension", index, "url"),
                )
            )
        elif url != GAS_EXTENSION:
            continue
        for position, part in enumerate(listed(extension.get("extension"))):
            if not isinstance(part, dict):
                continue
            rel = ("extension", index, "extension", position)
            if part.get("url") == "text":
                findings.append(
                    view.finding(
                        "PCO-STALE-004",
                        "the GAS sub-extension 'text' was renamed in STU1: use 'progressText' "
                        "(valueString)",
                        (*rel, "url"),
                    )
                )
            coding = part.get("valueCoding")
            if part.get("url") == "level" and isinstance(coding, dict):
                advice = STALE_IN_VALUE_SET.get(
                    (GAS_ANSWERS_VS, str(coding.get("system")), str(coding.get("code")))
                )
                if advice:
                    findings.append(
                        view.finding(
                            "PCO-STALE-003",
                            f"GAS level {coding.get('code')} is {advice}",
                            (*rel, "valueCoding"),
                        )
                    )


def _check_observation(view: ResourceView, findings: list[Finding]) -> None:
    obs = view.resource
    codes = loinc_codes(obs.get("code"))
    advice = STALE_IN_VALUE_SET.get((GAS_SCORE_VS, "http://loinc.org", "107332-9"))
    if "107332-9" in codes and advice:
        findings.append(
            view.finding(
                "PCO-STALE-003", f"LOINC 107332-9 as a GAS score code was {advice}", ("code",)
            )
        )
    if codes & {"107332-9", "112296-9", "107333-7", "107334-5", "107331-1"}:
        value = obs.get("valueCodeableConcept")
        for _, coding in walk_codings(value):
            hint = STALE_IN_VALUE_SET.get(
                (GAS_ANSWERS_VS, str(coding.get("system")), str(coding.get("code")))
            )
            if hint and coding.get("code") not in GAS_LEVELS:
                findings.append(
                    view.finding(
                        "PCO-STALE-003",
                        f"GAS score {coding.get('code')} is {hint}",
                        ("valueCodeableConcept",),
                    )
                )
                break
    if codes & set(BY_TOTAL_CODE) and "valueInteger" in obs:
        findings.append(
            view.finding(
                "PCO-STALE-005",
                "PROM scores were valueInteger before STU1; pco-prom-score-observation requires "
                "valueQuantity (system http://unitsofmeasure.org, code '1', unit 'score')",
                ("valueInteger",),
            )
        )
    if _is_readiness(obs) and "valueQuantity" in obs:
        findings.append(
            view.finding(
                "PCO-STALE-005",
                "readiness ratings were valueQuantity before STU1; use valueCodeableConcept from "
                "the LOINC 0-10 answer list LL2335-9 (e.g. LA10140-4 '8')",
                ("valueQuantity",),
            )
        )


def _is_readiness(obs: dict[str, Any]) -> bool:
    code = obs.get("code")
    return any(
        isinstance(c, dict)
        and isinstance(c.get("system"), str)
        and "readiness-assessment-concepts" in c["system"]
        for c in (listed(code.get("coding")) if isinstance(code, dict) else [])
    )
