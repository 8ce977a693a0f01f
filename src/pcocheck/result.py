"""The outcome of a run: findings plus counts, and the exit status they imply."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pcocheck.finding import Finding, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


# How much a failed server test weighs against --fail-on: a SHALL behaves like an error.
_EXPECTATION_SEVERITY = {
    "SHALL": Severity.ERROR,
    "SHOULD": Severity.WARNING,
    "MAY": Severity.INFORMATION,
}


@dataclass(frozen=True, slots=True)
class ServerTestResult:
    """One server test (``pcocheck server``): pass | fail | skip | omit | error."""

    id: str
    title: str
    group: str
    result: str
    reason: str | None
    expectation: str  # SHALL | SHOULD | MAY
    requests: tuple[str, ...] = ()  # ids of the exchanges in the evidence that show it

    @property
    def failure_severity(self) -> Severity | None:
        if self.result != "fail":
            return None
        return _EXPECTATION_SEVERITY.get(self.expectation, Severity.ERROR)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "group": self.group,
            "result": self.result,
            "reason": self.reason,
            "expectation": self.expectation,
            "requests": list(self.requests),
        }


@dataclass(slots=True)
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    fail_on: Severity | None = Severity.ERROR
    incomplete: str | None = None  # why the run could not complete, if it could not
    tests: list[ServerTestResult] | None = None  # server runs only
    server: dict[str, Any] | None = None  # server runs: base URL, patients, TLS checks

    def counts(self) -> dict[str, int]:
        tally = Counter(f.severity for f in self.findings)
        return {s.label: tally.get(s, 0) for s in sorted(Severity, reverse=True)}

    @property
    def passed(self) -> bool:
        if self.incomplete is not None:
            return False
        if self.fail_on is None:
            return True
        threshold = self.fail_on
        if any(f.severity >= threshold for f in self.findings):
            return False
        return not any(
            (weight := t.failure_severity) is not None and weight >= threshold
            for t in self.tests or ()
        )

    @property
    def exit_code(self) -> int:
        if self.incomplete is not None:
            return EXIT_INCOMPLETE
        return EXIT_OK if self.passed else EXIT_FINDINGS

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)
