"""The Python API: pcocheck inside your own code, services and test suites.

    import pcocheck

    report = pcocheck.validate(goal_dict)          # a dict, JSON text/bytes, a path, ...
    if not report.passed:
        for finding in report.findings:
            print(finding.code, finding.expression, finding.message)
    sarif = report.render("json")

A validation is one run of the same checkers the command line uses (``runner``), over
inputs given as Python values, so the same input gives the same findings as
``pcocheck validate -f json``. Files, folders and globs are discovered exactly as the
command line discovers them; in-memory content is read through the same decoding and
parsing as a file, under a name of its own (``<input 1>``, or a :class:`NamedInput`'s).

Dicts are serialised with ``json.dumps(indent=2)`` before they are read, so that line
and column of a finding point into that text: the same text one gets by dumping the
dict the same way. fhir.resources model instances are serialised with their own JSON
export (see :mod:`pcocheck.models`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from itertools import count
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeAlias

from pcocheck.config import RunConfig
from pcocheck.definitions.model import DEFAULT_PACKAGE_REGISTRY
from pcocheck.finding import Finding, Severity
from pcocheck.inputs.discover import InputFile, classify, discover
from pcocheck.result import RunResult
from pcocheck.runner import ConfigurationError, Run, build_checkers, load_definitions

if TYPE_CHECKING:
    from pcocheck.definitions.registry import DefinitionRegistry

__all__ = [
    "ConfigurationError",
    "NamedInput",
    "Report",
    "ResourceModel",
    "Source",
    "Validator",
    "formats",
    "validate",
    "validate_config",
]

MODEL_NOT_R4 = "FHIR-PROFILE-090"
MODEL_R4_COMPATIBLE = "FHIR-PROFILE-091"
GZIP_MAGIC = b"\x1f\x8b"

# One validation at a time per process. The definitions (shared by every Validator:
# the compiled core is loaded once per process) fill lazy caches as they are used,
# and those caches are not built for concurrent writers; a lock keeps sharing a
# Validator (or calling ``validate``) from several threads safe.
_RUN_LOCK = threading.Lock()


class ResourceModel(Protocol):
    """A fhir.resources (fhir_core) model instance: anything with its own JSON export."""

    def model_dump_json(self, *, indent: int | None = None) -> str: ...


@dataclass(frozen=True, slots=True)
class NamedInput:
    """In-memory content under a name of your choosing: findings report ``name`` as
    their ``file`` (instead of ``<input 1>``). ``content`` is a dict, JSON text,
    JSON bytes or a fhir.resources model instance (not a path). The name's extension
    says what bytes hold, as a file name does: ``export.ndjson``, ``bundle.json.gz``."""

    name: str
    content: Mapping[str, Any] | str | bytes | bytearray | ResourceModel


Content: TypeAlias = (
    "Mapping[str, Any] | str | bytes | bytearray | os.PathLike[str] | NamedInput | ResourceModel"
)
# A str is JSON text when it starts with ``{`` or ``[`` (after blanks), otherwise a
# path, folder or glob pattern, as on the command line; a Path is always a path.
Source: TypeAlias = "Content | Iterable[Content]"
FailOn: TypeAlias = "str | Severity | None"


class _Keep(Enum):
    """Marks an argument that was not given (None has a meaning for ``fail_on``)."""

    SAME = "same"


def parse_fail_on(value: FailOn) -> Severity | None:
    """``"error"`` (default), ``"warning"``, ``"information"``, ``"fatal"``, a
    :class:`Severity`, or ``"never"``/None (findings never fail the report)."""
    if value is None or isinstance(value, Severity):
        return value
    if value.strip().lower() == "never":
        return None
    try:
        return Severity.parse(value)
    except ValueError:
        raise ValueError(
            f"fail_on must be one of fatal, error, warning, information, never (got {value!r})"
        ) from None


def _codes(value: str | Iterable[str]) -> tuple[str, ...]:
    """Code prefixes: one string (comma-separated allowed, as on the command line) or
    an iterable of them."""
    parts = [value] if isinstance(value, str) else list(value)
    codes: list[str] = []
    for part in parts:
        codes.extend(code.strip() for code in part.split(",") if code.strip())
    return tuple(codes)


def _strings(value: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    if isinstance(value, (str, os.PathLike)):
        return (os.fspath(value),)
    return tuple(os.fspath(v) for v in value)


# -- reports ----------------------------------------------------------------------------


def formats() -> tuple[str, ...]:
    """The report formats :meth:`Report.render` accepts (those of ``--format``)."""
    from pcocheck.reporting import reporters

    return tuple(reporters())


def render_result(
    result: RunResult,
    fmt: str,
    *,
    color: bool = False,
    quiet: bool = False,
    verbose: bool = False,
    width: int | None = None,
) -> str:
    """Render ``result`` with the reporter the command line uses for ``--format fmt``.

    The one dispatch every ``Report.render``/``to_*`` method goes through, so a format
    added to :func:`pcocheck.reporting.reporters` is available here at once.
    """
    from pcocheck.reporting import ReportOptions, reporters

    available = reporters()
    renderer = available.get(fmt)
    if renderer is None:
        raise ValueError(
            f"unknown report format {fmt!r}; available: {', '.join(sorted(available))}"
        )
    buffer = io.StringIO()
    renderer(result, buffer, ReportOptions(color=color, quiet=quiet, verbose=verbose, width=width))
    return buffer.getvalue()


class Report:
    """The outcome of one validation: findings, summary, verdict, and renderings.

    ``findings`` are the :class:`~pcocheck.finding.Finding` objects the JSON report is
    made of (``finding.to_dict()`` is one entry of its ``issues``), sorted as there.
    """

    __slots__ = ("_findings", "result")

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self._findings = result.sorted_findings()

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
            self.result, fmt, color=color, quiet=quiet, verbose=verbose, width=width
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


# -- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PathArgument:
    argument: str


@dataclass(frozen=True, slots=True)
class _InMemory:
    name: str | None
    content: object


def _is_json_text(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")


def _flatten(source: object) -> Iterator[_PathArgument | _InMemory]:
    from pcocheck.models import is_model

    if isinstance(source, NamedInput):
        if isinstance(source.content, (os.PathLike, NamedInput)) or (
            isinstance(source.content, str) and not _is_json_text(source.content)
        ):
            raise TypeError(f"NamedInput {source.name!r}: content must be in memory, not a path")
        yield _InMemory(source.name, source.content)
    elif is_model(source) or isinstance(source, (Mapping, bytes, bytearray, memoryview)):
        yield _InMemory(None, source)
    elif isinstance(source, str):
        yield _InMemory(None, source) if _is_json_text(source) else _PathArgument(source)
    elif isinstance(source, os.PathLike):
        yield _PathArgument(os.fspath(source))
    elif isinstance(source, Iterable):
        for item in source:
            yield from _flatten(item)
    else:
        raise TypeError(
            "pcocheck cannot validate a "
            f"{type(source).__name__}: give a dict, JSON text or bytes, a path, a "
            "fhir.resources model, or an iterable of those"
        )


def _memory_bytes(content: object, label: str) -> bytes:
    from pcocheck.models import is_model, model_json

    if is_model(content):
        return model_json(content).encode("utf-8")
    if isinstance(content, Mapping):
        try:
            return json.dumps(content, indent=2, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise TypeError(f"{label}: the dict is not JSON: {error}") from None
    if isinstance(content, str):
        return content.encode("utf-8", errors="surrogatepass")
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise TypeError(f"{label}: cannot read a {type(content).__name__}")


def _model_finding(
    model: object, label: str, data: bytes, registry: DefinitionRegistry
) -> Finding | None:
    """The finding that says a model was validated as R4 (and what R4 lacks); None for
    an R4 model, and for a datatype model (the run reports its missing resourceType)."""
    from pcocheck.inputs.read import Document
    from pcocheck.inputs.resources import split_resources
    from pcocheck.inputs.source import SourceText
    from pcocheck.models import elements_not_in_r4, model_info
    from pcocheck.view import Anchor

    info = model_info(model)
    text = data.decode("utf-8")
    value = json.loads(text)
    if info.is_r4 or not isinstance(value, dict) or "resourceType" not in value:
        return None
    source = SourceText(label, text)
    first = next(split_resources(Document(source, value)))
    anchor = first.anchor if not isinstance(first, Finding) else Anchor(source, file=label)
    what = f"a fhir.resources FHIR {info.release} model ({info.class_name})"
    missing = elements_not_in_r4(value, registry.structure)
    if missing:
        return anchor.finding(
            MODEL_NOT_R4,
            f"{what} was validated as FHIR R4 (4.0.1); elements that do not exist in R4: "
            + ", ".join(missing),
        )
    return anchor.finding(
        MODEL_R4_COMPATIBLE,
        f"{what} was validated as FHIR R4 (4.0.1); all its elements exist in R4",
    )


def prepare_inputs(
    source: Source, registry: DefinitionRegistry
) -> tuple[list[InputFile], list[Finding]]:
    """The run's inputs, in the order given, and findings made while preparing them.

    Paths go through the command line's discovery (folders, globs, missing paths);
    in-memory content becomes an input that is read like a file.
    """
    from pcocheck.models import is_model

    inputs: list[InputFile] = []
    problems: list[Finding] = []
    seen: set[str] = set()
    numbers = count(1)
    for item in _flatten(source):
        if isinstance(item, _PathArgument):
            found, issues = discover([item.argument])
            problems.extend(issues)
            for file in found:
                key = str(file.path.resolve()) if file.path is not None else file.display
                if key not in seen:
                    seen.add(key)
                    inputs.append(file)
            continue
        label = item.name if item.name is not None else f"<input {next(numbers)}>"
        data = _memory_bytes(item.content, label)
        # A name says what the content is, as a file name does (``x.ndjson.gz``);
        # unnamed content is JSON, gzip-compressed when it starts like gzip.
        kind = classify(item.name) if item.name is not None else None
        ndjson, gzipped = kind if kind is not None else (False, data[:2] == GZIP_MAGIC)
        inputs.append(InputFile(label, None, ndjson=ndjson, gzipped=gzipped, data=data))
        if is_model(item.content):
            finding = _model_finding(item.content, label, data, registry)
            if finding is not None:
                problems.append(finding)
    return inputs, problems


# -- validators -------------------------------------------------------------------------


class Validator:
    """Loads the definitions once and validates many inputs with them.

    Use one per set of definitions (``packages``, ``profile_dirs``) in a service or a
    test session; each :meth:`validate` is a fresh run (its own cross-resource rules
    and summaries), exactly as one ``pcocheck validate`` over the same input.

    Thread safety: a Validator may be shared between threads; validations run one at a
    time in a process (a lock serialises them, see ``_RUN_LOCK``). For parallel
    throughput, use several processes.

    Raises :class:`ConfigurationError` when the definitions cannot be loaded or a
    ``profiles`` canonical is not loaded (the command line's exit code 2).
    """

    def __init__(
        self,
        *,
        profiles: str | Iterable[str] = (),
        packages: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
        profile_dirs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
        select: str | Iterable[str] = (),
        ignore: str | Iterable[str] = (),
        fail_on: FailOn = "error",
        tx: str | None = None,
        tx_cache: str | os.PathLike[str] | None = None,
        must_support: bool = False,
        display_check: bool = True,
        fetch_packages: bool = False,
        package_registry: str = DEFAULT_PACKAGE_REGISTRY,
    ) -> None:
        self.config = RunConfig(
            paths=(),
            fail_on=parse_fail_on(fail_on),
            select=_codes(select),
            ignore=_codes(ignore),
            profiles=_strings(profiles),
            profile_dirs=_strings(profile_dirs),
            packages=_strings(packages),
            package_registry=package_registry,
            fetch_packages=fetch_packages,
            must_support=must_support,
            display_check=display_check,
            tx_url=tx,
            tx_cache=os.fspath(tx_cache) if tx_cache is not None else None,
        )
        with _RUN_LOCK:
            self.registry = _load_registry(self.config)

    def _check_profiles(self, profiles: tuple[str, ...]) -> None:
        _check_profiles(self.registry, profiles)

    def validate(
        self,
        source: Source,
        *,
        profiles: str | Iterable[str] | None = None,
        select: str | Iterable[str] | None = None,
        ignore: str | Iterable[str] | None = None,
        fail_on: FailOn | _Keep = _Keep.SAME,
    ) -> Report:
        """Validate ``source``; the keyword arguments override this Validator's own for
        this call (``fail_on=None`` means never fail)."""
        config = self.config
        changes: dict[str, Any] = {}
        if profiles is not None:
            changes["profiles"] = _strings(profiles)
        if select is not None:
            changes["select"] = _codes(select)
        if ignore is not None:
            changes["ignore"] = _codes(ignore)
        if not isinstance(fail_on, _Keep):
            changes["fail_on"] = parse_fail_on(fail_on)
        if changes:
            config = dataclasses.replace(config, **changes)
        with _RUN_LOCK:
            if profiles is not None:
                self._check_profiles(config.profiles)
            inputs, problems = prepare_inputs(source, self.registry)
            return self._run(config, inputs, problems)

    def _run(
        self,
        config: RunConfig,
        inputs: list[InputFile],
        problems: list[Finding],
        stdin: IO[bytes] | None = None,
    ) -> Report:
        """One run with fresh checkers over this Validator's definitions (lock held)."""
        checkers = build_checkers(config, self.registry)
        return Report(Run(config, checkers).execute_inputs(inputs, problems, stdin))

    @classmethod
    def from_config(cls, config: RunConfig) -> Validator:
        """A Validator for a command line configuration (its definitions and options)."""
        validator = cls.__new__(cls)
        validator.config = config
        with _RUN_LOCK:
            validator.registry = _load_registry(config)
        return validator

    def __repr__(self) -> str:
        extra = [*self.config.packages, *self.config.profile_dirs]
        return f"<pcocheck.Validator definitions: shipped{''.join(', ' + e for e in extra)}>"


@cache
def _shipped_registry() -> DefinitionRegistry:
    """The shipped definitions never change in a process: loaded once, shared."""
    return load_definitions(RunConfig(paths=()))


def _load_registry(config: RunConfig) -> DefinitionRegistry:
    if config.packages or config.profile_dirs:
        return load_definitions(config)  # files can change between Validators: reread
    registry = _shipped_registry()
    _check_profiles(registry, config.profiles)
    return registry


def _check_profiles(registry: DefinitionRegistry, profiles: tuple[str, ...]) -> None:
    for url in profiles:
        if registry.structure(url) is None:
            raise ConfigurationError(f"--profile {url}: no such profile is loaded")


def validate_config(config: RunConfig, stdin: IO[bytes] | None = None) -> Report:
    """The command line's run as a :class:`Report`: ``config.paths`` are discovered as
    ``pcocheck validate PATH...`` discovers them (``-`` reads ``stdin``).

    The adapter through which the command line can be built on this API: same
    checkers, same definitions, same result as :func:`pcocheck.runner.validate_config`.
    """
    validator = Validator.from_config(config)
    with _RUN_LOCK:
        inputs, problems = discover(list(config.paths))
        return validator._run(config, inputs, problems, stdin)


def validate(
    source: Source,
    *,
    profiles: str | Iterable[str] = (),
    packages: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    select: str | Iterable[str] = (),
    ignore: str | Iterable[str] = (),
    fail_on: FailOn = "error",
    tx: str | None = None,
    profile_dirs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
    must_support: bool = False,
    display_check: bool = True,
) -> Report:
    """Validate FHIR R4 content: the Python form of ``pcocheck validate``.

    ``source``: a dict, JSON text or bytes, a path (str or Path; folders and globs as on
    the command line), a fhir.resources model instance, a :class:`NamedInput`, or an
    iterable of those (validated together, as one run over several files).
    ``profiles`` are canonicals to validate against as well (``--profile``);
    ``packages`` are FHIR packages (``--package FILE.tgz|id#version``); ``profile_dirs``
    folders of extra definitions (``--profiles``); ``select``/``ignore`` code prefixes;
    ``fail_on`` the lowest severity that fails the report; ``tx`` a terminology server.

    To validate many inputs, build a :class:`Validator` once instead: the definitions
    are then loaded once.
    """
    validator = Validator(
        profiles=profiles,
        packages=packages,
        profile_dirs=profile_dirs,
        select=select,
        ignore=ignore,
        fail_on=fail_on,
        tx=tx,
        must_support=must_support,
        display_check=display_check,
    )
    return validator.validate(source)
