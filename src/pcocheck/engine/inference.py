"""Which PCO profile a resource that claims none clearly is.

A Goal carrying the GAS extension, or an Observation coded with a GAS or PROM score
code, is PCO content whether or not it says so; validating it against the matching
profile (with an information finding) catches problems a producer forgot to claim.
"""

from __future__ import annotations

from typing import Any, Protocol

from pcocheck.jsonutil import listed

PCO = "http://hl7.org/fhir/us/pco/StructureDefinition/"
GAS_EXTENSION = PCO + "pco-goal-attainment-scaling"
GAS_SCORE_VS = "http://hl7.org/fhir/us/pco/ValueSet/goal-attainment-scaling-score"
PROM_VS = "http://hl7.org/fhir/us/pco/ValueSet/prom-target-measures"
LOINC = "http://loinc.org"
GAS_TARGET_MEASURE = "107332-9"


class Membership(Protocol):
    def is_member(self, value_set: str, system: str, code: str) -> bool | None: ...


def codings(concept: Any) -> list[tuple[str, str]]:
    """(system, code) of each well-formed coding of a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    out = []
    for coding in listed(concept.get("coding")):
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                out.append((system, code))
    return out


def _in(terminology: Membership, value_set: str, concept: Any) -> bool:
    return any(terminology.is_member(value_set, s, c) is True for s, c in codings(concept))


def infer_profiles(resource: dict[str, Any], terminology: Membership) -> list[tuple[str, str]]:
    """(profile url, reason) pairs for PCO profiles this resource evidently meets."""
    rtype = resource.get("resourceType")
    if rtype == "Goal":
        extensions = listed(resource.get("extension"))
        if any(isinstance(e, dict) and e.get("url") == GAS_EXTENSION for e in extensions):
            return [(PCO + "pco-gas-goal-profile", "it carries the GAS extension")]
        targets = listed(resource.get("target"))
        measures = [t.get("measure") for t in targets if isinstance(t, dict)]
        if any((LOINC, GAS_TARGET_MEASURE) in codings(m) for m in measures):
            return [(PCO + "pco-gas-goal-profile", "its target measure is LOINC 107332-9 (GAS)")]
        if any(_in(terminology, PROM_VS, m) for m in measures):
            return [(PCO + "pco-prom-goal-profile", "its target measure is a PROM score")]
    elif rtype == "Observation":
        code = resource.get("code")
        if _in(terminology, GAS_SCORE_VS, code):
            return [(PCO + "pco-gas-score-observation", "it is coded as a GAS score")]
        if _in(terminology, PROM_VS, code):
            return [(PCO + "pco-prom-score-observation", "it is coded as a PROM score")]
    return []
