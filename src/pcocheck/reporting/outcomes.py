"""Test outcomes of a server run, as every reporter sees them.

``pcocheck server`` adds ``tests`` to its run result (design-notes §3): each with an id,
title, group, result (pass, fail, skip, omit, error), reason, expectation (SHALL, SHOULD,
MAY) and the ids of the requests that are its evidence. Reporters read them through
:func:`test_outcomes`, which accepts these objects, any object with those attributes, or
their JSON form, so the reporters need no change when the server result type lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pcocheck.finding import Severity

RESULTS = ("pass", "fail", "skip", "omit", "error")


@dataclass(frozen=True, slots=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    id: str
    title: str
    group: str
    result: str  # one of RESULTS
    reason: str | None = None
    expectation: str | None = None  # SHALL | SHOULD | MAY
    requests: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.result in ("fail", "error")

    @property
    def severity(self) -> Severity:
        """How much a failure weighs: a SHALL is an error, SHOULD a warning, MAY information."""
        if self.result == "error" or (self.expectation or "SHALL").upper() == "SHALL":
            return Severity.ERROR
        if (self.expectation or "").upper() == "SHOULD":
            return Severity.WARNING
        return Severity.INFORMATION


def _field(item: Any, name: str) -> Any:
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    # Enum members (a server result type may use them) count by their value.
    return getattr(value, "value", value)


def _outcome(item: Any) -> TestOutcome:
    if isinstance(item, TestOutcome):
        return item
    result = str(_field(item, "result") or "error").lower()
    requests = _field(item, "requests") or ()
    reason = _field(item, "reason")
    expectation = _field(item, "expectation")
    return TestOutcome(
        id=str(_field(item, "id") or "?"),
        title=str(_field(item, "title") or ""),
        group=str(_field(item, "group") or ""),
        result=result if result in RESULTS else "error",
        reason=None if reason is None else str(reason),
        expectation=None if expectation is None else str(expectation),
        requests=tuple(str(r) for r in requests),
    )


def test_outcomes(result: object) -> list[TestOutcome]:
    """The test outcomes of a run (none for ``validate``), sorted by group and id."""
    raw = getattr(result, "tests", None) or ()
    return sorted((_outcome(item) for item in raw), key=lambda t: (t.group, t.id))


test_outcomes.__test__ = False  # type: ignore[attr-defined]
