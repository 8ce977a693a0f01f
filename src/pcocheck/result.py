"""The outcome of a run: findings plus counts, and the exit status they imply."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pcocheck.finding import Finding, Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


@dataclass(slots=True)
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    resources: int = 0
    fail_on: Severity | None = Severity.ERROR
    incomplete: str | None = None  # why the run could not complete, if it could not

    def counts(self) -> dict[str, int]:
        tally = Counter(f.severity for f in self.findings)
        return {s.label: tally.get(s, 0) for s in sorted(Severity, reverse=True)}

    @property
    def passed(self) -> bool:
        if self.fail_on is None:
            return True
        return not any(f.severity >= self.fail_on for f in self.findings)

    @property
    def exit_code(self) -> int:
        if self.incomplete is not None:
            return EXIT_INCOMPLETE
        return EXIT_OK if self.passed else EXIT_FINDINGS

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)
