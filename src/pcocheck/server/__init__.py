"""Live server testing (``pcocheck server BASE_URL``): a PCO test kit over requests.

:func:`run_server` is the entry point the CLI calls: options in, :class:`RunResult` (with
``tests``) out; :func:`write_run_evidence` writes the HAR file and the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcocheck import __version__
from pcocheck.config import RunConfig
from pcocheck.result import RunResult
from pcocheck.server.http import HttpClient, HttpSettings, origin
from pcocheck.server.kit import Progress, ServerKit, ServerOptions

if TYPE_CHECKING:
    from pcocheck.engine.core import ProfileEngine
    from pcocheck.runner import Checker

__all__ = ["Progress", "ServerConfig", "ServerSession", "run_server", "write_run_evidence"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    base_url: str
    patients: tuple[str, ...] = ()
    max_pages: int = 20
    discover: int = 3
    bearer_token: str | None = None
    smart_client_id: str | None = None
    smart_key: str | None = None
    smart_algorithm: str | None = None
    smart_key_id: str | None = None
    smart_token_url: str | None = None
    smart_scope: str = "system/*.read"
    headers: dict[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    insecure: bool = False
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 1.0
    max_retry_wait: float = 60.0
    max_rps: float | None = None
    max_bytes: int = 50_000_000


@dataclass(slots=True)
class ServerSession:
    """What a run leaves behind: the result, and the client holding every exchange."""

    result: RunResult
    client: HttpClient


def _client(config: ServerConfig, progress: Progress) -> HttpClient:
    verify: bool | str = True
    if config.insecure:
        verify = False
    elif config.ca_bundle:
        verify = config.ca_bundle
    settings = HttpSettings(
        timeout=config.timeout,
        retries=config.retries,
        backoff=config.backoff,
        max_retry_wait=config.max_retry_wait,
        max_rps=config.max_rps,
        max_bytes=config.max_bytes,
        verify=verify,
        headers=dict(config.headers),
        user_agent=f"pcocheck/{__version__} (+PCO server test kit)",
    )
    return HttpClient(config.base_url, settings, on_request=progress.request)


def run_server(
    config: ServerConfig, run_config: RunConfig, progress: Progress | None = None
) -> ServerSession:
    """Run the whole plan. Configuration problems raise :class:`ConfigurationError`
    (exit 2); a server that cannot be tested gives a result with ``incomplete`` set."""
    from pcocheck.runner import ConfigurationError, build_checkers
    from pcocheck.server.auth import AuthError, BearerAuth, SmartBackendAuth

    progress = progress or Progress()
    if not config.base_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"BASE_URL must start with http:// or https:// (got {config.base_url!r})"
        )
    if config.ca_bundle and not Path(config.ca_bundle).is_file():
        raise ConfigurationError(f"--ca-bundle {config.ca_bundle}: no such file")
    checkers = build_checkers(run_config)  # definitions first: a bad --package is exit 2
    client = _client(config, progress)
    if config.smart_client_id or config.smart_key:
        if not (config.smart_client_id and config.smart_key):
            raise ConfigurationError(
                "SMART Backend Services needs both --smart-client-id and --smart-key"
            )
        try:
            client.auth = SmartBackendAuth(
                client,
                config.smart_client_id,
                Path(config.smart_key),
                algorithm=config.smart_algorithm,
                key_id=config.smart_key_id,
                token_url=config.smart_token_url,
                scope=config.smart_scope,
            )
        except OSError as error:
            raise ConfigurationError(
                f"--smart-key {config.smart_key}: {error.strerror or error}"
            ) from None
        except AuthError as error:
            raise ConfigurationError(str(error)) from None
    elif config.bearer_token:
        client.auth = BearerAuth(client, config.bearer_token)
    for value in config.headers.values():
        if value.lower().startswith(("bearer ", "basic ")):
            client.secrets.add(value.split(" ", 1)[1])

    options = ServerOptions(
        base_url=config.base_url,
        patients=config.patients,
        max_pages=config.max_pages,
        discover=config.discover,
        insecure=config.insecure,
    )
    kit = ServerKit(options, client, run_config, progress)
    _transport_tests(kit, config)
    try:
        kit.run()
    except AuthError as error:
        kit.incomplete = f"cannot obtain an access token: {error}"
        if error.exchange is not None:
            kit.finding("SRV-AUTH-001", str(error), error.exchange)
    if kit.capability is not None:
        result = kit.validate(checkers)
        from pcocheck.server.mustsupport import MustSupport

        engine = _engine_of(checkers)
        support = MustSupport(engine.registry, _codes_in(engine), kit.resolve)
        kit.must_support(support)
    else:
        result = RunResult(fail_on=run_config.fail_on)
    from pcocheck.config import Selection

    keep = Selection(run_config.select, run_config.ignore)
    result.findings.extend(f for f in kit.findings if keep(f.code))
    result.fail_on = run_config.fail_on
    result.tests = kit.tests
    errors = [t for t in kit.tests if t.result == "error"]
    result.incomplete = kit.incomplete or (
        f"{len(errors)} test(s) could not run: {errors[0].reason}" if errors else None
    )
    result.server = {
        "baseUrl": config.base_url,
        "plan": kit.plan.label,
        "patients": kit.patients,
        "patientsDiscovered": not config.patients,
        "tlsVerification": not config.insecure,
        "requests": len(client.exchanges),
        "pcoProfilesNamed": kit.pco_profiles_named,
        "mustSupport": [
            {
                "profile": c.profile,
                "instances": c.instances,
                "seen": c.seen,
                "missing": c.missing,
                "undecided": c.undecided,
            }
            for c in kit.must_support_table
        ],
    }
    _scrub(result, client.secrets)
    client.session.close()
    return ServerSession(result, client)


def _scrub(result: RunResult, secrets: set[str]) -> None:
    """A server may echo a credential back (e.g. in an OperationOutcome); the report quotes
    servers, so every secret is redacted from it as from the evidence."""
    from dataclasses import replace

    from pcocheck.server.evidence import redact

    if not secrets:
        return
    result.findings = [
        replace(
            f, message=redact(f.message, secrets), file=redact(f.file, secrets) if f.file else None
        )
        for f in result.findings
    ]
    result.tests = [
        replace(t, reason=redact(t.reason, secrets) if t.reason else None)
        for t in result.tests or ()
    ]
    if result.incomplete is not None:
        result.incomplete = redact(result.incomplete, secrets)


def _transport_tests(kit: ServerKit, config: ServerConfig) -> None:
    scheme, host, _ = origin(config.base_url)
    if config.insecure:
        kit.finding(
            "SRV-HTTP-006",
            "TLS certificate verification was turned off with --insecure: this run does not "
            "show that the server is who it claims to be",
            None,
        )
    if scheme == "https":
        result, reason = (
            ("fail", "--insecure: certificates not verified") if config.insecure else ("pass", None)
        )
    elif host in LOOPBACK:
        result, reason = "skip", "plain HTTP on the loopback interface (a local test server)"
    else:
        result, reason = (
            "fail",
            f"{config.base_url} is plain HTTP; US Core requires TLS 1.2 or higher",
        )
    kit.add_test(
        "capabilities-tls",
        "The server is reached over verified TLS",
        "capabilities",
        result,
        reason,
        "SHALL",
    )


def _engine_of(checkers: Sequence[Checker]) -> ProfileEngine:
    from pcocheck.engine.core import ProfileEngine

    for checker in checkers:
        if isinstance(checker, ProfileEngine):
            return checker
    raise RuntimeError("no profile engine among the checkers")


def _codes_in(engine: ProfileEngine) -> Callable[[str, Any], bool | None]:
    """Is a CodeableConcept in a value set? None when the value set is not enumerable."""

    def codes_in(value_set: str, value: Any) -> bool | None:
        expansion = engine.terminology.expand(value_set)
        if expansion is None:
            return None
        codings = value.get("coding") if isinstance(value, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, dict) and expansion.contains(
                str(coding.get("system")), str(coding.get("code"))
            ):
                return True
        return False

    return codes_in


def write_run_evidence(folder: Path, session: ServerSession) -> None:
    import json

    from pcocheck.reporting.json_report import report_document
    from pcocheck.server.evidence import write_evidence

    text = json.dumps(report_document(session.result), indent=2, ensure_ascii=False) + "\n"
    write_evidence(folder, session.client.exchanges, session.client.secrets, text)
