"""The one finding type every check produces, and its severity scale.

Checks never compute positions or print: they yield findings carrying a JSON path
inside the document that was read; the runner turns that path into file:line:column
and a FHIRPath expression in one place (see :mod:`pcocheck.inputs.locate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

JsonPath = tuple[str | int, ...]


class Severity(IntEnum):
    """FHIR IssueSeverity, ordered so that ``a >= b`` means "at least as severe"."""

    INFORMATION = 1
    WARNING = 2
    ERROR = 3
    FATAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}") from None


# FHIR IssueType codes pcocheck uses (http://hl7.org/fhir/issue-type).
ISSUE_TYPES = frozenset(
    {
        "invalid",
        "structure",
        "required",
        "value",
        "invariant",
        "security",
        "login",
        "unknown",
        "expired",
        "forbidden",
        "suppressed",
        "processing",
        "not-supported",
        "duplicate",
        "multiple-matches",
        "not-found",
        "deleted",
        "too-long",
        "code-invalid",
        "extension",
        "too-costly",
        "business-rule",
        "conflict",
        "transient",
        "lock-error",
        "no-store",
        "exception",
        "timeout",
        "incomplete",
        "throttled",
        "informational",
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One issue found in the input (design-notes §3).

    ``json_path`` locates the element inside the parsed document; ``line``/``column``
    and ``expression`` are filled from it by the runner before reporting.
    """

    code: str
    severity: Severity
    type: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    entry: int | None = None
    resource: str | None = None
    expression: str | None = None
    profile: str | None = None
    json_path: JsonPath | None = field(default=None, compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.file or "",
            self.line if self.line is not None else 0,
            self.column if self.column is not None else 0,
            self.code,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of ``pcocheck-report/1``."""
        return {
            "code": self.code,
            "severity": self.severity.label,
            "type": self.type,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "entry": self.entry,
            "resource": self.resource,
            "expression": self.expression,
            "profile": self.profile,
        }
