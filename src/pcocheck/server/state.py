"""Shared state of a server run: options, what was fetched, tests and findings so far,
and the recording helpers every group of the plan uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.result import ServerTestResult
from pcocheck.server.http import Exchange, HttpClient
from pcocheck.server.matching import date_range, listed
from pcocheck.server.plan import Plan, load_plan
from pcocheck.view import Anchor

EXPECTATION_ORDER = {"SHALL": 3, "SHOULD": 2, "MAY": 1}
UNANSWERED_LIMIT = 5
PCO_PREFIX = "http://hl7.org/fhir/us/pco/StructureDefinition/"


class RunAborted(Exception):
    """The server cannot be tested further (unreachable, credentials refused)."""


@dataclass(frozen=True, slots=True)
class ServerOptions:
    base_url: str
    patients: tuple[str, ...] = ()
    max_pages: int = 20
    discover: int = 3
    insecure: bool = False


class Progress:
    """Hooks the CLI uses to show progress; the default shows nothing."""

    def request(self, exchange: Exchange) -> None:
        return None

    def test(self, test: ServerTestResult) -> None:
        return None


def weakest(*expectations: str) -> str:
    return min(expectations, key=lambda e: EXPECTATION_ORDER.get(e, 0))


@dataclass(slots=True)
class Fetched:
    resource: dict[str, Any]
    exchange: Exchange
    mode: str = "match"  # search.mode, or "read"


@dataclass(slots=True)
class SearchOutcome:
    exchanges: list[Exchange] = field(default_factory=list)
    resources: list[Fetched] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # failures, each naming its request
    ignored: list[str] = field(default_factory=list)  # parameters the server ignored

    @property
    def ids(self) -> list[str]:
        return [exchange.id for exchange in self.exchanges]

    def matches_of(self, rtype: str) -> list[dict[str, Any]]:
        return [
            f.resource
            for f in self.resources
            if f.mode == "match" and f.resource.get("resourceType") == rtype
        ]


class KitState:
    def __init__(
        self,
        options: ServerOptions,
        client: HttpClient,
        config: RunConfig,
        progress: Progress | None = None,
        plan: Plan | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.config = config
        self.progress = progress or Progress()
        self.plan = plan or load_plan()
        self.tests: list[ServerTestResult] = []
        self.findings: list[Finding] = []
        self.capability: dict[str, Any] | None = None
        self.patients: list[str] = []
        # every resource fetched, by Type/id: the first time it was seen
        self.fetched: dict[str, Fetched] = {}
        # per patient, per type: what the searches for that patient returned
        self.scratch: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.page_problems: list[tuple[str, list[str]]] = []
        self.paged_requests: list[str] = []
        self.incomplete: str | None = None
        self.metadata_exchange: Exchange | None = None
        self.pco_profiles_named: list[str] = []
        self.discovery_requests: list[str] = []
        self.must_support_table: list[Any] = []
        self.first_queries: dict[str, dict[str, str]] = {}  # a first search that found data
        self.unanswered = 0  # requests in a row without an answer

    # -- recording -----------------------------------------------------------------------
    def add_test(
        self,
        test_id: str,
        title: str,
        group: str,
        result: str,
        reason: str | None,
        expectation: str,
        requests: Iterable[str] = (),
    ) -> None:
        test = ServerTestResult(
            id=test_id,
            title=title,
            group=group,
            result=result,
            reason=reason,
            expectation=expectation,
            requests=tuple(dict.fromkeys(requests)),
        )
        self.tests.append(test)
        self.progress.test(test)

    def finding(self, code: str, message: str, exchange: Exchange | None) -> None:
        file = exchange.url if exchange is not None else self.client.base_url
        where = f" ({exchange.id})" if exchange is not None else ""
        self.findings.append(Anchor(source=None, file=file).finding(code, message + where))

    def remember(self, resource: dict[str, Any], exchange: Exchange, mode: str) -> Fetched:
        item = Fetched(resource, exchange, mode)
        key = f"{resource.get('resourceType')}/{resource.get('id')}"
        self.fetched.setdefault(key, item)
        return item

    def resolve(self, reference: str) -> dict[str, Any] | None:
        """The fetched resource a (relative or same-server absolute) reference points at."""
        plain = self.client.absolute(reference).split("/_history/")[0].rstrip("/")
        key = "/".join(plain.split("/")[-2:])
        fetched = self.fetched.get(key)
        return fetched.resource if fetched is not None else None

    def get(self, url: str, headers: dict[str, str] | None = None) -> Exchange:
        exchange = self.client.get(url, headers)
        self._note_transport(exchange)
        return exchange

    def _note_transport(self, exchange: Exchange) -> None:
        if exchange.retried and exchange.status is not None:
            self.finding(
                "SRV-HTTP-007",
                f"{exchange.method} {exchange.url} succeeded only after {exchange.retried} "
                "retr" + ("y" if exchange.retried == 1 else "ies"),
                exchange,
            )
        if exchange.error and exchange.error.startswith("redirect to another origin"):
            self.finding("SRV-HTTP-005", exchange.error, exchange)
            return
        if exchange.status is None:
            tries = f" (after {exchange.retried} retries)" if exchange.retried else ""
            self.finding(
                "SRV-HTTP-001",
                f"{exchange.method} {exchange.url}: {exchange.error}{tries}",
                exchange,
            )
            self.unanswered += 1
            # refused connections, or several requests in a row without an answer: the
            # server is gone; going on would only pile up timeouts
            if (exchange.error and "cannot connect" in exchange.error) or (
                self.unanswered >= UNANSWERED_LIMIT
            ):
                raise RunAborted(f"the server stopped answering: {exchange.error} ({exchange.id})")
            return
        self.unanswered = 0
        if exchange.status in (401, 403):
            self.finding(
                "SRV-HTTP-002",
                f"{exchange.method} {exchange.url} was refused with HTTP {exchange.status}: "
                "the credentials are missing, invalid or lack the scope",
                exchange,
            )
            raise RunAborted(
                f"the server refused the credentials (HTTP {exchange.status}, {exchange.id})"
            )
        if exchange.truncated:
            self.finding(
                "SRV-HTTP-004",
                f"the response to {exchange.method} {exchange.url} is larger than the size "
                f"limit ({self.client.settings.max_bytes} bytes); only that much was read",
                exchange,
            )

    def declared_resources(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for rest in listed((self.capability or {}).get("rest")):
            if isinstance(rest, dict) and rest.get("mode", "server") == "server":
                for resource in listed(rest.get("resource")):
                    if isinstance(resource, dict) and isinstance(resource.get("type"), str):
                        out[resource["type"]] = resource
        return out

    def declared_params(self, rtype: str) -> set[str]:
        resource = self.declared_resources().get(rtype, {})
        return {
            str(p.get("name")) for p in listed(resource.get("searchParam")) if isinstance(p, dict)
        }


def outcome_text(data: Any) -> str:
    if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
        return ""
    texts = []
    for issue in listed(data.get("issue")):
        if isinstance(issue, dict):
            details = issue.get("details")
            text = issue.get("diagnostics") or (
                details.get("text") if isinstance(details, dict) else None
            )
            if isinstance(text, str):
                texts.append(text)
    return "; ".join(texts)


def without_meta(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "meta"}


def subject_is(resource: dict[str, Any], patient: str) -> bool:
    for key in ("subject", "patient"):
        value = resource.get(key)
        ref = value.get("reference") if isinstance(value, dict) else None
        if isinstance(ref, str) and (ref == patient or ref.endswith(f"Patient/{patient}")):
            return True
    return False


def search_value(param_type: str, value: Any) -> str | None:
    if param_type == "token":
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            for coding in listed(value.get("coding")) or [value]:
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    return str(coding["code"])
            if isinstance(value.get("value"), str):
                return str(value["value"])
        return None
    if param_type == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            for key in ("family", "text", "city", "line"):
                for part in listed(value.get(key)):
                    if isinstance(part, str):
                        return part
            for part in listed(value.get("given")):
                if isinstance(part, str):
                    return part
        return None
    if param_type == "date":
        # a dateTime is sent as it is (eq at its own precision); a Period as gt(start - 1 day)
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("start"), str):
            start = date_range(str(value["start"]))
            if start is not None:
                return "gt" + (start[0] - timedelta(days=1)).date().isoformat()
        return None
    if param_type == "reference" and isinstance(value, dict):
        ref = value.get("reference")
        return ref if isinstance(ref, str) else None
    return None
