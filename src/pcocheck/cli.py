"""The command line: options → RunConfig → run → report → exit code. Nothing else.

Exit codes (README, design-notes §2): 0 no finding at or above --fail-on; 1 findings at
or above --fail-on; 2 usage or configuration error; 3 could not complete.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from pcocheck import __version__
from pcocheck.config import RunConfig
from pcocheck.finding import Severity
from pcocheck.result import EXIT_INCOMPLETE, EXIT_USAGE, RunResult

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
    typer.echo(f"pcocheck: error: {message}", err=True)
    return typer.Exit(code)


def _split_codes(values: list[str] | None) -> tuple[str, ...]:
    codes: list[str] = []
    for value in values or []:
        codes.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(codes)


def _parse_fail_on(value: str) -> Severity | None:
    if value.lower() == "never":
        return None
    try:
        return Severity.parse(value)
    except ValueError:
        raise _fail(
            f"--fail-on must be one of fatal, error, warning, information, never (got {value!r})"
        ) from None


def _write_atomically(path: Path, text: str) -> None:
    """Write the whole report or nothing: a CI step never reads half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _emit(result: RunResult, fmt: str, output: Path | None, quiet: bool, verbose: bool) -> None:
    from pcocheck.reporting import ReportOptions, reporters

    render = reporters()[fmt]
    if output is not None:
        buffer = io.StringIO()
        render(result, buffer, ReportOptions(color=False, quiet=quiet, verbose=verbose))
        try:
            _write_atomically(output, buffer.getvalue())
        except OSError as error:
            raise _fail(f"cannot write {output}: {error.strerror or error}") from None
        return
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    render(result, sys.stdout, ReportOptions(color=color, quiet=quiet, verbose=verbose))


@app.command(epilog=EXIT_CODES_HELP)
def validate(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders (recursive), glob patterns, or - for stdin.", show_default=False
        ),
    ],
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="Report format: console or json.")
    ] = "console",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the report to FILE (atomically).", dir_okay=False
        ),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="Lowest severity that makes the exit code 1: error, warning, "
            "information or never.",
        ),
    ] = "error",
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
) -> None:
    """Validate FHIR resources, Bundles and NDJSON files."""
    from pcocheck.reporting import FORMATS

    if output_format not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)} (got {output_format!r})")
    config = RunConfig(
        paths=tuple(paths),
        fail_on=_parse_fail_on(fail_on),
        select=_split_codes(select),
        ignore=_split_codes(ignore),
        profiles=tuple(profile or ()),
        profile_dirs=tuple(profiles_dir or ()),
        packages=tuple(package or ()),
        package_registry=package_registry,
        fetch_packages=fetch_packages,
        tx_url=tx,
        tx_cache=tx_cache,
        tx_auth=tx_auth,
        must_support=must_support,
        display_check=not no_display_check,
    )
    from pcocheck.runner import ConfigurationError, validate_config

    try:
        result = validate_config(config, stdin=sys.stdin.buffer if "-" in paths else None)
    except ConfigurationError as error:
        raise _fail(str(error)) from None
    except Exception as error:  # a bug must still end in one line and exit 3
        if verbose:
            raise
        raise _fail(
            f"internal error ({type(error).__name__}: {error}); rerun with --verbose and report it",
            EXIT_INCOMPLETE,
        ) from None
    _emit(result, output_format, output, quiet, verbose)
    raise typer.Exit(result.exit_code)


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
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("pcocheck: interrupted", err=True)
        sys.exit(130)
