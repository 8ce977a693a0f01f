"""Invariants that FHIR R4 4.0.1 publishes wrong, and the corrected expressions used instead.

The HL7 reference validator evaluates corrected expressions for these (its FHIRPath
expression fixer); pcocheck keeps the same corrections as data, each with the later official
publication that corrects it. A correction applies only when the published expression is
exactly the defective one (whitespace aside): a definition that already differs, such as a
profile that fixed it, is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from pcocheck.definitions.model import Constraint


@dataclass(frozen=True, slots=True)
class Erratum:
    key: str  # the constraint key, or "*" for an expression published under many keys
    published: str
    corrected: str
    source: str  # the official publication the correction comes from
    why: str


_NAME_PUBLISHED = "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')"
# ElementDefinition.path rules: unanchored patterns, which FHIRPath matches() finds anywhere
# (FHIRPath: "returns true when the value contains a match"), so any path with one valid
# segment passed. R5 and the reference validator's expression fixer anchor them.
_ELD_19_PATTERN = (
    "[^\\\\s\\\\.,:;\\\\\\'\"\\\\/|?!@#$%&*()\\\\[\\\\]{}]{1,64}(\\\\.[^\\\\s\\\\.,:;\\\\\\'\"\\\\/|?!@#$%&*()"
    "\\\\[\\\\]{}]{1,64}(\\\\[x\\\\])?(\\\\:[^\\\\s\\\\.]+)?)*"
)
_ELD_20_PATTERN = "[A-Za-z][A-Za-z0-9]*(\\\\.[a-z][A-Za-z0-9]*(\\\\[x])?)*"
_REF_1_PUBLISHED = (
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids'))"
)

ERRATA: Final[tuple[Erratum, ...]] = (
    Erratum(
        "que-12",
        "enableWhen.count() > 2 implies enableBehavior.exists()",
        "enableWhen.count() > 1 implies enableBehavior.exists()",
        "hl7.fhir.r4b.core#4.3.0 StructureDefinition/Questionnaire que-12",
        "its text requires enableBehavior when there is more than one enableWhen",
    ),
    Erratum(
        "que-7",
        "operator = 'exists' implies (answer is Boolean)",
        "operator = 'exists' implies (answer is boolean)",
        "hl7.fhir.r4b.core#4.3.0 StructureDefinition/Questionnaire que-7",
        "a FHIR boolean answer is of type FHIR.boolean, never System.Boolean",
    ),
    Erratum(
        "bdl-8",
        "fullUrl.contains('/_history/').not()",
        "fullUrl.exists() implies fullUrl.contains('/_history/').not()",
        "hl7.fhir.r4b.core#4.3.0 StructureDefinition/Bundle bdl-8",
        "an entry without fullUrl (allowed) made the published expression empty, i.e. failing",
    ),
    Erratum(
        "ras-2",
        "probability is decimal implies (probability as decimal) <= 100",
        "probability.exists($this is decimal) implies (probability as decimal) <= 100",
        "hl7.fhir.r4b.core#4.3.0 StructureDefinition/RiskAssessment ras-2",
        "a prediction without probability made the published expression empty",
    ),
    Erratum(
        "tim-9",
        "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))",
        "offset.empty() or (when.exists() and when.select($this in ('C' | 'CM' | 'CD' | 'CV'))"
        ".allFalse())",
        "hl7.fhir.r5.core#5.0.0 StructureDefinition/Timing tim-9",
        "when repeats, and 'in' takes a single item: several when could not be evaluated",
    ),
    Erratum(
        "con-3",
        "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology"
        ".hl7.org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or "
        "category.select($this='problem-list-item').empty()",
        "verificationStatus.empty().not() and verificationStatus.coding.where(system='http://"
        "terminology.hl7.org/CodeSystem/condition-ver-status' and code='entered-in-error')"
        ".exists().not() and category.coding.where(system='http://terminology.hl7.org/"
        "CodeSystem/condition-category' and code='problem-list-item').exists() implies "
        "clinicalStatus.empty().not()",
        "hl7.fhir.r4b.core#4.3.0 StructureDefinition/Condition con-3",
        "a CodeableConcept never equals the string 'problem-list-item'",
    ),
    Erratum(
        "vs-1",
        "($this as dateTime).toString().length() >= 8",
        "$this is dateTime implies $this.toString().length() >= 10",
        "hl7.fhir.us.core#9.0.0 StructureDefinition/us-core-vital-signs vs-1",
        "an effectivePeriod made the published expression empty, i.e. failing",
    ),
    Erratum(
        "ref-1",
        _REF_1_PUBLISHED,
        f"reference.exists() implies ({_REF_1_PUBLISHED} or "
        "(reference = '#' and %rootResource != %resource))",
        "hl7.fhir.r5.core#5.0.0 StructureDefinition/Reference ref-1",
        "a Reference with only an identifier or display (allowed) made the published "
        "expression empty, i.e. failing; and a contained resource's '#' reference to its "
        "container (R4 references.html#contained) failed",
    ),
    Erratum(
        "*",
        _NAME_PUBLISHED,
        "name.exists() implies name.matches('^[A-Z]([A-Za-z0-9_]){0,254}$')",
        "hl7.fhir.r5.core#5.0.0 StructureDefinition/CanonicalResource cnl-0 (anchored; "
        "the reference validator's FHIRPathExpressionFixer keeps {0,254})",
        "canonical resources may omit name, and the published pattern is not anchored: "
        "FHIRPath matches() finds the pattern anywhere, so 'ICU Total Ventilators' passed",
    ),
    Erratum(
        "eld-19",
        f"path.matches('{_ELD_19_PATTERN}')",
        f"path.matches('^{_ELD_19_PATTERN}$')",
        "hl7.fhir.r5.core#5.0.0 StructureDefinition/ElementDefinition eld-19 (anchored)",
        "the published pattern is not anchored, so 'Observation...unit' passed",
    ),
    Erratum(
        "eld-20",
        f"path.matches('{_ELD_20_PATTERN}')",
        f"path.matches('^{_ELD_20_PATTERN}$')",
        "hl7.fhir.r5.core#5.0.0 StructureDefinition/ElementDefinition eld-20 (anchored)",
        "the published pattern is not anchored, so any path with one valid segment passed",
    ),
)


def normalise(expression: str) -> str:
    return " ".join(expression.split())


_BY_KEY: Final[dict[tuple[str, str], Erratum]] = {
    (e.key, normalise(e.published)): e for e in ERRATA
}


def erratum_for(constraint: Constraint) -> Erratum | None:
    if constraint.expression is None:
        return None
    published = normalise(constraint.expression)
    return _BY_KEY.get((constraint.key, published)) or _BY_KEY.get(("*", published))


def corrected(constraint: Constraint) -> Constraint:
    """``constraint`` with its corrected expression when it is a known R4 erratum."""
    erratum = erratum_for(constraint)
    if erratum is None:
        return constraint
    return replace(constraint, expression=erratum.corrected)
