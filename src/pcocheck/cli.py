"""The command line: options → settings (with the config file) → run → reports → exit
code. Option merging lives in :mod:`pcocheck.settings`, writing in
:mod:`pcocheck.reporting.output`; this module only translates.

Exit codes (README, design-notes §2): 0 no finding at or above --fail-on; 1 findings at
or above --fail-on; 2 usage or configuration error; 3 could not complete.
"""

# No ``from __future__ import annotations`` here: typer reads every command's signature
# at start, and string annotations would be compiled and evaluated twice per parameter
# (inspect.signature(eval_str=True), then get_type_hints): about 10 ms of every start.
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from pcocheck import __version__
from pcocheck.collector import tune_for_command_line
from pcocheck.config import RunConfig
from pcocheck.reporting import FORMATS, ReportOptions
from pcocheck.reporting.text import printable
from pcocheck.result import EXIT_INCOMPLETE, EXIT_USAGE, RunResult
from pcocheck.settings import ReportSettings, split_codes

if TYPE_CHECKING:
    from pcocheck.inventory import Inventory
    from pcocheck.reporting.baseline import Baseline
    from pcocheck.runner import Progress

EXIT_CODES_HELP = (
    "Exit codes: 0 = no finding at or above --fail-on; 1 = findings at or above --fail-on; "
    "2 = usage or configuration error; 3 = could not complete (internal failure, server "
    "unreachable)."
)

app = typer.Typer(
    name="pcocheck",
    help="Check FHIR R4 content against the HL7 Person-Centered Outcomes (PCO) IG STU1. "
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"pcocheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """pcocheck: PCO STU1 conformance checker."""


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"pcocheck: error: {printable(message)}", err=True)
    return typer.Exit(code)


class _OrderedCommand(TyperCommand):
    """Keeps the raw arguments so each --output can be paired with its --format
    (click merges repeated options into separate lists and loses their order)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["pcocheck.args"] = list(args)
        parsed: list[str] = super().parse_args(ctx, args)
        return parsed


_OPTION_NAMES = (("format", "--format", "-f"), ("output", "--output", "-o"))


def _format_output_order(args: list[str]) -> tuple[tuple[str, str], ...]:
    """(format|output, value) in command-line order."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            break
        for kind, long, short in _OPTION_NAMES:
            if token in (long, short) and index + 1 < len(args):
                found.append((kind, args[index + 1]))
                index += 1
                break
            if token.startswith(long + "="):
                found.append((kind, token.split("=", 1)[1]))
                break
            if token.startswith(short) and not token.startswith("--") and len(token) > 2:
                found.append((kind, token[2:]))
                break
        index += 1
    return tuple(found)


def _input_paths(paths: tuple[str, ...]) -> list[Path]:
    from pcocheck.inputs.discover import discover

    inputs, _problems = discover([p for p in paths if p != "-"])
    return [item.path for item in inputs if item.path is not None]


def _render(result: RunResult, fmt: str, options: ReportOptions) -> str:
    from pcocheck.reporting import reporter

    buffer = io.StringIO()
    reporter(fmt)(result, buffer, options)
    return buffer.getvalue()


def _emit(
    result: RunResult,
    settings: ReportSettings,
    inventory: "Inventory | None",
    baselined: int | None = None,
) -> None:
    """Render every requested format and write it; raises OutputError / PipeClosed."""
    from pcocheck.reporting import FORMAT_SPECS
    from pcocheck.reporting.output import write_file, write_stream

    for spec in settings.outputs:
        to_terminal = spec.path is None and sys.stdout.isatty()
        options = ReportOptions(
            color=to_terminal and spec.format == "console" and "NO_COLOR" not in os.environ,
            quiet=settings.quiet,
            verbose=settings.verbose,
            inventory=inventory,
            summary_path=settings.summary_path,
            baselined=baselined,
        )
        text = _render(result, spec.format, options)
        if spec.path is not None:
            write_file(spec.path, text.encode("utf-8", "backslashreplace"))
            continue
        machine = FORMAT_SPECS[spec.format].machine
        encoding = "utf-8" if machine else (sys.stdout.encoding or "utf-8")
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stream (embedding): let it encode
            sys.stdout.write(text)
            continue
        write_stream(buffer, text.encode(encoding, "backslashreplace"))


@app.command(epilog=EXIT_CODES_HELP, cls=_OrderedCommand)
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders (recursive), glob patterns, or - for stdin.", show_default=False
        ),
    ],
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="Report format (repeatable, each with its own --output): "
            + ", ".join(FORMATS)
            + ". Default: console, or github when GITHUB_ACTIONS=true.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report of the --format just before it to FILE (atomically; "
            "devices and pipes are written through).",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Lowest severity that makes the exit code 1: error, warning, "
            "information or never. Default: error.",
            show_default=False,
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            help="Only report codes starting with these prefixes "
            "(repeatable or comma-separated), e.g. PCO-GAS.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Drop codes starting with these prefixes."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Console: only findings at or above --fail-on.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Console: also show the profile of findings.")
    ] = False,
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            help="Also validate every resource of the profile's type "
            "against this profile canonical (repeatable).",
        ),
    ] = None,
    profiles_dir: Annotated[
        list[str] | None,
        typer.Option(
            "--profiles",
            help="Folder of extra StructureDefinition / ValueSet / "
            "CodeSystem / Questionnaire JSON (repeatable).",
        ),
    ] = None,
    package: Annotated[
        list[str] | None,
        typer.Option(
            "--package",
            help="FHIR package: FILE.tgz, or id#version from the local "
            "package cache (~/.fhir/packages), downloaded from the registry only if "
            "missing (repeatable).",
        ),
    ] = None,
    package_registry: Annotated[
        str, typer.Option("--package-registry", help="FHIR package registry for --package.")
    ] = "https://packages.fhir.org",
    fetch_packages: Annotated[
        bool,
        typer.Option(
            "--fetch-packages",
            help="Allow downloading --package id#version from the package registry into the "
            "local cache (off: offline).",
        ),
    ] = False,
    tx: Annotated[
        str | None,
        typer.Option(
            "--tx",
            help="Terminology server base URL for codes pcocheck cannot check offline "
            "($validate-code); off by default.",
        ),
    ] = None,
    tx_cache: Annotated[
        str | None, typer.Option("--tx-cache", help="Folder for cached terminology answers.")
    ] = None,
    tx_auth: Annotated[
        str | None,
        typer.Option(
            "--tx-auth",
            envvar="PCOCHECK_TX_AUTH",
            show_envvar=True,
            help="Credentials for --tx: USER:PASSWORD (HTTP Basic) or 'Bearer TOKEN'. Prefer "
            "the environment variable; sent only to the --tx origin, never shown.",
        ),
    ] = None,
    must_support: Annotated[
        bool,
        typer.Option("--must-support", help="Report absent Must Support elements (information)."),
    ] = False,
    no_display_check: Annotated[
        bool,
        typer.Option(
            "--no-display-check", help="Do not compare coding displays with known displays."
        ),
    ] = False,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            metavar="FILE",
            help="Hide the findings recorded in this baseline file; report stale entries.",
        ),
    ] = None,
    write_baseline: Annotated[
        str | None,
        typer.Option(
            "--write-baseline", help="Write every finding of this run to a baseline file."
        ),
    ] = None,
    config_file: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Configuration file (default: pcocheck.toml or [tool.pcocheck] in "
            "pyproject.toml, found upward from the working directory).",
        ),
    ] = None,
    no_config: Annotated[
        bool, typer.Option("--no-config", help="Ignore configuration files.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            help="Worker processes for files, Bundles and NDJSON chunks (default: the number "
            "of cores; 1: one process). The report is the same for any N.",
            show_default=False,
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="Who runs the checks: local (processes on this machine) or dask "
            "(a Dask cluster, see --scheduler; needs pcocheck[dask]).",
        ),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="With --executor dask: the scheduler address (tcp://host:8786), or local "
            "for a LocalCluster on this machine.",
        ),
    ] = None,
    no_progress: Annotated[
        bool,
        typer.Option(
            "--no-progress",
            help="No progress bar (it shows on stderr only when stderr is a terminal).",
        ),
    ] = False,
    extension_domain: Annotated[
        list[str] | None,
        typer.Option(
            "--extension-domain",
            help="Accept unknown extensions whose url starts with DOMAIN (warning instead of "
            "error); repeatable; 'any' accepts all.",
        ),
    ] = None,
    no_allow_example_urls: Annotated[
        bool,
        typer.Option(
            "--no-allow-example-urls",
            help="Treat urls on example domains (example.org, acme.com, ...) that point "
            "outside the input as errors.",
        ),
    ] = False,
    security_checks: Annotated[
        bool,
        typer.Option(
            "--security-checks",
            help="HTML-like markup in strings (outside narrative and markdown) is an error "
            "instead of a warning.",
        ),
    ] = False,
) -> None:
    """Validate FHIR resources, Bundles and NDJSON files."""
    from pcocheck.configfile import ConfigFileError
    from pcocheck.reporting.output import OutputRefused, check_output_path
    from pcocheck.settings import CliOptions, SettingsError, load_file_config, resolve

    for fmt in output_format or ():
        if fmt not in FORMATS:
            raise _fail(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    cli = CliOptions(
        paths=tuple(paths),
        formats=tuple(output_format) if output_format else None,
        outputs=tuple(output) if output else None,
        ordered=_format_output_order(ctx.meta.get("pcocheck.args", [])),
        fail_on=fail_on,
        select=split_codes(select),
        ignore=split_codes(ignore),
        profiles=tuple(profile) if profile is not None else None,
        profile_dirs=tuple(profiles_dir) if profiles_dir is not None else None,
        packages=tuple(package) if package is not None else None,
        package_registry=package_registry,
        fetch_packages=fetch_packages,
        tx_url=tx,
        tx_cache=tx_cache,
        tx_auth=tx_auth,
        must_support=True if must_support else None,
        display_check=not no_display_check,
        quiet=quiet,
        verbose=verbose,
        baseline=baseline,
        write_baseline=write_baseline,
        config=config_file,
        no_config=no_config,
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        extension_domains=tuple(extension_domain or ()),
        allow_example_urls=not no_allow_example_urls,
        security_checks=security_checks,
    )
    try:
        file_config = load_file_config(cli, Path.cwd(), FORMATS)
        config, settings = resolve(cli, file_config, os.environ)
        loaded_baseline = _read_baseline(settings.baseline) if settings.baseline else None
        targets = [s.path for s in settings.outputs if s.path is not None]
        if settings.write_baseline:
            targets.append(settings.write_baseline)
        if targets:
            inputs = _input_paths(config.paths)
            for target in targets:
                check_output_path(target, inputs)
    except (ConfigFileError, SettingsError, OutputRefused) as error:
        raise _fail(str(error)) from None
    _validate(config, settings, loaded_baseline, progress=not no_progress)


def _read_baseline(path: str) -> "Baseline":
    """The --baseline file (its module is imported only by runs that use one)."""
    from pcocheck.reporting.baseline import BaselineError, load_baseline

    try:
        return load_baseline(Path(path))
    except BaselineError as error:
        raise _fail(str(error)) from None


def _terminal_progress() -> "Progress | None":
    """A progress bar on stderr when it is a terminal (rich is imported only then)."""
    if not sys.stderr.isatty():
        return None
    from pcocheck.parallel.progress import terminal_progress

    return terminal_progress()


def _validate(
    config: RunConfig, settings: ReportSettings, baseline: "Baseline | None", progress: bool = True
) -> None:
    from pcocheck.api import validate_config
    from pcocheck.config import Selection
    from pcocheck.reporting.adjust import adjust
    from pcocheck.reporting.output import OutputError, PipeClosed, silence_stdout, write_file
    from pcocheck.runner import ConfigurationError

    # The command line is a thin layer over the Python API (pcocheck.api): same run, same
    # Report; it adds configuration, baselines and severity overrides, and renders.
    try:
        report = validate_config(
            config,
            stdin=sys.stdin.buffer if "-" in config.paths else None,
            progress=_terminal_progress() if progress else None,
        )
        result, inventory = report.result, report.inventory
        adjusted = adjust(
            result,
            settings.severity_overrides,
            baseline,
            Selection(config.select, config.ignore),
        )
        result = adjusted.result
    except ConfigurationError as error:
        raise _fail(str(error)) from None
    except Exception as error:  # a bug must still end in one line and exit 3
        if settings.verbose:
            raise
        raise _fail(
            f"internal error ({type(error).__name__}: {error}); rerun with --verbose and report it",
            EXIT_INCOMPLETE,
        ) from None
    try:
        if settings.write_baseline:
            from pcocheck.reporting.baseline import render_baseline

            path = Path(settings.write_baseline)
            text = render_baseline(adjusted.all_findings, path)
            write_file(settings.write_baseline, text.encode("utf-8", "backslashreplace"))
        _emit(result, settings, inventory, adjusted.suppressed if baseline else None)
    except OutputError as error:
        raise _fail(str(error), EXIT_INCOMPLETE) from None
    except PipeClosed:
        # The reader (| head) has what it wanted; that is not a failure of the run.
        silence_stdout()
    except Exception as error:
        if settings.verbose:
            raise
        raise _fail(
            f"internal error while writing the report ({type(error).__name__}: {error}); "
            "rerun with --verbose and report it",
            EXIT_INCOMPLETE,
        ) from None
    raise typer.Exit(result.exit_code)


@app.command(
    "diff",
    epilog="Exit codes: 0 = nothing new at or above --fail-on; 1 = new "
    "findings at or above --fail-on; 2 = a report cannot be read.",
)
def diff_command(
    old: Annotated[str, typer.Argument(help="The earlier JSON report (pcocheck -f json).")],
    new: Annotated[str, typer.Argument(help="The later JSON report.")],
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help="Lowest severity of a new finding that makes exit 1."),
    ] = "error",
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="console or json.")
    ] = "console",
) -> None:
    """Compare two JSON reports: findings new, fixed and unchanged (matched like a baseline)."""
    from pcocheck.reporting.diff import (
        ReportFileError,
        diff_reports,
        load_report,
        render_diff_json,
        render_diff_text,
    )
    from pcocheck.reporting.output import OutputError, PipeClosed, silence_stdout, write_stream
    from pcocheck.settings import SettingsError, parse_fail_on

    if output_format not in ("console", "json"):
        raise _fail(f"--format must be console or json (got {output_format!r})")
    try:
        threshold = parse_fail_on(fail_on)
        difference = diff_reports(load_report(Path(old)), load_report(Path(new)))
    except (SettingsError, ReportFileError) as error:
        raise _fail(str(error)) from None
    buffer = io.StringIO()
    render = render_diff_json if output_format == "json" else render_diff_text
    render(difference, threshold, buffer)
    try:
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:
            sys.stdout.write(buffer.getvalue())
        else:
            write_stream(stream, buffer.getvalue().encode("utf-8", "backslashreplace"))
    except OutputError as error:
        raise _fail(str(error), EXIT_INCOMPLETE) from None
    except PipeClosed:
        silence_stdout()
    raise typer.Exit(1 if difference.failing(threshold) else 0)


def _parse_headers(values: list[str] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values or []:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise _fail(f"--header must look like 'Name: value' (got {value!r})")
        headers[name.strip()] = content.strip()
    return headers


@app.command(epilog=EXIT_CODES_HELP, cls=_OrderedCommand)
def server(
    ctx: typer.Context,
    base_url: Annotated[str, typer.Argument(help="FHIR base URL of the server to test.")],
    patient: Annotated[
        list[str] | None,
        typer.Option("--patient", help="Patient id to test (repeatable); default: discover."),
    ] = None,
    discover: Annotated[
        int, typer.Option("--discover", help="Without --patient: test the first N patients found.")
    ] = 3,
    output_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="Report format, as for validate (repeatable)."
        ),
    ] = None,
    output: Annotated[
        list[str] | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the report to FILE."),
    ] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="As for validate.")] = "error",
    select: Annotated[list[str] | None, typer.Option("--select", help="As for validate.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="As for validate.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    evidence: Annotated[
        Path | None,
        typer.Option("--evidence", help="Folder for requests.har (HAR 1.2) and report.json."),
    ] = None,
    bearer_token: Annotated[
        str | None,
        typer.Option(
            "--bearer-token",
            envvar="PCOCHECK_TOKEN",
            show_envvar=True,
            help="Bearer token (better: the PCOCHECK_TOKEN environment variable).",
        ),
    ] = None,
    smart_client_id: Annotated[
        str | None, typer.Option("--smart-client-id", help="SMART Backend Services client id.")
    ] = None,
    smart_key: Annotated[
        str | None, typer.Option("--smart-key", help="PEM private key (RSA: RS384, EC: ES384).")
    ] = None,
    smart_kid: Annotated[str | None, typer.Option("--smart-kid", help="JWT key id.")] = None,
    smart_token_url: Annotated[
        str | None,
        typer.Option("--smart-token-url", help="Token endpoint (default: .well-known discovery)."),
    ] = None,
    smart_scope: Annotated[str, typer.Option("--smart-scope")] = "system/*.read",
    header: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Extra header 'Name: value'.")
    ] = None,
    ca_bundle: Annotated[
        str | None, typer.Option("--ca-bundle", help="CA certificates file (PEM).")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Do not verify TLS certificates (flagged).")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 30.0,
    retries: Annotated[int, typer.Option("--retries", help="Retries on 429/503/no answer.")] = 2,
    max_rps: Annotated[
        float | None, typer.Option("--max-rps", help="At most this many requests per second.")
    ] = None,
    max_pages: Annotated[int, typer.Option("--max-pages", help="Pages followed per search.")] = 20,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Largest response body read.")
    ] = 50_000_000,
    profiles_dir: Annotated[list[str] | None, typer.Option("--profiles")] = None,
    package: Annotated[list[str] | None, typer.Option("--package")] = None,
) -> None:
    """Test a live FHIR server against the PCO / US Core server test plan (read-only)."""
    from pcocheck.reporting import FORMATS
    from pcocheck.reporting.output import OutputError, PipeClosed, silence_stdout
    from pcocheck.settings import OutputSpec, SettingsError, pair_outputs, parse_fail_on

    for fmt in output_format or ():
        if fmt not in FORMATS:
            raise _fail(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    from pcocheck.runner import ConfigurationError
    from pcocheck.server import ServerConfig, run_server, write_run_evidence
    from pcocheck.server.progress import progress_for

    try:
        threshold = parse_fail_on(fail_on)
        outputs = pair_outputs(
            output_format or ["console"],
            output or [],
            _format_output_order(ctx.meta.get("pcocheck.args", [])),
        )
    except SettingsError as error:
        raise _fail(str(error)) from None
    settings = ReportSettings(
        outputs=tuple(outputs) or (OutputSpec("console", None),),
        fail_on=threshold,
        quiet=quiet,
        verbose=verbose,
    )
    run_config = RunConfig(
        paths=(),
        fail_on=threshold,
        select=split_codes(select) or (),
        ignore=split_codes(ignore) or (),
        profile_dirs=tuple(profiles_dir or ()),
        packages=tuple(package or ()),
    )
    config = ServerConfig(
        base_url=base_url,
        patients=tuple(patient or ()),
        discover=discover,
        max_pages=max_pages,
        bearer_token=bearer_token or None,
        smart_client_id=smart_client_id,
        smart_key=smart_key,
        smart_key_id=smart_kid,
        smart_token_url=smart_token_url,
        smart_scope=smart_scope,
        headers=_parse_headers(header),
        ca_bundle=ca_bundle,
        insecure=insecure,
        timeout=timeout,
        retries=retries,
        max_rps=max_rps,
        max_bytes=max_bytes,
    )
    try:
        with progress_for(sys.stderr) as progress:
            session = run_server(config, run_config, progress)
    except ConfigurationError as error:
        raise _fail(str(error)) from None
    except Exception as error:
        if verbose:
            raise
        raise _fail(
            f"internal error ({type(error).__name__}: {error}); rerun with --verbose and report it",
            EXIT_INCOMPLETE,
        ) from None
    if evidence is not None:
        try:
            write_run_evidence(evidence, session)
        except OSError as error:
            raise _fail(f"cannot write evidence to {evidence}: {error.strerror or error}") from None
    try:
        _emit(session.result, settings, None)
    except OutputError as error:
        raise _fail(str(error), EXIT_INCOMPLETE) from None
    except PipeClosed:
        silence_stdout()
    raise typer.Exit(session.result.exit_code)


@app.command()
def rules() -> None:
    """List every rule code with its severity and summary."""
    from pcocheck.catalog import catalog

    for spec in catalog().values():
        typer.echo(f"{spec.code:<16} {spec.severity.label:<12} {spec.summary}")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A rule code, e.g. PCO-GAS-002.")]) -> None:
    """Explain a rule: what it checks, why, an example and how to fix it."""
    from pcocheck.catalog import catalog

    spec = catalog().get(code.strip().upper())
    if spec is None:
        raise _fail(f"unknown rule code {code!r}; `pcocheck rules` lists them all")
    typer.echo(f"{spec.code}  ({spec.severity.label}, {spec.type})")
    typer.echo(spec.summary)
    for title, body in (
        ("What it checks", spec.what),
        ("Why it matters", spec.why),
        ("Example", spec.example),
        ("How to fix", spec.fix),
    ):
        typer.echo("")
        typer.echo(f"{title}:")
        for line in body.splitlines():
            typer.echo(f"  {line}")


@app.command("profiles", epilog=EXIT_CODES_HELP)
def list_profiles(
    profiles_dir: Annotated[
        list[str] | None, typer.Option("--profiles", help="Extra definitions folder.")
    ] = None,
    package: Annotated[list[str] | None, typer.Option("--package", help="Extra package.")] = None,
) -> None:
    """Show what is loaded: packages, profiles and extensions with versions, value sets."""
    from pcocheck.reporting.definitions import render_definitions
    from pcocheck.runner import ConfigurationError, load_definitions

    config = RunConfig(
        paths=(), profile_dirs=tuple(profiles_dir or ()), packages=tuple(package or ())
    )
    try:
        registry = load_definitions(config)
    except ConfigurationError as error:
        raise _fail(str(error)) from None
    render_definitions(registry, sys.stdout)


def main() -> None:
    """The command line, ending in SystemExit (for callers in Python: tests, embedding)."""
    tune_for_command_line()
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("pcocheck: interrupted", err=True)
        sys.exit(130)


def entry() -> None:
    """Console-script entry point (and ``python -m pcocheck``): :func:`main`, then an exit
    without the interpreter's teardown.

    Tearing down the interpreter frees every object one by one: after a large run (its
    run-wide index, facts, definitions) that was tens of milliseconds of every run's wall
    time, for memory the operating system takes back at once. So, as the interpreter would:
    the atexit handlers run, stdout and stderr are flushed, then the process ends with the
    same exit code (``os._exit``). Where that could lose something the interpreter waits
    for (a non-daemon thread still running, a flush that fails: exit status 120 and its
    message), the normal exit is taken."""
    try:
        main()
    except SystemExit as stop:
        code = stop.code
    else:
        code = None
    _exit(code)


def _exit(code: object) -> None:
    threading = sys.modules.get("threading")
    if code is not None and not isinstance(code, int):
        raise SystemExit(code)  # a message to print: the interpreter's way
    if threading is not None and any(
        thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
        for thread in threading.enumerate()
    ):
        raise SystemExit(code)
    import atexit

    atexit._run_exitfuncs()  # and forgotten: a normal exit after this does not rerun them
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:  # the interpreter reports it (and exits 120)
        raise SystemExit(code) from None
    os._exit((code or 0) & 0xFF)  # the status the operating system keeps of exit(code)
