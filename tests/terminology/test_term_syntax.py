"""LOINC and SNOMED CT check digits, UCUM plausibility, and the built-in tables."""

from __future__ import annotations

import pytest

from pcocheck.catalog import lookup
from pcocheck.finding import Severity
from pcocheck.terminology import issue as codes
from pcocheck.terminology import known_codes as kc
from pcocheck.terminology.syntax import (
    LoincKind,
    SctProblem,
    loinc_check_digit,
    parse_loinc,
    parse_sctid,
    ucum_problem,
    verhoeff_digit,
    verhoeff_valid,
)


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("44261-6", True),
        ("44261-7", False),
        ("70274-6", True),
        ("112296-9", True),
        ("107332-9", True),
        ("81340-2", True),
        ("8302-2", True),
        ("8302-3", False),
        # answer codes: LA33-6 Yes, LA32-8 No, the GAS and PHQ answers
        ("LA33-6", True),
        ("LA32-8", True),
        ("LA34479-8", True),
        ("LA34484-8", True),
        ("LA6568-5", True),
        ("LA18938-3", True),
        ("LA13942-0", True),
        ("LA6568-6", False),
    ],
)
def test_loinc_check_digits(code: str, ok: bool) -> None:
    parsed = parse_loinc(code)
    assert parsed is not None
    assert parsed.check_digit_ok is ok


def test_loinc_kinds() -> None:
    kinds = {
        c: parse_loinc(c) for c in ("44261-6", "LA6568-5", "LP7839-6", "LL6900-6", "LG41762-2")
    }
    assert {c: p.kind for c, p in kinds.items() if p} == {
        "44261-6": LoincKind.CODE,
        "LA6568-5": LoincKind.ANSWER,
        "LP7839-6": LoincKind.PART,
        "LL6900-6": LoincKind.ANSWER_LIST,
        "LG41762-2": LoincKind.GROUP,
    }
    assert parse_loinc("44261") is None
    assert parse_loinc("44261-66") is None
    assert parse_loinc("") is None
    assert loinc_check_digit("7839", "LP") is None  # part codes are only recognised
    corrected = parse_loinc("44261-7")
    assert corrected is not None and corrected.corrected == "44261-6"


def test_every_known_loinc_code_passes_its_check_digit() -> None:
    for code in kc.KNOWN_LOINC:
        parsed = parse_loinc(code)
        assert parsed is not None and parsed.check_digit_ok, code


def test_every_known_snomed_code_is_a_valid_concept_id() -> None:
    for code in kc.KNOWN_SNOMED:
        assert parse_sctid(code).problem is SctProblem.OK, code


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("22253000", SctProblem.OK),
        ("811791000000103", SctProblem.OK),  # long format, namespace 1000000
        ("22253001", SctProblem.CHECK_DIGIT),
        ("22253016", SctProblem.NOT_CONCEPT),  # partition 01: a description id
        ("22253028", SctProblem.NOT_CONCEPT),  # partition 02: a relationship id
        ("16513207", SctProblem.BAD_PARTITION),
        ("12345", SctProblem.MALFORMED),
        ("0223530", SctProblem.MALFORMED),
        ("1234567890123456789", SctProblem.MALFORMED),
        ("128045006:{363698007=56459004}", SctProblem.EXPRESSION),
        ("22253000 |Pain|", SctProblem.EXPRESSION),
    ],
)
def test_sctid(code: str, problem: SctProblem) -> None:
    assert parse_sctid(code).problem is problem


def test_verhoeff_round_trip() -> None:
    for base in ("2225300", "81179100000010", "123456789"):
        full = base + str(verhoeff_digit(base))
        assert verhoeff_valid(full)
        for wrong in set("0123456789") - {full[-1]}:
            assert not verhoeff_valid(base + wrong)


@pytest.mark.parametrize(
    "code",
    [
        "1",
        "{score}",
        "/min",
        "kg",
        "kg/m2",
        "mm[Hg]",
        "%",
        "[lb_av]",
        "10*3/uL",
        "mg/(24.h)",
        "{beats}/min",
        "{Number of episodes}",
        "Cel",
        "m2",
    ],
)
def test_plausible_ucum(code: str) -> None:
    assert ucum_problem(code) is None


@pytest.mark.parametrize(
    "code",
    ["", "mm Hg", "score", "lbs", "bpm", "mg/(24.h", "mg)", "kg/", "kg//m", "°C", "{a{b}}", ".kg"],
)
def test_implausible_ucum(code: str) -> None:
    assert ucum_problem(code) is not None


def test_catalog_has_every_terminology_code_with_the_intended_severity() -> None:
    expected = {
        codes.REQUIRED_NOT_MEMBER: Severity.ERROR,
        codes.EXTENSIBLE_NOT_MEMBER: Severity.WARNING,
        codes.REQUIRED_UNCONFIRMED: Severity.WARNING,
        codes.VALUE_SET_UNKNOWN: Severity.INFORMATION,
        codes.BINDING_NOT_CHECKED: Severity.INFORMATION,
        codes.CODE_NOT_CHECKED: Severity.INFORMATION,
        codes.SYSTEM_UNKNOWN: Severity.INFORMATION,
        codes.CODE_NOT_IN_SYSTEM: Severity.ERROR,
        codes.LOINC_MALFORMED: Severity.ERROR,
        codes.LOINC_CHECK_DIGIT: Severity.WARNING,
        codes.LOINC_NOT_A_CODE: Severity.WARNING,
        codes.SNOMED_MALFORMED: Severity.ERROR,
        codes.SNOMED_CHECK_DIGIT: Severity.WARNING,
        codes.CODE_MALFORMED: Severity.ERROR,
        codes.DISPLAY_MISMATCH: Severity.WARNING,
        codes.SYSTEM_MISSPELT: Severity.WARNING,
        codes.TX_UNREACHABLE: Severity.WARNING,
        codes.TX_ERROR: Severity.WARNING,
    }
    assert set(expected) == set(codes.ALL_CODES)
    for code, severity in expected.items():
        assert lookup(code).severity is severity, code


def test_stale_tables() -> None:
    assert "112296-9" in kc.STALE_IN_VALUE_SET[(kc.GAS_SCORE_VS, kc.LOINC, "107332-9")]
    assert (kc.LOINC, "107332-9") not in kc.STALE_CODES  # still the GAS target.measure
    assert "107333-7" in kc.STALE_CODES[(kc.LOINC, "68490")]
    assert "811791000000103" in kc.STALE_CODES[(kc.SNOMED, "452341000124107")]
    well = kc.STALE_CODES[(kc.PCO_CS + "pco-concepts-temporary", "well-being")]
    assert well.startswith("use ") and well.endswith("#wellbeing")
    old_gas = kc.OLD_PCO_CS + "pco-gas-codes-temporary"
    gas = kc.STALE_CODES[(old_gas, "patient-gas-expected-outcome")]
    assert "LA34481-4" in gas
    assert kc.STALE_SYSTEMS[kc.PCO_CS + "ncqa-goal-domains"].endswith("pco-goal-domains-temporary")
    for text in (*kc.STALE_CODES.values(), *kc.STALE_SYSTEMS.values()):
        assert "use " in text


def test_instrument_tables() -> None:
    assert len(kc.PHQ9_ITEMS) == 9 and len(kc.GAD7_ITEMS) == 7
    assert max(kc.ANSWER_SCORES.values()) * 9 == kc.SCORE_RANGES["44261-6"][1]
    assert max(kc.ANSWER_SCORES.values()) * 7 == kc.SCORE_RANGES["70274-6"][1]
    assert sorted(kc.GAS_LEVELS.values()) == [-2, -1, 0, 1, 2]
    assert set(kc.IG_AUTHORED_LOINC_DISPLAYS).isdisjoint(kc.LOINC_DISPLAYS)
    assert len(kc.IG_AUTHORED_LOINC_DISPLAYS) + 2 == 34  # prom-target-measures
