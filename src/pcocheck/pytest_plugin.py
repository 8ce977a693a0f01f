"""The pytest plugin: pcocheck in your own test suite (registered as ``pytest11``).

    def test_my_goal_is_pco_conformant(pcocheck):
        pcocheck.assert_valid(build_goal(), profile=PCO_GAS_GOAL)

    test_examples = pcocheck_files("fixtures/**/*.json")   # one test per file

    @pytest.mark.pcocheck_files("exports/*.ndjson")
    def test_export(pcocheck, pcocheck_file):
        pcocheck.assert_valid(pcocheck_file, fail_on="warning")

Patterns are globs relative to pytest's rootdir (``**`` recurses). Extra definitions
for the whole session come from the ini options ``pcocheck_packages`` and
``pcocheck_profile_dirs``. The plugin loads with pytest wherever pcocheck is
installed and imports nothing of pcocheck's engine until a test uses it.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pcocheck.api import FailOn, Report, Source, Validator
    from pcocheck.finding import Finding

MARKER = "pcocheck_files"
FILE_ARGUMENT = "pcocheck_file"
MAX_LISTED = 50  # findings listed in one failure message


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "pcocheck_packages",
        "FHIR packages (FILE.tgz or id#version) the pcocheck fixture loads besides the "
        "shipped definitions, one per line",
        type="linelist",
        default=[],
    )
    parser.addini(
        "pcocheck_profile_dirs",
        "Folders of extra StructureDefinition/ValueSet/CodeSystem/Questionnaire JSON for "
        "the pcocheck fixture, one per line (relative to the rootdir)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*patterns): run the test once per file matching the glob patterns "
        f"(relative to the rootdir), with the file's path as the {FILE_ARGUMENT} argument",
    )


def matching_files(patterns: Iterable[str], root: Path) -> list[Path]:
    """Files matching any of the glob ``patterns`` (relative ones from ``root``), sorted,
    each once."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        full = pattern if os.path.isabs(pattern) else str(root / pattern)
        for match in sorted(glob.glob(full, recursive=True)):
            path = Path(match)
            if path.is_file():
                found.setdefault(path.resolve(), None)
    return list(found)


def _test_id(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        return
    if FILE_ARGUMENT not in metafunc.fixturenames:
        pytest.fail(
            f"{metafunc.definition.nodeid}: @pytest.mark.{MARKER} needs a test that takes "
            f"the {FILE_ARGUMENT} argument",
            pytrace=False,
        )
    patterns = [str(p) for p in marker.args]
    root = metafunc.config.rootpath
    files = matching_files(patterns, root)
    if not files:
        # A pattern that matches nothing would otherwise pass as an empty, skipped test:
        # a collection error names it instead.
        pytest.fail(
            f"{metafunc.definition.nodeid}: no file matches {', '.join(patterns)} "
            f"(relative to {root})",
            pytrace=False,
        )
    metafunc.parametrize(FILE_ARGUMENT, files, ids=[_test_id(p, root) for p in files])


def describe_failure(report: Report, subject: str) -> str:
    """The assertion message: each failing finding with code, severity, location and
    message, then what else was found."""
    failing = report.failures
    threshold = report.fail_on.label if report.fail_on is not None else "never"
    lines = []
    if report.incomplete:
        lines.append(f"pcocheck could not check {subject} to the end: {report.incomplete_reason}")
    if failing:
        lines.append(
            f"pcocheck found {len(failing)} problem(s) at or above {threshold!r} in {subject}:"
        )
    lines.extend(f"  {_describe(finding)}" for finding in failing[:MAX_LISTED])
    if len(failing) > MAX_LISTED:
        lines.append(f"  ... and {len(failing) - MAX_LISTED} more")
    others = len(report.findings) - len(failing)
    if others:
        lines.append(f"({others} finding(s) below {threshold!r} not listed)")
    return "\n".join(lines)


def _describe(finding: Finding) -> str:
    place = finding.file or "<run>"
    if finding.line is not None:
        place += f":{finding.line}"
        if finding.column is not None:
            place += f":{finding.column}"
    where = finding.expression or finding.resource or "-"
    return f"{finding.code} {finding.severity.label} at {where} ({place}): {finding.message}"


def _subject(source: object) -> str:
    from pcocheck.api import NamedInput

    if isinstance(source, NamedInput):
        return source.name
    if isinstance(source, (str, os.PathLike)) and not str(source).lstrip().startswith(("{", "[")):
        return os.fspath(source)
    return f"the {type(source).__name__} given"


class Pcocheck:
    """What the ``pcocheck`` fixture gives a test: validate and assert conformance with
    one :class:`pcocheck.Validator` for the whole session (definitions loaded once)."""

    def __init__(self, make_validator: Callable[[], Validator]) -> None:
        self._make_validator = make_validator
        self._validator: Validator | None = None

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            self._validator = self._make_validator()
        return self._validator

    def validate(
        self,
        source: Source,
        *,
        profile: str | Iterable[str] | None = None,
        select: str | Iterable[str] = (),
        ignore: str | Iterable[str] = (),
        fail_on: FailOn = "error",
    ) -> Report:
        """Validate ``source`` (anything :func:`pcocheck.validate` accepts)."""
        return self.validator.validate(
            source, profiles=profile or (), select=select, ignore=ignore, fail_on=fail_on
        )

    def assert_valid(
        self,
        source: Source,
        *,
        profile: str | Iterable[str] | None = None,
        select: str | Iterable[str] = (),
        ignore: str | Iterable[str] = (),
        fail_on: FailOn = "error",
    ) -> Report:
        """Fail the test, listing the findings, unless ``source`` has no finding at or
        above ``fail_on`` (and could be checked completely). Returns the report."""
        __tracebackhide__ = True
        report = self.validate(
            source, profile=profile, select=select, ignore=ignore, fail_on=fail_on
        )
        if not report.passed:
            raise AssertionError(describe_failure(report, _subject(source)))
        return report


@pytest.fixture(scope="session")
def pcocheck(pytestconfig: pytest.Config) -> Pcocheck:
    """Validate FHIR content in a test: ``pcocheck.assert_valid(resource_or_path,
    profile=...)`` fails with a readable list of findings; ``pcocheck.validate(...)``
    returns the :class:`pcocheck.Report`."""
    root = pytestconfig.rootpath

    def make_validator() -> Validator:
        from pcocheck.api import Validator

        packages = [_from_root(p, root) for p in pytestconfig.getini("pcocheck_packages")]
        folders = [_from_root(p, root) for p in pytestconfig.getini("pcocheck_profile_dirs")]
        return Validator(packages=packages, profile_dirs=folders)

    return Pcocheck(make_validator)


def _from_root(value: str, root: Path) -> str:
    """A package or folder named in the ini file: relative to the rootdir, except
    ``id#version`` package references, which name the package cache."""
    if "#" in value and not value.endswith((".tgz", ".tar.gz")):
        return value
    return value if os.path.isabs(value) else str(root / value)


def pcocheck_files(
    *patterns: str,
    profile: str | Iterable[str] | None = None,
    select: str | Iterable[str] = (),
    ignore: str | Iterable[str] = (),
    fail_on: FailOn = "error",
) -> Callable[..., Any]:
    """A test that validates every file matching the glob ``patterns`` (relative to the
    rootdir), one parametrized test per file::

        test_examples = pcocheck_files("fixtures/**/*.json", fail_on="warning")
    """
    if not patterns:
        raise ValueError("pcocheck_files needs at least one glob pattern")

    @pytest.mark.pcocheck_files(*patterns)
    def test_pcocheck_file(pcocheck: Pcocheck, pcocheck_file: Path) -> None:
        __tracebackhide__ = True
        pcocheck.assert_valid(
            pcocheck_file, profile=profile, select=select, ignore=ignore, fail_on=fail_on
        )

    return test_pcocheck_file
