"""The rule catalog: every finding code pcocheck can emit, with its documentation.

Codes live in TOML files beside this module, one file per family (``fhir-json.toml``,
``pco-gas.toml`` ...). A code is permanent: once published it keeps its meaning, and a
retired code stays in the catalog with ``status = "removed"`` so it is never reused.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pcocheck.finding import ISSUE_TYPES, Severity

CODE_PATTERN = re.compile(r"^(FHIR|PCO|SRV|TX)-[A-Z]+(-[A-Z]+)?-\d{3}$")
REQUIRED_DOC_FIELDS = ("summary", "what", "why", "example", "fix")


class CatalogError(Exception):
    """The shipped catalog is inconsistent (a programming error, caught by tests)."""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    code: str
    severity: Severity
    type: str
    summary: str
    what: str
    why: str
    example: str
    fix: str
    status: str = "stable"
    family_file: str = ""

    @property
    def family(self) -> str:
        return self.code.rsplit("-", 1)[0]


def _parse_file(name: str, text: str) -> list[RuleSpec]:
    data = tomllib.loads(text)
    specs: list[RuleSpec] = []
    for code, body in data.items():
        if not CODE_PATTERN.match(code):
            raise CatalogError(f"{name}: malformed rule code {code!r}")
        if not isinstance(body, dict):
            raise CatalogError(f"{name}: {code} must be a table")
        missing = [f for f in (*REQUIRED_DOC_FIELDS, "severity", "type") if not body.get(f)]
        if missing:
            raise CatalogError(f"{name}: {code} lacks {', '.join(missing)}")
        issue_type = str(body["type"])
        if issue_type not in ISSUE_TYPES:
            raise CatalogError(f"{name}: {code} has unknown issue type {issue_type!r}")
        specs.append(
            RuleSpec(
                code=code,
                severity=Severity.parse(str(body["severity"])),
                type=issue_type,
                summary=str(body["summary"]).strip(),
                what=str(body["what"]).strip(),
                why=str(body["why"]).strip(),
                example=str(body["example"]).strip(),
                fix=str(body["fix"]).strip(),
                status=str(body.get("status", "stable")),
                family_file=name,
            )
        )
    return specs


@cache
def catalog() -> dict[str, RuleSpec]:
    """All rule specs by code; raises :class:`CatalogError` on duplicates or gaps."""
    found: dict[str, RuleSpec] = {}
    folder = resources.files(__package__)
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        for spec in _parse_file(item.name, item.read_text(encoding="utf-8")):
            if spec.code in found:
                other = found[spec.code].family_file
                raise CatalogError(f"rule code {spec.code} defined twice ({other}, {item.name})")
            found[spec.code] = spec
    return dict(sorted(found.items()))


def lookup(code: str) -> RuleSpec:
    """The spec for ``code``; an unknown code is a programming error."""
    try:
        return catalog()[code]
    except KeyError:
        raise CatalogError(f"finding code {code} is not in the rule catalog") from None
