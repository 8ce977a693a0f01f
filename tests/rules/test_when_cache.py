"""Dates parsed while resources are checked are still remembered when the cross-resource
phase parses the texts its compact facts kept (pcocheck.rules.dates.WHENS_KEPT): an
export of 10,000 resources whose dates never repeat."""

from __future__ import annotations

from datetime import date, timedelta

from pcocheck.rules.dates import WHENS_KEPT, _parse_when, parse_when


def test_ten_thousand_distinct_dates_are_parsed_once() -> None:
    start = date(2001, 1, 1)
    texts = [f"{start + timedelta(days=n)}T10:{n % 60:02d}:00+02:00" for n in range(10_000)]
    _parse_when.cache_clear()
    first = [parse_when(text) for text in texts]
    before = _parse_when.cache_info()
    again = [parse_when(text) for text in texts]
    after = _parse_when.cache_info()
    assert after.misses == before.misses  # every one remembered
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert WHENS_KEPT >= 10_000
    _parse_when.cache_clear()
