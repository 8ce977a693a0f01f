"""Table-driven checks of FHIR R4 primitive formats (valid and invalid values per type)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pcocheck.engine.primitives import PRIMITIVE_TYPES, check_primitive, whitespace_note

VALID: dict[str, list[Any]] = {
    "boolean": [True, False],
    "integer": [0, 1, -1, 2147483647, -2147483648],
    "positiveInt": [1, 2147483647],
    "unsignedInt": [0, 1, 2147483647],
    "decimal": [0, 1, -1.5, 3.14159, 1e10, 100],
    "string": ["a", "hello world", "tab\there", "line\nbreak\r\n", "ünïcødé ✓", " padded "],
    "markdown": ["**bold**", "line one\n\nline two"],
    "code": ["final", "a b", "http://x", "LA6568-5", "entered-in-error"],
    "id": ["a", "A-1.b", "x" * 64, "0"],
    "uri": ["http://example.org/x", "urn:uuid:1", "#local", "relative/path", "a:b"],
    "url": ["http://example.org/fhir", "https://x.y/z?a=1"],
    "canonical": ["http://hl7.org/fhir/ValueSet/x", "http://hl7.org/fhir/ValueSet/x|4.0.1", "#vs"],
    "oid": ["urn:oid:2.16.840.1.113883", "urn:oid:1.0", "urn:oid:0.1.2"],
    "uuid": [
        "urn:uuid:c757873d-ec9a-4326-a141-556f43239520",
        "urn:uuid:C757873D-EC9A-4326-A141-556F43239520",
    ],
    "base64Binary": ["aGVsbG8=", "aGVs bG8=", "aGVs\nbG8=", "YQ==", "YWI=", "YWJj"],
    "date": ["2025", "2025-02", "2025-02-15", "2024-02-29", "2000-02-29", "0001-01-01"],
    "dateTime": [
        "2025",
        "2025-02",
        "2025-02-15",
        "2025-02-15T10:00:00Z",
        "2025-02-15T10:00:00+01:00",
        "2025-02-15T10:00:00.123-05:00",
        "2025-02-15T23:59:60Z",
        "2025-02-15T00:00:00+14:00",
        "2025-02-15T00:00:00-13:59",
    ],
    "instant": ["2025-02-15T10:00:00Z", "2025-02-15T10:00:00.1234+02:00"],
    "time": ["00:00:00", "23:59:59", "12:30:00.5"],
    "xhtml": ['<div xmlns="http://www.w3.org/1999/xhtml">x</div>'],
}

# (type, value, fragment expected in the message)
INVALID: list[tuple[str, Any, str]] = [
    ("boolean", "true", "expected JSON boolean, found a string (write true or false"),
    ("boolean", 1, "expected JSON boolean, found a number"),
    ("boolean", None, "found null"),
    ("integer", "1", "expected JSON number (an integer), found a string (write the number"),
    ("integer", 1.5, "expected JSON integer for integer, found the decimal number 1.5"),
    ("integer", 1.0, "expected JSON integer"),
    ("integer", True, "expected JSON number (an integer), found a boolean"),
    ("integer", 2147483648, "exceeds the 32-bit limit"),
    ("integer", -2147483649, "it must be at least -2147483648"),
    ("positiveInt", 0, "0 is not a valid positiveInt (it must be at least 1)"),
    ("positiveInt", -3, "it must be at least 1"),
    ("unsignedInt", -1, "-1 is not a valid unsignedInt (it must be at least 0)"),
    ("unsignedInt", 2**31, "exceeds the 32-bit limit"),
    ("decimal", "1.5", "expected JSON number (a decimal), found a string (write the number"),
    ("decimal", True, "found a boolean"),
    ("decimal", float("nan"), "NaN and infinity"),
    ("decimal", float("inf"), "NaN and infinity"),
    ("string", 5, "expected JSON string (a string), found a number"),
    ("string", {"a": 1}, "found an object"),
    ("string", ["a"], "found an array"),
    ("string", "   ", "only of whitespace"),
    ("string", "bell\x07", "control character U+0007"),
    ("string", "nul\x00", "control character U+0000"),
    ("string", "half \ud800 pair", "unpaired UTF-16 surrogate"),
    ("markdown", "\t\n ", "only of whitespace"),
    ("code", " final", "leading or trailing whitespace"),
    ("code", "final ", "leading or trailing whitespace"),
    ("code", "a  b", "more than one space in a row"),
    ("code", "a\tb", "whitespace other than single spaces"),
    ("code", 3, "expected JSON string (a code)"),
    ("id", "a_b", "only A-Z, a-z, 0-9, '-' and '.' are allowed; found '_'"),
    ("id", "x" * 65, "longer than 64 characters"),
    ("id", "a b", "found ' '"),
    ("id", "é", "found 'é'"),
    ("uri", "http://example.org/a b", "contains whitespace"),
    ("url", "http://example .org", "contains whitespace"),
    ("canonical", "http://x|", "no version after '|'"),
    ("canonical", "|4.0.1", "no URL before '|'"),
    ("canonical", "http://x|1|2", "more than one '|'"),
    ("oid", "2.16.840.1", "missing the urn:oid: prefix"),
    ("oid", "urn:oid:3.1", "not a valid oid"),
    ("oid", "urn:oid:1.01", "not a valid oid"),
    ("oid", "urn:oid:1", "not a valid oid"),
    ("uuid", "c757873d-ec9a-4326-a141-556f43239520", "missing the urn:uuid: prefix"),
    ("uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f4323952", "8-4-4-4-12"),
    ("uuid", "urn:uuid:g757873d-ec9a-4326-a141-556f43239520", "8-4-4-4-12"),
    ("base64Binary", "aGVsbG8", "not a multiple of 4"),
    ("base64Binary", "aGVs*G8=", "characters outside"),
    ("base64Binary", "a=Vs", "misplaced '=' padding"),
    (
        "date",
        "2025-02-30",
        "'2025-02-30' is not a valid date (day 30 does not exist in February 2025)",
    ),
    ("date", "2023-02-29", "day 29 does not exist in February 2023"),
    ("date", "1900-02-29", "day 29 does not exist in February 1900"),
    ("date", "2025-04-31", "day 31 does not exist in April 2025"),
    ("date", "2025-13", "month 13 does not exist"),
    ("date", "2025-00-10", "month 00 does not exist"),
    ("date", "2025-01-00", "day 00 does not exist in January 2025"),
    ("date", "0000", "year 0000 does not exist"),
    ("date", "25-02-15", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
    ("date", "2025/02/15", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
    ("date", "2025-2-5", "expected YYYY"),
    ("date", "2025-02-15T10:00:00Z", "a date has no time"),
    ("date", 20250215, "expected JSON string (a date), found a number"),
    ("dateTime", "2025-02-15T10:00:00", "a time needs a timezone"),
    ("dateTime", "2025-02-15T10:00Z", "seconds are required"),
    ("dateTime", "2025-02-15T24:00:00Z", "hour 24 does not exist"),
    ("dateTime", "2025-02-15T10:60:00Z", "minute 60 does not exist"),
    ("dateTime", "2025-02-15T10:00:61Z", "second 61 does not exist"),
    ("dateTime", "2025-02-30T10:00:00Z", "day 30 does not exist in February 2025"),
    ("dateTime", "2025-02-15T10:00:00+15:00", "outside -14:00..+14:00"),
    ("dateTime", "2025-02-15T10:00:00+14:30", "outside -14:00..+14:00"),
    ("dateTime", "2025-02-15 10:00:00Z", "expected YYYY, YYYY-MM, YYYY-MM-DD or"),
    ("dateTime", "2025-02-15T10:00:00.Z", "expected YYYY"),
    ("dateTime", "2025-02-15T10:00:00+0100", "expected YYYY"),
    ("instant", "2025-02-15", "an instant needs a full date, time and timezone"),
    ("instant", "2025-02-15T10:00:00", "a time needs a timezone"),
    ("instant", "2025", "an instant needs"),
    ("time", "24:00:00", "hour 24 does not exist"),
    ("time", "10:00", "seconds are required"),
    ("time", "10:00:00Z", "a time of day has no timezone"),
    ("time", "1:00:00", "expected hh:mm:ss(.sss)"),
    ("time", "10:00:00.", "expected hh:mm:ss"),
    ("xhtml", 5, "expected JSON string (xhtml)"),
]


def _cases() -> list[tuple[str, Any]]:
    return [(type_name, value) for type_name, values in VALID.items() for value in values]


@pytest.mark.parametrize(("type_name", "value"), _cases())
def test_valid_values(type_name: str, value: Any) -> None:
    assert check_primitive(type_name, value) is None


@pytest.mark.parametrize(
    ("type_name", "value", "fragment"),
    INVALID,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(INVALID)],
)
def test_invalid_values(type_name: str, value: Any, fragment: str) -> None:
    message = check_primitive(type_name, value)
    assert message is not None, f"{value!r} accepted as {type_name}"
    assert fragment in message


def test_every_type_has_valid_and_invalid_cases() -> None:
    assert set(VALID) == PRIMITIVE_TYPES
    assert {t for t, _, _ in INVALID} == PRIMITIVE_TYPES


def test_json_type_messages_start_with_expected_json() -> None:
    # The engine files these under FHIR-STRUCT-002 (wrong JSON type).
    for type_name in PRIMITIVE_TYPES:
        wrong: Any = (
            "x"
            if type_name in ("boolean", "integer", "positiveInt", "unsignedInt", "decimal")
            else 5
        )
        message = check_primitive(type_name, wrong)
        assert message is not None and message.startswith("expected JSON"), type_name
    format_message = check_primitive("date", "2025-02-30")
    assert format_message is not None and not format_message.startswith("expected JSON")


def test_empty_string_is_left_to_the_caller() -> None:
    for type_name in PRIMITIVE_TYPES - {
        "boolean",
        "integer",
        "positiveInt",
        "unsignedInt",
        "decimal",
    }:
        assert check_primitive(type_name, "") is None, type_name


def test_system_types_and_unknown_types() -> None:
    assert check_primitive("System.String", "a") is None
    assert check_primitive("System.String", 1) is not None
    assert check_primitive("System.Boolean", "true") is not None
    assert check_primitive("http://hl7.org/fhirpath/System.String", "a") is None
    assert check_primitive("integer64", "x") is None  # not an R4 type: not checked
    assert check_primitive("Quantity", {}) is None


def test_values_from_json_text() -> None:
    parsed = json.loads('{"a": 1.0, "b": NaN, "c": 1e400, "d": 12345678901234567890}')
    assert check_primitive("integer", parsed["a"]) is not None
    assert check_primitive("decimal", parsed["a"]) is None
    assert check_primitive("decimal", parsed["b"]) is not None
    assert check_primitive("decimal", parsed["c"]) is not None
    assert check_primitive("decimal", parsed["d"]) is None
    assert check_primitive("integer", parsed["d"]) is not None


@pytest.mark.parametrize(
    ("type_name", "value", "expected"),
    [
        ("string", " padded", "leading"),
        ("string", "padded ", "trailing"),
        ("markdown", "\npadded\n", "leading and trailing"),
        ("string", "fine", None),
        ("code", " x", None),  # codes are checked strictly by check_primitive instead
        ("string", "", None),
        ("string", 5, None),
    ],
)
def test_whitespace_note(type_name: str, value: Any, expected: str | None) -> None:
    note = whitespace_note(type_name, value)
    if expected is None:
        assert note is None
    else:
        assert note is not None and f"{expected} whitespace" in note


_R4_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_R4_TZ = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
R4_REGEX = {
    "date": _R4_YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?",
    "dateTime": _R4_YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):"
    r"[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?" + _R4_TZ + r")?)?)?",
    "instant": _R4_YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):"
    r"[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?" + _R4_TZ,
    "time": r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?",
}


def _calendar_ok(text: str) -> bool:
    import datetime

    parts = text.split("T")[0].split("-")
    if len(parts) < 3:
        return True
    try:
        datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("type_name", sorted(R4_REGEX))
def test_dates_agree_with_the_r4_regex_and_the_calendar(type_name: str) -> None:
    import random
    import re

    rng = random.Random(4)
    pattern = re.compile(R4_REGEX[type_name])
    pieces = {
        "year": ["2025", "2024", "1900", "0000", "0001", "999"],
        "month": ["01", "02", "12", "13", "00", "4"],
        "day": ["01", "28", "29", "30", "31", "32", "00"],
        "time": ["10:00:00", "23:59:60", "24:00:00", "10:00", "10:00:00.5", "10:61:00"],
        "tz": ["Z", "+01:00", "-14:00", "+14:30", "+15:00", "", "+0100"],
    }
    for _ in range(3000):
        year, month, day = (rng.choice(pieces[k]) for k in ("year", "month", "day"))
        clock, tz = rng.choice(pieces["time"]), rng.choice(pieces["tz"])
        shape = rng.randrange(5)
        if type_name == "time":
            text = clock + (tz if shape == 0 else "")
        else:
            text = [
                year,
                f"{year}-{month}",
                f"{year}-{month}-{day}",
                f"{year}-{month}-{day}T{clock}{tz}",
                f"{year}-{month}-{day}T{clock}",
            ][shape]
        expected = bool(pattern.fullmatch(text)) and _calendar_ok(text)
        message = check_primitive(type_name, text)
        assert (message is None) == expected, (text, message)
