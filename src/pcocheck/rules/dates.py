"""FHIR date/dateTime/instant values as comparable points in time.

Only values with at least day precision are used (us-core-1 requires it of scores);
partial dates give None and the timing checks that need them are skipped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pcocheck.engine.frozen_init import quick_init
from pcocheck.finding import JsonPath
from pcocheck.pickling import pickled_by_fields
from pcocheck.rules.access import as_dict, as_str

# Parsed date texts remembered (about 350 bytes each, at most about 6 MB): as many as a
# 10,000-resource export whose dates barely repeat writes, so the cross-resource phase
# finds those its facts kept as text (pcocheck.rules.store) parsed already (4,096 kept
# about a third of them).
WHENS_KEPT = 16_384
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(T.*)?$")


@pickled_by_fields
@quick_init
@dataclass(frozen=True, slots=True)
class When:
    """A day as written in the data, and the exact instant when a time and zone are given."""

    day: date
    instant: datetime | None
    text: str

    def before(self, other: When) -> bool:
        if self.instant is not None and other.instant is not None:
            return self.instant < other.instant
        return self.day < other.day

    def sort_key(self) -> tuple[date, float]:
        return (self.day, self.instant.timestamp() if self.instant is not None else float("-inf"))


def parse_when(value: Any) -> When | None:
    text = as_str(value)
    if text is None:
        return None
    return _parse_when(text)


@functools.lru_cache(maxsize=WHENS_KEPT)
def _parse_when(text: str) -> When | None:
    """:func:`parse_when` of a string, remembered: the same dates recur across the
    resources of an export, and a :class:`When` is immutable."""
    match = _DAY.match(text.strip())
    if match is None:
        return None
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
    instant = None
    if match[4]:
        try:
            parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        instant = parsed if parsed.tzinfo is not None else None
    return When(day, instant, text.strip())


def observation_time(resource: dict[str, Any]) -> tuple[When | None, JsonPath]:
    """When an Observation was made, in the order the PCO CQL sorts scores: effectiveDateTime,
    effectiveInstant, effectivePeriod.end, effectivePeriod.start."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            return parse_when(resource[key]), (key,)
    period = as_dict(resource.get("effectivePeriod"))
    for key in ("end", "start"):
        if key in period:
            return parse_when(period[key]), ("effectivePeriod", key)
    return None, ()
