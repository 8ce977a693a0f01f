"""From command-line options, the configuration file and the environment to the settings
of one run: a :class:`RunConfig` (what to check) and a :class:`ReportSettings` (what to
report, where, and what fails the build).

Precedence: an option given on the command line wins over the configuration file, which
wins over the defaults. Options that the file can set are ``None`` when not given (the
"not given" sentinel), so an explicit ``--fail-on error`` is told apart from the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pcocheck.config import RunConfig
from pcocheck.configfile import ConfigFileError, FileConfig, find_config, load_config
from pcocheck.finding import Severity

T = TypeVar("T")
DEFAULT_FORMAT = "console"
DEFAULT_FAIL_ON = "error"


class SettingsError(Exception):
    """Options that cannot be used together or have bad values (exit code 2)."""


@dataclass(frozen=True, slots=True)
class OutputSpec:
    format: str
    path: str | None  # None: standard output


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """Everything about reporting a run, in one place."""

    outputs: tuple[OutputSpec, ...] = (OutputSpec(DEFAULT_FORMAT, None),)
    fail_on: Severity | None = Severity.ERROR
    quiet: bool = False
    verbose: bool = False
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    baseline: str | None = None
    write_baseline: str | None = None
    summary_path: str | None = None  # $GITHUB_STEP_SUMMARY, for the github format

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(spec.format for spec in self.outputs)


@dataclass(frozen=True, slots=True)
class CliOptions:
    """The options of ``validate`` as given; ``None`` means "not given"."""

    paths: tuple[str, ...]
    formats: tuple[str, ...] | None = None
    outputs: tuple[str, ...] | None = None
    # (option, value) in command-line order, to pair each --output with its --format
    ordered: tuple[tuple[str, str], ...] | None = None
    fail_on: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    profiles: tuple[str, ...] | None = None
    profile_dirs: tuple[str, ...] | None = None
    packages: tuple[str, ...] | None = None
    package_registry: str | None = None
    fetch_packages: bool = False
    tx_url: str | None = None
    tx_cache: str | None = None
    tx_auth: str | None = field(default=None, repr=False)
    must_support: bool | None = None
    display_check: bool = True
    extension_domains: tuple[str, ...] = ()
    allow_example_urls: bool = True
    security_checks: bool = False
    quiet: bool = False
    verbose: bool = False
    baseline: str | None = None
    write_baseline: str | None = None
    config: str | None = None  # an explicit configuration file
    no_config: bool = False
    jobs: int | None = None  # None: the number of cores
    executor: str = "local"
    scheduler: str | None = None


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def split_codes(values: Sequence[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    codes: list[str] = []
    for value in values:
        codes.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(codes)


def parse_fail_on(value: str) -> Severity | None:
    if value.lower() == "never":
        return None
    try:
        return Severity.parse(value)
    except ValueError:
        raise SettingsError(
            f"--fail-on must be one of fatal, error, warning, information, never (got {value!r})"
        ) from None


def pair_outputs(
    formats: Sequence[str], outputs: Sequence[str], ordered: Sequence[tuple[str, str]] | None
) -> list[OutputSpec]:
    """Each ``--output`` belongs to the ``--format`` given just before it (or, when it
    comes first, just after it); formats without one write to standard output."""
    if not outputs:
        return [OutputSpec(f, None) for f in formats]
    if len(outputs) > len(formats):
        raise SettingsError(
            f"{len(outputs)} --output for {len(formats)} --format: give one --format per --output"
        )
    if len(formats) == 1:
        return [OutputSpec(formats[0], outputs[0])]
    sequence = list(ordered or ())
    if [v for o, v in sequence if o == "format"] != list(formats) or [
        v for o, v in sequence if o == "output"
    ] != list(outputs):
        raise SettingsError("with several --format, put each --output right after its --format")
    specs: list[list[str | None]] = []
    pending: list[str] = []  # outputs given before any format
    for option, value in sequence:
        if option == "format":
            specs.append([value, pending.pop(0) if pending else None])
        elif specs and specs[-1][1] is None:
            specs[-1][1] = value
        elif not specs:
            pending.append(value)
        else:
            raise SettingsError(f"--output {value}: its --format already has an --output")
    if pending:
        raise SettingsError("an --output has no --format")
    return [OutputSpec(str(f), o) for f, o in specs]


def _outputs(
    cli: CliOptions, file: FileConfig | None, env: Mapping[str, str]
) -> tuple[OutputSpec, ...]:
    if cli.formats:
        specs = pair_outputs(cli.formats, cli.outputs or (), cli.ordered)
    elif file is not None and file.formats:
        if cli.outputs and len(cli.outputs) > 1:
            raise SettingsError("several --output need a --format each")
        specs = [OutputSpec(f, file.outputs.get(f)) for f in file.formats]
        if cli.outputs:
            specs[0] = OutputSpec(specs[0].format, cli.outputs[0])
    else:
        # GitHub Actions shows workflow commands as annotations: the natural default there.
        default = "github" if env.get("GITHUB_ACTIONS") == "true" else DEFAULT_FORMAT
        specs = pair_outputs([default], cli.outputs or (), None)
    # "-o -" is standard output, as usual for command-line tools.
    specs = [OutputSpec(s.format, None) if s.path == "-" else s for s in specs]
    seen: set[str] = set()
    for spec in specs:
        if spec.path is not None:
            if spec.path in seen:
                raise SettingsError(f"--output {spec.path} is given for two formats")
            seen.add(spec.path)
    return tuple(specs)


def _pick(given: T | None, configured: T | None, default: T) -> T:
    if given is not None:
        return given
    if configured is not None:
        return configured
    return default


def load_file_config(cli: CliOptions, cwd: Path, formats: tuple[str, ...]) -> FileConfig | None:
    if cli.no_config:
        return None
    path = Path(cli.config) if cli.config else find_config(cwd)
    if path is None:
        return None
    if cli.config and not path.is_file():
        raise ConfigFileError(f"--config {cli.config}: no such file")
    return load_config(path, formats)


def resolve(
    cli: CliOptions, file: FileConfig | None, env: Mapping[str, str]
) -> tuple[RunConfig, ReportSettings]:
    """Merge the command line over the configuration file over the defaults."""
    fail_on_text = _pick(cli.fail_on, file.fail_on if file else None, DEFAULT_FAIL_ON)
    run = RunConfig(
        paths=cli.paths,
        fail_on=parse_fail_on(fail_on_text),
        select=_pick(cli.select, file.select if file else None, ()),
        ignore=_pick(cli.ignore, file.ignore if file else None, ()),
        profiles=_pick(cli.profiles, file.profiles if file else None, ()),
        profile_dirs=_pick(cli.profile_dirs, file.profile_dirs if file else None, ()),
        packages=_pick(cli.packages, file.packages if file else None, ()),
        package_registry=cli.package_registry or "https://packages.fhir.org",
        fetch_packages=cli.fetch_packages,
        tx_url=cli.tx_url,
        tx_cache=cli.tx_cache,
        tx_auth=cli.tx_auth,
        must_support=_pick(cli.must_support, file.must_support if file else None, False),
        display_check=cli.display_check,
        jobs=cli.jobs if cli.jobs is not None else default_jobs(),
        executor=cli.executor,
        scheduler=cli.scheduler,
        extension_domains=cli.extension_domains,
        allow_example_urls=cli.allow_example_urls,
        security_checks=cli.security_checks,
    )
    if run.jobs < 1:
        raise SettingsError(f"--jobs must be 1 or more (got {run.jobs})")
    if run.executor not in ("local", "dask"):
        raise SettingsError(f"--executor must be local or dask (got {run.executor!r})")
    if run.executor == "dask" and not run.scheduler:
        raise SettingsError("--executor dask needs --scheduler ADDRESS (or local)")
    report = ReportSettings(
        outputs=_outputs(cli, file, env),
        fail_on=run.fail_on,
        quiet=cli.quiet,
        verbose=cli.verbose,
        severity_overrides=dict(file.severity) if file else {},
        baseline=_pick(cli.baseline, file.baseline if file else None, None),
        write_baseline=cli.write_baseline,
        summary_path=env.get("GITHUB_STEP_SUMMARY") or None,
    )
    return run, report
