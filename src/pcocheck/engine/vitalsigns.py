"""Vital signs: R4 requires them to conform to the core vital-signs profiles, claimed or not.

FHIR R4 (observation-vitalsigns.html): "If implementations use this Observation for vital
signs, they SHALL conform to" the vital signs profiles. The HL7 reference validator applies
the matching specific profile (``bodytemp``, ``heartrate``, ...) to every Observation coded
with one of that measurement's LOINC codes, or else one of its SNOMED CT concepts, with an
information signpost; the first measurement that matches decides. Unlike pcocheck's PCO
inference this is the specification's own rule, so the violations keep their severity.

The codes below are the measurements' codes as the reference validator lists them (facts
about LOINC and SNOMED CT, kept as data). The reference lists SNOMED CT codes for the
respiratory rate too but names no profile for them, so they apply nothing here either.
"""

from __future__ import annotations

from typing import Any, Final

from pcocheck.engine.inference import codings

CORE = "http://hl7.org/fhir/StructureDefinition/"
VITALSIGNS: Final = CORE + "vitalsigns"
LOINC: Final = "http://loinc.org"
SNOMED: Final = "http://snomed.info/sct"

# (profile, name, LOINC codes), in the order the reference tries them.
BY_LOINC: Final[tuple[tuple[str, str, frozenset[str]], ...]] = (
    ("vitalspanel", "Vital Signs Panel", frozenset({"85353-1"})),
    (
        "resprate",
        "Respiratory rate",
        frozenset(
            {"9279-1", "76170-0", "76172-6", "76171-8", "19840-8", "33438-3", "76270-8", "11291-2"}
        ),
    ),
    (
        "heartrate",
        "Heart rate",
        frozenset(
            {
                "60978-4",
                "73795-7",
                "73799-9",
                "76476-1",
                "76477-9",
                "8867-4",
                "8889-8",
                "8890-6",
                "8891-4",
                "8892-2",
                "8893-0",
                "40443-4",
                "55425-3",
                "68999-2",
                "11328-2",
                "69000-8",
                "8886-4",
            }
        ),
    ),
    (
        "oxygensat",
        "Oxygen saturation",
        frozenset(
            {
                "2708-6",
                "19224-5",
                "20564-1",
                "2709-4",
                "2710-2",
                "2711-0",
                "2713-6",
                "51733-4",
                "59408-5",
                "59417-6",
                "89276-0",
                "97549-0",
            }
        ),
    ),
    (
        "bodytemp",
        "Body temperature",
        frozenset(
            {
                "8310-5",
                "60834-9",
                "60835-6",
                "60836-4",
                "60838-0",
                "60955-2",
                "61009-7",
                "75539-7",
                "75987-8",
                "76010-8",
                "76011-6",
                "76278-1",
                "8309-7",
                "8328-7",
                "8329-5",
                "8330-3",
                "8331-1",
                "8332-9",
                "8333-7",
                "8334-5",
                "91371-5",
                "98657-0",
                "98663-8",
            }
        ),
    ),
    ("bodyheight", "Body height", frozenset({"8302-2", "3137-7", "3138-5", "8306-3", "8308-9"})),
    ("headcircum", "Head circumference", frozenset({"9843-4", "8287-5"})),
    (
        "bodyweight",
        "Body weight",
        frozenset({"29463-7", "3141-9", "3142-7", "75292-3", "79348-9", "8350-1", "8351-9"}),
    ),
    ("bmi", "Body mass index", frozenset({"39156-5", "59574-4", "89270-3"})),
    (
        "bp",
        "Blood pressure",
        frozenset({"85354-9", "35094-2", "8459-0", "76534-7", "55284-4", "8480-6"}),
    ),
)
BY_SNOMED: Final[tuple[tuple[str, str, frozenset[str]], ...]] = (
    ("vitalspanel", "Vital Signs Panel", frozenset({"46680005"})),
    (
        "heartrate",
        "Heart rate",
        frozenset(
            {
                "271306003",
                "249043002",
                "444981005",
                "399017001",
                "251670001",
                "429525003",
                "429614003",
            }
        ),
    ),
    (
        "oxygensat",
        "Oxygen saturation",
        frozenset(
            {
                "103228002",
                "442349007",
                "442476006",
                "442440005",
                "431314004",
                "442734002",
                "713194001",
            }
        ),
    ),
    (
        "bodytemp",
        "Body temperature",
        frozenset(
            {
                "386725007",
                "276885007",
                "300076005",
                "1222808002",
                "364246006",
                "307047009",
                "708499008",
                "431598003",
                "698831002",
                "698832009",
                "415882003",
                "415974002",
                "415929009",
                "415945006",
            }
        ),
    ),
    (
        "bodyheight",
        "Body height",
        frozenset(
            {
                "1153637007",
                "1162419008",
                "50373000",
                "1162418000",
                "1230278008",
                "1162392001",
                "1162417005",
            }
        ),
    ),
    ("headcircum", "Head circumference", frozenset({"363812007", "169876006", "1269262007"})),
    (
        "bodyweight",
        "Body weight",
        frozenset(
            {
                "363811000",
                "60621009",
                "735395000",
                "425024002",
                "424927000",
                "784399000",
                "1162416001",
                "1162415002",
            }
        ),
    ),
    (
        "bp",
        "Blood pressure",
        frozenset(
            {
                "75367002",
                "251076008",
                "163033001",
                "163035008",
                "386534000",
                "386536003",
                "271649006",
                "271650006",
                "407556006",
                "407554009",
                "716579001",
                "399304008",
            }
        ),
    ),
)


# Every code of both tables, whatever its system: a quick "cannot be a vital sign".
_ANY_VITAL_CODE: Final = frozenset(
    code for table in (BY_LOINC, BY_SNOMED) for _, _, known in table for code in known
)


def vital_sign_profile(resource: dict[str, Any]) -> tuple[str, str] | None:
    """(profile url, reason) for an Observation coded as a vital sign; else None."""
    if resource.get("resourceType") != "Observation":
        return None
    coded = codings(resource.get("code"))
    if not any(code in _ANY_VITAL_CODE for _, code in coded):
        return None  # most Observations: no table below can match
    for table, system, shown in ((BY_LOINC, LOINC, "LOINC"), (BY_SNOMED, SNOMED, "SNOMED CT")):
        codes = [code for coding_system, code in coded if coding_system == system]
        for name, label, known in table:
            match = next((code for code in codes if code in known), None)
            if match is not None:
                return CORE + name, f"it is coded {shown} {match} ({label})"
    return None
