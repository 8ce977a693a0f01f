"""FHIRPath comparison of FHIR date, dateTime and instant values.

FHIRPath compares partial dates precision by precision: starting with the year, equal
components move on to the next one, a difference decides, and reaching a component
that only one side has makes the result unknown (empty). Seconds and fractions of a
second are one precision. When both sides carry a time they are compared in UTC if
both have a timezone offset; if only one does, the result is unknown.

fhirpathpy 2.2.4 compares FHIR date values as plain strings, which ignores timezone
offsets and fractional seconds; these functions replace that for invariants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

_DATETIME = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def _same_offset(left: str, right: str) -> bool:
    if "T" not in left:
        return "T" not in right
    if left[-1] == "Z":
        return right[-1] == "Z"
    return left[-6] in "+-" and left[-6:] == right[-6:]


@dataclass(frozen=True, slots=True)
class PartialDateTime:
    """A parsed FHIR date/dateTime/instant: components up to its precision."""

    components: tuple[int | Decimal, ...]  # year, month, day, hour, minute, second(.fraction)
    tz_minutes: int | None

    @property
    def has_time(self) -> bool:
        return len(self.components) > 3


def parse_datetime(text: str) -> PartialDateTime | None:
    """Parse ``YYYY[-MM[-DD[Thh[:mm[:ss[.f]]][tz]]]]``; ``None`` if it is not one."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    parts: list[int | Decimal] = []
    for value in match.group("year", "month", "day", "hour", "minute", "second"):
        if value is None:
            break
        parts.append(Decimal(value) if "." in value else int(value))
    tz_text = match.group("tz")
    tz_minutes: int | None = None
    if tz_text is not None:
        if len(parts) < 4:
            return None
        if tz_text == "Z":
            tz_minutes = 0
        else:
            sign = -1 if tz_text[0] == "-" else 1
            tz_minutes = sign * (int(tz_text[1:3]) * 60 + int(tz_text[4:6]))
    return PartialDateTime(tuple(parts), tz_minutes)


def _to_utc(value: PartialDateTime) -> tuple[int | Decimal, ...] | None:
    parts = value.components
    if value.tz_minutes is None or value.tz_minutes == 0:
        return parts
    try:
        base = datetime(
            int(parts[0]),
            int(parts[1]),
            int(parts[2]),
            int(parts[3]),
            int(parts[4]) if len(parts) > 4 else 0,
            tzinfo=UTC,
        ) - timedelta(minutes=value.tz_minutes)
    except (ValueError, OverflowError):  # not a calendar date: cannot be normalised
        return None
    shifted: list[int | Decimal] = [base.year, base.month, base.day, base.hour]
    if len(parts) > 4:
        shifted.append(base.minute)
    if len(parts) > 5:
        shifted.append(parts[5])
    return tuple(shifted)


def compare_datetimes(left: PartialDateTime, right: PartialDateTime) -> int | None:
    """-1, 0 or 1 as FHIRPath orders the two values; ``None`` when unknown."""
    a, b = left.components, right.components
    if left.has_time and right.has_time:
        if (left.tz_minutes is None) != (right.tz_minutes is None):
            return None
        if left.tz_minutes is not None:
            utc_left, utc_right = _to_utc(left), _to_utc(right)
            if utc_left is None or utc_right is None:
                return None
            a, b = utc_left, utc_right
    for index in range(max(len(a), len(b))):
        if index >= len(a) or index >= len(b):
            return None
        if a[index] != b[index]:
            return -1 if a[index] < b[index] else 1
    return 0


def compare_texts(left: str, right: str) -> int | None:
    """Compare two FHIR date/dateTime/instant strings; ``None`` if unknown or unparseable.

    Calendar validity is not checked here (primitive format checks report it).
    """
    if (
        len(left) == len(right)
        and _same_offset(left, right)
        and _DATETIME.fullmatch(left)
        and _DATETIME.fullmatch(right)
    ):
        # Same precision and the same offset: the text order is the time order.
        return (left > right) - (left < right)
    a = parse_datetime(left)
    b = parse_datetime(right)
    if a is None or b is None:
        return None
    return compare_datetimes(a, b)
