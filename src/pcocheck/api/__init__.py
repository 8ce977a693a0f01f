"""The Python API: pcocheck inside your own code, services and test suites.

    import pcocheck

    report = pcocheck.validate(goal_dict)          # a dict, JSON text/bytes, a path, ...
    if not report.passed:
        for finding in report.findings:
            print(finding.code, finding.expression, finding.message)
    text = report.to_json()                         # or report.render("console"), ...

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
import os
import threading
from collections.abc import Iterable
from enum import Enum
from functools import cache
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from pcocheck.api.report import Report, formats, render_result
from pcocheck.config import RunConfig
from pcocheck.definitions.model import DEFAULT_PACKAGE_REGISTRY
from pcocheck.finding import Finding, Severity
from pcocheck.inputs.discover import InputFile, discover
from pcocheck.runner import ConfigurationError, Run, build_checkers, load_definitions

if TYPE_CHECKING:
    from pcocheck.api.sources import NamedInput, ResourceModel, Source
    from pcocheck.definitions.registry import DefinitionRegistry
    from pcocheck.parallel.indexing import EarlyFirstPass
    from pcocheck.runner import Progress

__all__ = [
    "ConfigurationError",
    "NamedInput",
    "Report",
    "ResourceModel",
    "Source",
    "Validator",
    "formats",
    "render_result",
    "validate",
    "validate_config",
]

# One validation at a time per process. The definitions (shared by every Validator:
# the compiled core is loaded once per process) fill lazy caches as they are used,
# and those caches are not built for concurrent writers; a lock keeps sharing a
# Validator (or calling ``validate``) from several threads safe.
_RUN_LOCK = threading.Lock()

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
            from pcocheck.api.sources import prepare_inputs

            inputs, problems = prepare_inputs(source, self.registry)
            if not inputs and not problems:
                # An empty list would otherwise "pass" with nothing checked.
                raise ValueError("nothing to validate: the source holds no input")
            return self._run(config, inputs, problems)

    def _run(
        self,
        config: RunConfig,
        inputs: list[InputFile],
        problems: list[Finding],
        stdin: IO[bytes] | None = None,
        progress: Progress | None = None,
        early: EarlyFirstPass | None = None,
    ) -> Report:
        """One run with fresh checkers over this Validator's definitions (lock held);
        ``early``: its first pass, already started (see :func:`validate_config`).

        The inventory of checked resources is kept (bounded per file) so that every
        format can be rendered afterwards, as the command line renders it."""
        from pcocheck.inventory import Inventory

        inventory = Inventory()
        checkers = [*build_checkers(config, self.registry), inventory]
        run = Run(config, checkers)
        run.progress = progress
        run.early_first_pass = early
        result = run.execute_inputs(inputs, problems, stdin)
        return Report(result, inventory)

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


def validate_config(
    config: RunConfig, stdin: IO[bytes] | None = None, progress: Progress | None = None
) -> Report:
    """The command line's run as a :class:`Report`: ``config.paths`` are discovered as
    ``pcocheck validate PATH...`` discovers them (``-`` reads ``stdin``).

    The adapter through which the command line can be built on this API: same
    checkers, same definitions, same result as :func:`pcocheck.runner.validate_config`.
    """
    # The inputs are found first: the first pass over a large NDJSON input can then start
    # in forked helpers while this process loads the definitions.
    inputs, problems = discover(list(config.paths))
    early = _early_first_pass(config, inputs)
    try:
        validator = Validator.from_config(config)
        with _RUN_LOCK:
            return validator._run(config, inputs, problems, stdin, progress, early)
    finally:
        if early is not None:
            early.close()


def _early_first_pass(config: RunConfig, inputs: list[InputFile]) -> EarlyFirstPass | None:
    """The run's first pass, started now when it is a parallel pass over NDJSON (see
    :class:`pcocheck.parallel.indexing.EarlyFirstPass`; not imported by other runs)."""
    if config.executor != "local" or config.jobs < 2 or not inputs:
        return None
    if not all(item.ndjson and item.path is not None for item in inputs):
        return None
    from pcocheck.parallel.indexing import EarlyFirstPass

    return EarlyFirstPass.start(config, inputs)


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


_SOURCES = frozenset({"NamedInput", "ResourceModel", "Source"})


def __getattr__(name: str) -> Any:
    # PEP 562: in-memory sources (pcocheck.api.sources) are imported on first use; the
    # command line's runs (validate_config) read paths and never need them.
    if name in _SOURCES:
        from pcocheck.api import sources

        return getattr(sources, name)
    raise AttributeError(f"module 'pcocheck.api' has no attribute {name!r}")
