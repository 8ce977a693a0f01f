"""Reporters: each turns a :class:`RunResult` into one output format.

Machine-readable formats (``json``, ``sarif``, ``junit``, ``gitlab``,
``operationoutcome``) are stable contracts; ``console``, ``github`` and ``html`` are
for people and may change between versions — do not parse them.

Every reporter renders the findings in one order (file, position, code, then every
other field: :func:`pcocheck.reporting.common.ordered_findings`) so reports diff
cleanly, and accepts the test outcomes of a server run (:mod:`pcocheck.reporting.outcomes`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from pcocheck.result import RunResult

if TYPE_CHECKING:
    from pcocheck.inventory import Inventory


@dataclass(frozen=True, slots=True)
class ReportOptions:
    color: bool = False
    quiet: bool = False
    verbose: bool = False
    width: int | None = None
    # Resources that were checked, per file (JUnit lists the ones that passed too).
    inventory: Inventory | None = None
    # Where the github format appends its Markdown job summary ($GITHUB_STEP_SUMMARY).
    summary_path: str | None = None
    # How many findings a baseline hid (None: no baseline was used).
    baselined: int | None = None


Reporter = Callable[[RunResult, TextIO, ReportOptions], None]


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One output format: where its reporter lives and what it is."""

    name: str
    module: str
    function: str
    description: str
    machine: bool  # a stable machine-readable contract (always written as UTF-8)


# The one list of formats: the CLI, the config file and the help text all read it.
_SPECS = (
    FormatSpec("console", "console", "render_console", "for people (colour on a terminal)", False),
    FormatSpec("json", "json_report", "render_json", "pcocheck-report/1", True),
    FormatSpec("sarif", "sarif", "render_sarif", "SARIF 2.1.0 (code scanning)", True),
    FormatSpec("junit", "junit", "render_junit", "JUnit XML (CI test reports)", True),
    FormatSpec("github", "github", "render_github", "GitHub Actions annotations", False),
    FormatSpec("gitlab", "gitlab", "render_gitlab", "GitLab Code Quality", True),
    FormatSpec(
        "operationoutcome",
        "operationoutcome",
        "render_operationoutcome",
        "FHIR R4 OperationOutcome (Bundle of them for many inputs)",
        True,
    ),
    FormatSpec("html", "html", "render_html", "one self-contained HTML page", False),
)
FORMAT_SPECS = {spec.name: spec for spec in _SPECS}
FORMATS = tuple(FORMAT_SPECS)


def reporter(name: str) -> Reporter:
    """The reporter for a format, imported only when used (rich costs start-up time)."""
    spec = FORMAT_SPECS[name]
    module = importlib.import_module(f"pcocheck.reporting.{spec.module}")
    render: Reporter = getattr(module, spec.function)
    return render


def reporters() -> dict[str, Reporter]:
    return {name: reporter(name) for name in FORMATS}
