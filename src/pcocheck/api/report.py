"""The Report an API validation returns, and the one dispatch to the reporters."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from pcocheck.finding import Finding, Severity
from pcocheck.result import RunResult

if TYPE_CHECKING:
    from pcocheck.inventory import Inventory


def formats() -> tuple[str, ...]:
    """The report formats :meth:`Report.render` accepts (those of ``--format``)."""
    from pcocheck.reporting import FORMATS

    return FORMATS


def render_result(
    result: RunResult,
    fmt: str,
    *,
    color: bool = False,
    quiet: bool = False,
    verbose: bool = False,
    width: int | None = None,
    inventory: Inventory | None = None,
) -> str:
    """Render ``result`` with the reporter the command line uses for ``--format fmt``.

    The one dispatch every ``Report.render``/``to_*`` method goes through: a format in
    :data:`pcocheck.reporting.FORMATS` is available here at once. ``inventory`` lists the
    resources the run checked (the JUnit and OperationOutcome reports name those that
    passed too).
    """
    from pcocheck.reporting import FORMATS, ReportOptions, reporter

    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; available: {', '.join(FORMATS)}")
    options = ReportOptions(
        color=color, quiet=quiet, verbose=verbose, width=width, inventory=inventory
    )
    buffer = io.StringIO()
    reporter(fmt)(result, buffer, options)
    return buffer.getvalue()


class Report:
    """The outcome of one validation: findings, summary, verdict, and renderings.

    ``findings`` are the :class:`~pcocheck.finding.Finding` objects the JSON report is
    made of (``finding.to_dict()`` is one entry of its ``issues``), sorted as there.
    """

    __slots__ = ("_findings", "inventory", "result")

    def __init__(self, result: RunResult, inventory: Inventory | None = None) -> None:
        from pcocheck.reporting.common import ordered_findings

        self.result = result
        self.inventory = inventory
        self._findings = ordered_findings(result)

    @property
    def findings(self) -> list[Finding]:
        return list(self._findings)

    @property
    def passed(self) -> bool:
        """No finding at or above ``fail_on``, and the run completed."""
        return self.result.passed and not self.incomplete

    @property
    def incomplete(self) -> bool:
        """Something could not be checked to the end: never a pass."""
        return self.result.incomplete is not None

    @property
    def incomplete_reason(self) -> str | None:
        return self.result.incomplete

    @property
    def exit_code(self) -> int:
        """The exit code ``pcocheck validate`` gives for the same run (0, 1 or 3)."""
        return self.result.exit_code

    @property
    def fail_on(self) -> Severity | None:
        return self.result.fail_on

    @property
    def failures(self) -> list[Finding]:
        """The findings at or above ``fail_on`` (those that make ``passed`` false)."""
        threshold = self.result.fail_on
        if threshold is None:
            return []
        return [f for f in self._findings if f.severity >= threshold]

    @property
    def summary(self) -> dict[str, Any]:
        """The ``summary`` object of the JSON report (counts, ``passed``, ``failOn``)."""
        summary: dict[str, Any] = self.to_dict()["summary"]
        return summary

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (``pcocheck-report/1``) as a Python object."""
        document: dict[str, Any] = json.loads(self.to_json())
        return document

    def render(
        self,
        fmt: str,
        *,
        color: bool = False,
        quiet: bool = False,
        verbose: bool = False,
        width: int | None = None,
    ) -> str:
        """The report in a ``--format`` of the command line (see :func:`formats`)."""
        return render_result(
            self.result,
            fmt,
            color=color,
            quiet=quiet,
            verbose=verbose,
            width=width,
            inventory=self.inventory,
        )

    def to_json(self) -> str:
        return self.render("json")

    def to_console(self, *, color: bool = False, width: int | None = None) -> str:
        return self.render("console", color=color, width=width)

    def to_sarif(self) -> str:
        return self.render("sarif")

    def to_junit(self) -> str:
        return self.render("junit")

    def to_github(self) -> str:
        return self.render("github")

    def to_gitlab(self) -> str:
        return self.render("gitlab")

    def to_operationoutcome(self) -> str:
        return self.render("operationoutcome")

    def to_html(self) -> str:
        return self.render("html")

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {label}" for label, n in self.result.counts().items() if n)
        verdict = "passed" if self.passed else "failed"
        return f"<pcocheck.Report {verdict}: {counts or 'no findings'}>"
