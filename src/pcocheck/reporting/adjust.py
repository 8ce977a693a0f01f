"""What happens to a run's findings between the checks and the reporters: per-code
severity overrides from the configuration, then the baseline (hidden findings, stale
entries). The run's own selection (--select/--ignore) applies to the stale-entry
findings too, so ``--ignore FHIR-BASELINE`` silences them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pcocheck.config import Selection
from pcocheck.finding import Finding, Severity
from pcocheck.result import RunResult

if TYPE_CHECKING:
    from pcocheck.reporting.baseline import Baseline


def _override(code: str, overrides: Mapping[str, Severity]) -> Severity | None:
    """The override for ``code``: an exact code, else the longest matching prefix."""
    exact = overrides.get(code)
    if exact is not None:
        return exact
    best: tuple[int, Severity] | None = None
    for prefix, severity in overrides.items():
        if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), severity)
    return best[1] if best else None


def override_severities(
    findings: list[Finding], overrides: Mapping[str, Severity]
) -> list[Finding]:
    if not overrides:
        return findings
    changed: list[Finding] = []
    for finding in findings:
        severity = _override(finding.code, overrides)
        if severity is not None and severity != finding.severity:
            finding = dataclasses.replace(finding, severity=severity)
        changed.append(finding)
    return changed


@dataclass(frozen=True, slots=True)
class Adjusted:
    result: RunResult
    all_findings: list[Finding]  # after overrides, before the baseline (for --write-baseline)
    suppressed: int


def adjust(
    result: RunResult,
    overrides: Mapping[str, Severity],
    baseline: Baseline | None,
    keep: Selection,
) -> Adjusted:
    findings = override_severities(list(result.findings), overrides)
    suppressed = 0
    kept = findings
    if baseline is not None:
        from pcocheck.reporting.baseline import apply_baseline  # only runs with a baseline

        outcome = apply_baseline(findings, baseline)
        kept = outcome.kept + [f for f in outcome.stale if keep(f.code)]
        suppressed = outcome.suppressed
    return Adjusted(dataclasses.replace(result, findings=kept), findings, suppressed)
