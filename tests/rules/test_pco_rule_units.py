"""Small pieces of the PCO rules: reference types, dates, scores, bands, comparators."""

from __future__ import annotations

import pytest

from pcocheck.rules.dates import parse_when
from pcocheck.rules.instruments import GAD7, PHQ9, band_named, instrument_of_questionnaire
from pcocheck.rules.references import explicit_type
from pcocheck.rules.scoring import add_up, coding_score
from pcocheck.rules.targets import meets


def test_explicit_type_of_a_reference() -> None:
    # Resolution itself is tested in tests/references (one resolver for the whole run).
    assert explicit_type("http://s/fhir/Condition/c") == "Condition"
    assert explicit_type("Goal/x/_history/2") == "Goal"
    assert explicit_type("urn:uuid:1") is None
    assert explicit_type("#g") is None


def test_dates() -> None:
    day = parse_when("2025-02-15")
    late = parse_when("2025-02-15T15:15:00Z")
    early = parse_when("2025-02-15T10:00:00-05:00")
    assert day is not None and late is not None and early is not None
    assert early.before(late) and not late.before(early)
    assert not day.before(late)  # same day, one without a time: not "before"
    assert parse_when("2025-02") is None and parse_when("2025-02-30") is None
    assert parse_when(20250215) is None


def test_scores_and_sums() -> None:
    assert coding_score({"system": "http://loinc.org", "code": "LA18938-3"}) == 2
    assert coding_score({"code": "LA6571-9"}) == 3
    assert coding_score({"system": "http://example.org", "code": "LA6571-9"}) is None
    weights = {("http://example.org", "a"): 5.0}
    assert coding_score({"system": "http://example.org", "code": "a"}, weights) == 5
    total = add_up(GAD7, {code: 1 for _, code in GAD7.items})
    assert total.complete and total.total == 7
    partial = add_up(PHQ9, {"44250-9": 3})
    assert partial.total == 3 and len(partial.missing) == 8


def test_bands_and_instruments() -> None:
    assert band_named("Moderately severe depression") == "moderately severe"
    assert band_named("SEVERE") == "severe"
    assert band_named("no depression") == "minimal"
    assert band_named("high") is None
    assert PHQ9.band(15) is not None and PHQ9.band(15).name == "moderately severe"  # type: ignore[union-attr]
    assert (
        instrument_of_questionnaire("http://hl7.org/fhir/us/pco/Questionnaire/44249-1|1.0.0")
        is PHQ9
    )
    assert instrument_of_questionnaire("http://loinc.org/q/69737-5") is GAD7
    assert instrument_of_questionnaire("http://example.org/Questionnaire/x") is None


@pytest.mark.parametrize(
    ("score", "comparator", "target", "met"),
    [
        (10, "<", 10, False),
        (9, "<", 10, True),
        (10, "<=", 10, True),
        (10, None, 10, True),
        (11, ">=", 10, True),
        (10, ">", 10, False),
        (1, "ad", 1, None),
    ],
)
def test_comparators(score: float, comparator: str | None, target: float, met: bool | None) -> None:
    assert meets(score, comparator, target) is met
