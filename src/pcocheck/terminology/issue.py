"""What the terminology service reports: a rule code, a message and where it points.

The severity and issue type of each code come from the rule catalog
(``catalog/fhir-bind.toml`` and ``catalog/tx.toml``); the profile engine turns a
:class:`TermIssue` into a finding at the element it was checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pcocheck.catalog import lookup
from pcocheck.finding import Severity

REQUIRED_NOT_MEMBER: Final = "FHIR-BIND-001"
EXTENSIBLE_NOT_MEMBER: Final = "FHIR-BIND-002"
REQUIRED_UNCONFIRMED: Final = "FHIR-BIND-003"
VALUE_SET_UNKNOWN: Final = "FHIR-BIND-004"
BINDING_NOT_CHECKED: Final = "FHIR-BIND-005"
CODE_NOT_CHECKED: Final = "FHIR-BIND-006"
SYSTEM_UNKNOWN: Final = "FHIR-BIND-007"
CODE_NOT_IN_SYSTEM: Final = "FHIR-BIND-008"
LOINC_MALFORMED: Final = "FHIR-BIND-009"
LOINC_CHECK_DIGIT: Final = "FHIR-BIND-010"
LOINC_NOT_A_CODE: Final = "FHIR-BIND-011"
SNOMED_MALFORMED: Final = "FHIR-BIND-012"
SNOMED_CHECK_DIGIT: Final = "FHIR-BIND-013"
CODE_MALFORMED: Final = "FHIR-BIND-014"
DISPLAY_MISMATCH: Final = "FHIR-BIND-015"
SYSTEM_MISSPELT: Final = "FHIR-BIND-016"
TX_UNREACHABLE: Final = "TX-SERVER-001"
TX_ERROR: Final = "TX-SERVER-002"

ALL_CODES: Final = (
    REQUIRED_NOT_MEMBER,
    EXTENSIBLE_NOT_MEMBER,
    REQUIRED_UNCONFIRMED,
    VALUE_SET_UNKNOWN,
    BINDING_NOT_CHECKED,
    CODE_NOT_CHECKED,
    SYSTEM_UNKNOWN,
    CODE_NOT_IN_SYSTEM,
    LOINC_MALFORMED,
    LOINC_CHECK_DIGIT,
    LOINC_NOT_A_CODE,
    SNOMED_MALFORMED,
    SNOMED_CHECK_DIGIT,
    CODE_MALFORMED,
    DISPLAY_MISMATCH,
    SYSTEM_MISSPELT,
    TX_UNREACHABLE,
    TX_ERROR,
)


@dataclass(frozen=True, slots=True)
class TermIssue:
    """One terminology problem.

    ``coding_index`` says which coding of a CodeableConcept it concerns (None = the
    element itself); ``field`` names the Coding sub-element (``code``, ``display``,
    ``system``) when the problem is specific to one. For an element of type ``code``
    there is no sub-element and ``field`` can be ignored.
    """

    code: str
    message: str
    coding_index: int | None = None
    field: str | None = None

    @property
    def severity(self) -> Severity:
        return lookup(self.code).severity

    def at(self, coding_index: int | None) -> TermIssue:
        return TermIssue(self.code, self.message, coding_index, self.field)
