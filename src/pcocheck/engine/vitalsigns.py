"""Vital signs: R4 requires them to conform to the core vital-signs profiles, claimed or not.

FHIR R4 (observation-vitalsigns.html): "If implementations use this Observation for vital
signs, they SHALL conform to" the vital signs profiles. The HL7 reference validator applies
them to every Observation that is a vital sign: in category ``vital-signs``, or coded with
the LOINC code of one of the specific profiles (or a SNOMED CT concept for the same
measurement). Unlike pcocheck's PCO inference, this is the specification's own rule, so
the violations keep their severity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pcocheck.definitions.model import StructureDef
from pcocheck.jsonutil import listed

CORE = "http://hl7.org/fhir/StructureDefinition/"
VITALSIGNS: Final = CORE + "vitalsigns"
# The specific profiles of R4 4.0.1; their LOINC codes are read from their definitions.
SPECIFIC: Final = (
    "vitalspanel",
    "resprate",
    "heartrate",
    "oxygensat",
    "bodytemp",
    "bodyheight",
    "headcircum",
    "bodyweight",
    "bmi",
    "bp",
)
LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"
CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
# SNOMED CT concepts for the same measurements (an Observation coded only in SNOMED CT is
# still a vital sign, and then lacks the LOINC coding the profile requires).
SNOMED_EQUIVALENTS: Final[dict[str, str]] = {
    "86290005": "resprate",  # respiratory rate
    "364075005": "heartrate",  # heart rate
    "78564009": "heartrate",  # pulse rate
    "431314004": "oxygensat",  # SpO2
    "386725007": "bodytemp",  # body temperature
    "276885007": "bodytemp",  # core body temperature
    "50373000": "bodyheight",  # body height
    "363812007": "headcircum",  # head circumference
    "27113001": "bodyweight",  # body weight
    "60621009": "bmi",  # body mass index
    "75367002": "bp",  # blood pressure
}


class VitalSigns:
    """Which core vital-signs profiles an Observation must meet, and why."""

    def __init__(self, structure: Callable[[str], StructureDef | None]) -> None:
        self._structure = structure
        self._by_loinc: dict[str, str] | None = None

    def by_loinc(self) -> dict[str, str]:
        if self._by_loinc is None:
            found: dict[str, str] = {}
            for name in SPECIFIC:
                sd = self._structure(CORE + name)
                if sd is None:
                    continue
                for element in sd.elements:
                    if (
                        element.path == "Observation.code.coding.code"
                        and element.slice_name is None
                        and element.fixed is not None
                        and ":" in element.id
                    ):
                        found[str(element.fixed[1])] = CORE + name
            self._by_loinc = found
        return self._by_loinc

    def profiles_for(self, resource: dict[str, Any]) -> list[tuple[str, str]]:
        """(profile url, reason) for an Observation that is a vital sign; else []."""
        if resource.get("resourceType") != "Observation":
            return []
        reasons: list[str] = []
        specific: list[str] = []
        for category in listed(resource.get("category")):
            if ("vital-signs", CATEGORY_SYSTEM) in _codings(category):
                reasons.append("its category is vital-signs")
                break
        for code, system in _codings(resource.get("code")):
            url = None
            if system == LOINC:
                url = self.by_loinc().get(code)
            elif system == SNOMED and code in SNOMED_EQUIVALENTS:
                url = CORE + SNOMED_EQUIVALENTS[code]
            if url is not None and url not in specific:
                specific.append(url)
                shown = "LOINC" if system == LOINC else "SNOMED CT"
                reasons.append(f"it is coded {shown} {code}")
        if not reasons:
            return []
        reason = " and ".join(reasons)
        urls = specific or [VITALSIGNS]
        return [(url, reason) for url in urls]


def _codings(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    out = []
    for coding in listed(concept.get("coding")):
        if isinstance(coding, dict):
            code, system = coding.get("code"), coding.get("system")
            if isinstance(code, str) and isinstance(system, str):
                out.append((code, system))
    return out
