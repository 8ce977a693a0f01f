"""The rule catalog: every finding code pcocheck can emit, with its documentation.

Codes live in TOML files beside this module, one file per family (``fhir-json.toml``,
``pco-gas.toml`` ...). A code is permanent: once published it keeps its meaning, and a
retired code stays in the catalog with ``status = "removed"`` so it is never reused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pcocheck.finding import ISSUE_TYPES, Severity
from pcocheck.shipped import read_shipped

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


# The catalog's own shape of TOML: tables of bare keys, each line one ``key = "string"``
# (escapes: only \" and \\) or ``key = 'literal'``, and comments.
_TABLE = re.compile(r"\[([A-Za-z0-9_-]+)\]")
_PAIR = re.compile(
    r"([A-Za-z0-9_-]+) = "
    r"(?:\"((?:[^\"\\\x00-\x1f\x7f]|\\[\"\\])*)\"|'([^'\x00-\x1f\x7f]*)')"
    r"(?: +#[^\x00-\x08\x0a-\x1f\x7f]*)?"
)
_COMMENT = re.compile(r"#[^\x00-\x08\x0a-\x1f\x7f]*")
_ESCAPE = re.compile(r"\\([\"\\])")


def plain_toml(text: str) -> dict[str, dict[str, str]] | None:
    """``tomllib.loads(text)`` for a family file of the catalog's plain shape, without
    importing tomllib (a few milliseconds of each run that reports a finding); None for
    anything else (then tomllib reads it, and reports what is wrong)."""
    data: dict[str, dict[str, str]] = {}
    table: dict[str, str] | None = None
    for line in text.split("\n"):
        if not line or _COMMENT.fullmatch(line):
            continue
        pair = _PAIR.fullmatch(line)
        if pair is not None:
            key, basic, literal = pair.groups()
            if table is None or key in table:
                return None
            table[key] = _ESCAPE.sub(r"\1", basic) if literal is None else literal
            continue
        header = _TABLE.fullmatch(line)
        if header is None or header.group(1) in data:
            return None
        table = data[header.group(1)] = {}
    return data


def _parse_file(name: str, text: str) -> list[RuleSpec]:
    data: dict[str, Any] | None = plain_toml(text)
    if data is None:
        import tomllib  # only for a family file of another shape

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


_FOLDER = Path(__file__).parent


def _files() -> list[str]:
    if _FOLDER.is_dir():  # read in place (importlib.resources costs start-up time)
        return sorted(path.name for path in _FOLDER.iterdir() if path.name.endswith(".toml"))
    from importlib import resources

    folder = resources.files(__package__)
    return sorted(item.name for item in folder.iterdir() if item.name.endswith(".toml"))


@cache
def _family_file(name: str) -> tuple[RuleSpec, ...]:
    return tuple(_parse_file(name, read_shipped(__name__, name).decode("utf-8")))


@cache
def catalog() -> dict[str, RuleSpec]:
    """All rule specs by code; raises :class:`CatalogError` on duplicates or gaps."""
    found: dict[str, RuleSpec] = {}
    for name in _files():
        for spec in _family_file(name):
            if spec.code in found:
                other = found[spec.code].family_file
                raise CatalogError(f"rule code {spec.code} defined twice ({other}, {name})")
            found[spec.code] = spec
    return dict(sorted(found.items()))


def _candidate_files(code: str) -> list[str]:
    """The family files that can hold ``code``: ``FHIR-JSON-001`` lives in ``fhir-json*.toml``,
    ``SRV-HTTP-001`` in ``srv*.toml``. Parsing the whole catalog (20 TOML files) took a
    sizeable share of a small run's start-up; a run needs the few families it emits."""
    parts = code.lower().split("-")
    prefixes = ("-".join(parts[:2]), parts[0])
    return [name for name in _files() if name[: -len(".toml")].startswith(prefixes)]


@cache
def lookup(code: str) -> RuleSpec:
    """The spec for ``code``; an unknown code is a programming error."""
    for name in _candidate_files(code):
        for spec in _family_file(name):
            if spec.code == code:
                return spec
    try:  # a code filed under another family's file: the whole catalog decides
        return catalog()[code]
    except KeyError:
        raise CatalogError(f"finding code {code} is not in the rule catalog") from None
