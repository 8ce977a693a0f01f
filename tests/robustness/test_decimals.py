"""Issue 14 item 8: FHIR decimals keep their exact text and compare exactly, in the
engine's messages and in the PCO rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pcocheck.engine.patterns import matches_fixed
from pcocheck.rules.access import as_number, fmt
from tests.conftest import FIXTURES
from tests.robustness.helpers import run_paths

CASE = FIXTURES / "rules" / "prom-score-not-integer" / "input.json"


def _with_total(tmp_path: Path, literal: str) -> Path:
    text = CASE.read_text(encoding="utf-8")
    assert '"value": 10.5,' in text
    path = tmp_path / "case.json"
    path.write_text(text.replace('"value": 10.5,', f'"value": {literal},'), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("literal", "code", "shown"),
    [
        ("15.000000000000001", "PCO-PROM-004", "is 15.000000000000001;"),
        ("15.0000000000000001", "PCO-PROM-004", "is 15.0000000000000001;"),
        ("15.10", "PCO-PROM-004", "is 15.10;"),
        ("1e400", "PCO-PROM-003", "is 1E+400,"),
        (
            "123456789012345678901234567890.123456789",
            "PCO-PROM-003",
            "is 123456789012345678901234567890.123456789,",
        ),
    ],
)
def test_prom_totals_are_judged_and_shown_exactly(
    tmp_path: Path, literal: str, code: str, shown: str
) -> None:
    result = run_paths(_with_total(tmp_path, literal), select=("PCO-PROM",))
    messages = [f.message for f in result.findings if f.code == code]
    assert len(messages) == 1 and shown in messages[0], [f.message for f in result.findings]


def test_whole_decimal_total_is_a_whole_number(tmp_path: Path) -> None:
    result = run_paths(_with_total(tmp_path, "15.0"), select=("PCO-PROM-004",))
    assert result.findings == []


def test_integer_element_shows_the_decimal_as_written(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"resourceType": "Patient", "id": "p", "multipleBirthInteger": 2.50}')
    messages = [f.message for f in run_paths(path).findings if "multipleBirth" in f.message]
    assert any("2.50" in m for m in messages), messages


def test_exact_helpers() -> None:
    assert as_number(Decimal("15.10")) == Decimal("15.10")
    assert as_number(0.1) == Decimal("0.1")  # a float from a definition, by its text
    assert as_number(True) is None
    assert fmt(Decimal("10.0")) == "10" and fmt(Decimal("15.10")) == "15.10"
    assert fmt(Decimal("1e400")) == "1E+400"
    assert matches_fixed(Decimal("0.1"), 0.1) and not matches_fixed(Decimal("0.10000001"), 0.1)
