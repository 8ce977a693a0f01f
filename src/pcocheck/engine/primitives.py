"""Format checks for the FHIR R4 primitive types in JSON.

:func:`check_primitive` returns a human message when a JSON value is not a valid value
of a FHIR primitive type, ``None`` when it is fine. Messages about the JSON type start
with ``"expected JSON"`` (the engine files them as structure errors); the others say
what is wrong with the value, e.g. ``'2025-02-30' is not a valid date (day 30 does not
exist in February 2025)``.

An empty string is not reported here: the engine reports empty values on their own
(an empty string is never valid FHIR, whatever the type). Leading/trailing whitespace
in ``string``/``markdown`` is a separate, warning-level note:
:func:`whitespace_note`.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Final

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1

_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_OID = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
_UUID = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s")
_BASE64 = re.compile(r"[A-Za-z0-9+/=]*")
# Lenient shapes, checked component by component for precise messages.
_DATE_SHAPE = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?")
_DATETIME_SHAPE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)
_TIME_SHAPE = re.compile(
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?"
)

# The R4 regular expressions: a match with a day of at most 28 needs no further check.
_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TZ = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_R4_DATE = re.compile(_YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|1[0-9]|2[0-8]))?)?")
_R4_DATETIME = re.compile(
    _YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)(\.[0-9]+)?" + _TZ + r")?)?)?"
)
_R4_INSTANT = re.compile(
    _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)(\.[0-9]+)?" + _TZ
)

_DATE_FORMS: Final = "YYYY, YYYY-MM or YYYY-MM-DD"
_DATETIME_FORMS: Final = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss)+zz:zz"
_INSTANT_FORM: Final = "YYYY-MM-DDThh:mm:ss(.sss)+zz:zz (or Z)"
_TIME_FORM: Final = "hh:mm:ss(.sss)"

#: FHIRPath System types as they appear in snapshots (``Element.id`` etc.).
_SYSTEM_ALIASES: Final = {
    "System.String": "string",
    "System.Boolean": "boolean",
    "System.Integer": "integer",
    "System.Decimal": "decimal",
    "System.Date": "date",
    "System.DateTime": "dateTime",
    "System.Time": "time",
    "http://hl7.org/fhirpath/System.String": "string",
    "http://hl7.org/fhirpath/System.Boolean": "boolean",
    "http://hl7.org/fhirpath/System.Integer": "integer",
    "http://hl7.org/fhirpath/System.Decimal": "decimal",
    "http://hl7.org/fhirpath/System.Date": "date",
    "http://hl7.org/fhirpath/System.DateTime": "dateTime",
    "http://hl7.org/fhirpath/System.Time": "time",
}


def json_kind(value: object) -> str:
    """How JSON would call ``value``: ``a string``, ``a number``, ``an object``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- numbers and booleans -------------------------------------------------------------------
def _boolean(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    hint = " (write true or false without quotes)" if value in ("true", "false") else ""
    return f"expected JSON boolean, found {json_kind(value)}{hint}"


def _integer_problem(value: object, type_name: str, minimum: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        hint = ""
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            hint = " (write the number without quotes)"
        return f"expected JSON number (an {type_name}), found {json_kind(value)}{hint}"
    if isinstance(value, float | Decimal):  # input decimals are Decimal: exact text
        return f"expected JSON integer for {type_name}, found the decimal number {_shown(value)}"
    if value < minimum:
        bound = {1: "at least 1", 0: "at least 0"}.get(minimum, f"at least {minimum}")
        return f"{value} is not a valid {type_name} (it must be {bound})"
    if value > INT32_MAX:
        return f"{value} is not a valid {type_name} (it exceeds the 32-bit limit {INT32_MAX})"
    return None


def _integer(value: object) -> str | None:
    return _integer_problem(value, "integer", INT32_MIN)


def _positive_int(value: object) -> str | None:
    return _integer_problem(value, "positiveInt", 1)


def _unsigned_int(value: object) -> str | None:
    return _integer_problem(value, "unsignedInt", 0)


def _decimal(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        hint = ""
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", value):
            hint = " (write the number without quotes)"
        return f"expected JSON number (a decimal), found {json_kind(value)}{hint}"
    if isinstance(value, Decimal) and not value.is_finite():
        return f"{value} is not a valid decimal (NaN and infinity are not numbers in FHIR)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a valid decimal (NaN and infinity are not numbers in FHIR)"
    return None


# -- strings -------------------------------------------------------------------------------
def _string_like(value: object, type_name: str) -> str | None:
    if not isinstance(value, str):
        return f"expected JSON string (a {type_name}), found {json_kind(value)}"
    if value == "":
        return None
    if value.isascii() and value.isprintable():  # the common case, checked in C
        if value[0] == " " and not value.strip():
            return f"{type_name} consists only of whitespace"
        return None
    control = _CONTROL.search(value)
    if control is not None:
        return (
            f"{type_name} contains the control character U+{ord(control.group()):04X}; "
            "only tab, carriage return and line feed are allowed"
        )
    if _SURROGATE.search(value):
        return f"{type_name} contains an unpaired UTF-16 surrogate (not valid Unicode)"
    if not value.strip():
        return f"{type_name} consists only of whitespace"
    return None


def _string(value: object) -> str | None:
    return _string_like(value, "string")


def _markdown(value: object) -> str | None:
    return _string_like(value, "markdown")


def _code(value: object) -> str | None:
    problem = _string_like(value, "code")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    if _CODE.fullmatch(value) is None:
        if value != value.strip():
            why = "leading or trailing whitespace"
        elif "  " in value:
            why = "more than one space in a row"
        else:
            why = "whitespace other than single spaces"
        return f"{_shown(value)} is not a valid code ({why})"
    return None


def _id(value: object) -> str | None:
    problem = _string_like(value, "id")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    if len(value) > 64:
        return f"{_shown(value)} is not a valid id (longer than 64 characters)"
    if _ID.fullmatch(value) is None:
        bad = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c in "-."))})
        shown = " ".join(repr(c) for c in bad[:5])
        return (
            f"{_shown(value)} is not a valid id (only A-Z, a-z, 0-9, '-' and '.' are "
            f"allowed; found {shown})"
        )
    return None


_ABSOLUTE_URI: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _uri_problem(value: object, type_name: str) -> str | None:
    problem = _string_like(value, type_name)
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    if " " in value if value.isascii() and value.isprintable() else _WHITESPACE.search(value):
        return f"{_shown(value)} is not a valid {type_name} (it contains whitespace)"
    return None


def _uri(value: object) -> str | None:
    return _uri_problem(value, "uri")


def _url(value: object) -> str | None:
    return _uri_problem(value, "url")


def _canonical(value: object) -> str | None:
    problem = _uri_problem(value, "canonical")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    if "|" in value:
        url, _, version = value.partition("|")
        if not url:
            return f"{_shown(value)} is not a valid canonical (no URL before '|')"
        if not version:
            return f"{_shown(value)} is not a valid canonical (no version after '|')"
        if "|" in version:
            return f"{_shown(value)} is not a valid canonical (more than one '|')"
    if not value.startswith("#") and _ABSOLUTE_URI.match(value) is None:
        # R4 references.html#canonical: a canonical names a resource by its canonical URL,
        # which is absolute (or '#id' of a contained resource); the reference validator
        # rejects relative ones ("Questionnaire/123") the same way.
        return (
            f"{_shown(value)} is not a valid canonical (a canonical URL is absolute, or a "
            "'#id' reference to a contained resource)"
        )
    return None


def _oid(value: object) -> str | None:
    problem = _uri_problem(value, "oid")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    if _OID.fullmatch(value) is None:
        hint = " (missing the urn:oid: prefix)" if re.fullmatch(r"[0-2](\.\d+)+", value) else ""
        return (
            f"{_shown(value)} is not a valid oid (expected urn:oid: followed by digits "
            f"and dots, e.g. urn:oid:2.16.840.1.113883){hint}"
        )
    return None


def _uuid(value: object) -> str | None:
    problem = _uri_problem(value, "uuid")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    if _UUID.fullmatch(value) is None:
        hint = ""
        if re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value):
            hint = "; missing the urn:uuid: prefix"
        return (
            f"{_shown(value)} is not a valid uuid (expected urn:uuid: followed by "
            f"8-4-4-4-12 hexadecimal digits{hint})"
        )
    return None


def _base64(value: object) -> str | None:
    problem = _string_like(value, "base64Binary")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    compact = "".join(value.split())
    if _BASE64.fullmatch(compact) is None:
        return (
            f"{_shown(value)} is not valid base64 (it contains characters outside "
            "A-Z a-z 0-9 + / =)"
        )
    if len(compact) % 4 != 0:
        return f"{_shown(value)} is not valid base64 (its length is not a multiple of 4)"
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return f"{_shown(value)} is not valid base64 (misplaced '=' padding)"
    return None


def _xhtml(value: object) -> str | None:
    if not isinstance(value, str):
        return f"expected JSON string (xhtml), found {json_kind(value)}"
    return None


# -- dates and times -----------------------------------------------------------------------
def _calendar_problem(
    text: str, type_name: str, year: str, month: str | None, day: str | None
) -> str | None:
    number = int(year)
    if number == 0:
        return f"{_shown(text)} is not a valid {type_name} (year 0000 does not exist)"
    if month is None:
        return None
    month_number = int(month)
    if not 1 <= month_number <= 12:
        return f"{_shown(text)} is not a valid {type_name} (month {month} does not exist)"
    if day is None:
        return None
    day_number = int(day)
    last = calendar.monthrange(number, month_number)[1]
    if not 1 <= day_number <= last:
        return (
            f"{_shown(text)} is not a valid {type_name} (day {day} does not exist in "
            f"{_MONTHS[month_number - 1]} {year})"
        )
    return None


def _clock_problem(
    text: str, type_name: str, hour: str, minute: str, second: str | None
) -> str | None:
    if int(hour) > 23:
        return f"{_shown(text)} is not a valid {type_name} (hour {hour} does not exist)"
    if int(minute) > 59:
        return f"{_shown(text)} is not a valid {type_name} (minute {minute} does not exist)"
    if second is not None and int(second) > 60:
        return f"{_shown(text)} is not a valid {type_name} (second {second} does not exist)"
    return None


def _timezone_problem(text: str, type_name: str, tz: str) -> str | None:
    if tz == "Z":
        return None
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    if minutes > 59 or hours > 14 or (hours == 14 and minutes != 0):
        return (
            f"{_shown(text)} is not a valid {type_name} (timezone offset {tz} is outside "
            "-14:00..+14:00)"
        )
    return None


def _date(value: object) -> str | None:
    if isinstance(value, str) and _R4_DATE.fullmatch(value):
        return None
    problem = _string_like(value, "date")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    match = _DATE_SHAPE.fullmatch(value)
    if match is None:
        if _DATETIME_SHAPE.fullmatch(value) and "T" in value:
            return f"{_shown(value)} is not a valid date (a date has no time; use {_DATE_FORMS})"
        return f"{_shown(value)} is not a valid date (expected {_DATE_FORMS})"
    return _calendar_problem(value, "date", match["year"], match["month"], match["day"])


def _date_time(value: object) -> str | None:
    return _date_time_problem(value, "dateTime")


def _instant(value: object) -> str | None:
    return _date_time_problem(value, "instant")


def _date_time_problem(value: object, type_name: str) -> str | None:
    if isinstance(value, str):
        strict = _R4_INSTANT if type_name == "instant" else _R4_DATETIME
        if strict.fullmatch(value):
            return None
    problem = _string_like(value, type_name)
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    forms = _INSTANT_FORM if type_name == "instant" else _DATETIME_FORMS
    match = _DATETIME_SHAPE.fullmatch(value)
    if match is None:
        return f"{_shown(value)} is not a valid {type_name} (expected {forms})"
    problem = _calendar_problem(value, type_name, match["year"], match["month"], match["day"])
    if problem is not None:
        return problem
    if match["hour"] is None:
        if type_name == "instant":
            return (
                f"{_shown(value)} is not a valid instant (an instant needs a full date, "
                f"time and timezone: {forms})"
            )
        return None
    if match["second"] is None:
        return f"{_shown(value)} is not a valid {type_name} (seconds are required in a time)"
    problem = _clock_problem(value, type_name, match["hour"], match["minute"], match["second"])
    if problem is not None:
        return problem
    if match["tz"] is None:
        return (
            f"{_shown(value)} is not a valid {type_name} (a time needs a timezone, "
            "e.g. Z or +01:00)"
        )
    return _timezone_problem(value, type_name, match["tz"])


def _time(value: object) -> str | None:
    problem = _string_like(value, "time")
    if problem is not None or not isinstance(value, str) or value == "":
        return problem
    match = _TIME_SHAPE.fullmatch(value)
    if match is None:
        return f"{_shown(value)} is not a valid time (expected {_TIME_FORM})"
    if match["tz"] is not None:
        return f"{_shown(value)} is not a valid time (a time of day has no timezone)"
    if match["second"] is None:
        return f"{_shown(value)} is not a valid time (seconds are required: {_TIME_FORM})"
    return _clock_problem(value, "time", match["hour"], match["minute"], match["second"])


_CHECKS: Final[dict[str, Callable[[object], str | None]]] = {
    "boolean": _boolean,
    "integer": _integer,
    "positiveInt": _positive_int,
    "unsignedInt": _unsigned_int,
    "decimal": _decimal,
    "string": _string,
    "markdown": _markdown,
    "code": _code,
    "id": _id,
    "uri": _uri,
    "url": _url,
    "canonical": _canonical,
    "oid": _oid,
    "uuid": _uuid,
    "base64Binary": _base64,
    "date": _date,
    "dateTime": _date_time,
    "instant": _instant,
    "time": _time,
    "xhtml": _xhtml,
}

PRIMITIVE_TYPES: Final = frozenset(_CHECKS)


def check_primitive(type_name: str, value: object) -> str | None:
    """A message if ``value`` (parsed JSON) is not a valid FHIR R4 ``type_name``, else None.

    Unknown type names are not checked (``None``); ``System.String`` and the other
    FHIRPath system types used in snapshots are checked as their FHIR counterparts.
    """
    check = _CHECKS.get(_SYSTEM_ALIASES.get(type_name, type_name))
    if check is None:
        return None
    return check(value)


def fhir_primitive(type_name: str) -> str:
    """The FHIR primitive a snapshot's FHIRPath System type stands for (others unchanged)."""
    return _SYSTEM_ALIASES.get(type_name, type_name)


def checker_for(type_name: str) -> Callable[[object], str | None] | None:
    """The format check :func:`check_primitive` applies to ``type_name`` (None: none)."""
    return _CHECKS.get(_SYSTEM_ALIASES.get(type_name, type_name))


def whitespace_note(type_name: str, value: object) -> str | None:
    """A warning-level note when a string or markdown value has outer whitespace."""
    if type_name not in ("string", "markdown", "System.String") or not isinstance(value, str):
        return None
    if value and value != value.strip():
        where = "leading" if value[0].isspace() else "trailing"
        if value[0].isspace() and value[-1].isspace():
            where = "leading and trailing"
        return f"{type_name} value has {where} whitespace"
    return None


__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "PRIMITIVE_TYPES",
    "check_primitive",
    "checker_for",
    "fhir_primitive",
    "json_kind",
    "whitespace_note",
]
