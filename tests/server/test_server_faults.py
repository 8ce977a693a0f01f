"""Failure modes of `pcocheck server` against a small HTTP server the test controls on
127.0.0.1: error statuses, 429/503 with Retry-After, timeouts, malformed JSON, HTML,
redirects to another origin, endless and off-origin next links, huge bodies, SMART."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pcocheck.cli import app
from pcocheck.config import RunConfig
from pcocheck.server.http import HttpClient, HttpSettings
from pcocheck.server.kit import ServerKit, ServerOptions
from tests.server.conftest import FaultHandler, FaultServer, free_port, read_report, searchset

RUNNER = CliRunner()
TOKEN = "fault-token-6d1a0c"


def client(base: str, **settings: Any) -> HttpClient:
    values: dict[str, Any] = {"timeout": 2.0, "retries": 0, "backoff": 0.01}
    values.update(settings)
    return HttpClient(base, HttpSettings(**values))


def kit_for(base: str, **settings: Any) -> ServerKit:
    return ServerKit(
        ServerOptions(base_url=base, max_pages=5), client(base, **settings), RunConfig(paths=())
    )


def codes(kit: ServerKit) -> set[str]:
    return {f.code for f in kit.findings}


def test_error_status_is_not_retried(fault: FaultServer) -> None:
    fault.routes["/fhir/Goal"] = lambda h: h.reply(500, {"resourceType": "OperationOutcome"})
    exchange = client(fault.base + "/fhir", retries=3).get("Goal?patient=1")
    assert exchange.status == 500
    assert fault.calls("/fhir/Goal") == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(fault: FaultServer, status: int) -> None:
    answers = iter([status, 200])

    def route(handler: FaultHandler) -> None:
        code = next(answers)
        handler.reply(code, {"resourceType": "Patient", "id": "p"}, headers={"Retry-After": "7"})

    fault.routes["/fhir/Patient/p"] = route
    http = client(fault.base + "/fhir", retries=2, max_retry_wait=0.05)
    waits: list[float] = []
    original = http._retry_wait

    def spy(exchange: Any, attempt: int) -> float:
        waits.append(original(exchange, attempt))
        return waits[-1]

    http._retry_wait = spy  # type: ignore[method-assign]
    exchange = http.get("Patient/p")
    assert exchange.status == 200 and exchange.retried == 1
    assert fault.calls("/fhir/Patient/p") == 2
    assert waits == [0.05]  # Retry-After: 7, capped by max_retry_wait


def test_retry_after_value_and_backoff(fault: FaultServer) -> None:
    http = client(fault.base, backoff=0.5, max_retry_wait=60)
    from pcocheck.server.http import Exchange

    with_header = Exchange("r", "GET", "u", {}, status=429, response_headers={"Retry-After": "7"})
    assert http._retry_wait(with_header, 0) == 7.0
    garbled = Exchange("r", "GET", "u", {}, status=503, response_headers={"Retry-After": "soon"})
    assert http._retry_wait(garbled, 0) == 0.5
    past = Exchange(
        "r",
        "GET",
        "u",
        {},
        status=503,
        response_headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    assert http._retry_wait(past, 0) == 0.0
    bare = Exchange("r", "GET", "u", {}, status=503)
    assert [http._retry_wait(bare, n) for n in range(3)] == [0.5, 1.0, 2.0]


def test_timeout_is_reported_not_passed(fault: FaultServer) -> None:
    def slow(handler: FaultHandler) -> None:
        time.sleep(1.0)
        handler.reply(200, {"resourceType": "Patient"})

    fault.routes["/fhir/Patient/slow"] = slow
    exchange = client(fault.base + "/fhir", timeout=0.2).get("Patient/slow")
    assert exchange.status is None
    assert "timeout" in (exchange.error or "") or "timed out" in (exchange.error or "")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"resourceType": "Bundle", ', "application/fhir+json", "not valid JSON"),
        (b"<html><body>Sign in</body></html>", "text/html", "HTML page"),
        (b"", "application/fhir+json", "empty"),
        (b'{"hello": 1}', "application/json", "no resourceType"),
    ],
)
def test_unusable_bodies(fault: FaultServer, body: bytes, content_type: str, expected: str) -> None:
    fault.routes["/fhir/Observation"] = lambda h: h.reply(200, body, content_type)
    kit = kit_for(fault.base + "/fhir")
    outcome = kit.search("Observation", {"patient": "1"})
    assert outcome.problems and expected in outcome.problems[0]
    assert "SRV-HTTP-003" in codes(kit)


def test_redirect_to_another_origin_is_refused_and_the_token_stays(
    fault: FaultServer, elsewhere: FaultServer
) -> None:
    elsewhere.routes["/steal"] = lambda h: h.reply(200, {"resourceType": "Patient"})
    fault.routes["/fhir/Patient/1"] = lambda h: h.reply(
        302, b"", "text/plain", {"Location": elsewhere.base + "/steal"}
    )
    fault.routes["/fhir/Patient/2"] = lambda h: h.reply(
        302, b"", "text/plain", {"Location": "/fhir/Patient/3"}
    )
    fault.routes["/fhir/Patient/3"] = lambda h: h.reply(200, {"resourceType": "Patient", "id": "3"})
    kit = kit_for(fault.base + "/fhir")
    from pcocheck.server.auth import BearerAuth

    kit.client.auth = BearerAuth(kit.client, TOKEN)
    refused = kit.get("Patient/1")
    assert refused.status == 302 and "another origin refused" in (refused.error or "")
    assert elsewhere.seen == []
    assert "SRV-HTTP-005" in codes(kit)
    followed = kit.get("Patient/2")  # same origin: followed, with the token
    assert followed.status == 200 and followed.json()["id"] == "3"
    assert fault.seen[-1][2].get("Authorization") == f"Bearer {TOKEN}"


def _looping(handler: FaultHandler, base: str) -> None:
    page = {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/1"}}
    links = [{"relation": "next", "url": base + "/fhir/Observation?page=2"}]
    handler.reply(200, searchset([page], links))


def test_endless_next_loop_is_detected(fault: FaultServer) -> None:
    fault.routes["/fhir/Observation"] = lambda h: _looping(h, fault.base)
    kit = kit_for(fault.base + "/fhir")
    outcome = kit.search("Observation", {"patient": "1"})
    assert "SRV-PAGE-001" in codes(kit)
    assert fault.calls("/fhir/Observation") == 2
    assert any("loops" in p for p in outcome.problems)


def test_endless_distinct_pages_stop_at_max_pages(fault: FaultServer) -> None:
    def pages(handler: FaultHandler) -> None:
        number = int(handler.path.split("page=")[1]) if "page=" in handler.path else 1
        links = [{"relation": "next", "url": f"{fault.base}/fhir/Observation?page={number + 1}"}]
        handler.reply(200, searchset([], links))

    fault.routes["/fhir/Observation"] = pages
    kit = kit_for(fault.base + "/fhir")
    kit.search("Observation", {"patient": "1"})
    assert fault.calls("/fhir/Observation") == 5  # --max-pages of the kit
    assert "SRV-PAGE-003" in codes(kit)


def test_off_origin_next_is_refused(fault: FaultServer, elsewhere: FaultServer) -> None:
    elsewhere.routes["/fhir/Observation"] = lambda h: h.reply(200, searchset([]))
    links = [{"relation": "next", "url": elsewhere.base + "/fhir/Observation?page=2"}]
    fault.routes["/fhir/Observation"] = lambda h: h.reply(200, searchset([], links))
    kit = kit_for(fault.base + "/fhir")
    outcome = kit.search("Observation", {"patient": "1"})
    assert elsewhere.seen == []
    assert "SRV-PAGE-002" in codes(kit)
    assert any("leaves the server's origin" in p for p in outcome.problems)


def test_total_must_match_the_pages(fault: FaultServer) -> None:
    body = searchset([{"resourceType": "Observation", "id": "o1"}])
    body["total"] = 3
    fault.routes["/fhir/Observation"] = lambda h: h.reply(200, body)
    kit = kit_for(fault.base + "/fhir")
    kit.search("Observation", {"patient": "1"})
    assert "SRV-PAGE-004" in codes(kit)


def test_huge_body_is_capped(fault: FaultServer) -> None:
    big = b'{"resourceType": "Bundle", "type": "searchset", "x": "' + b"a" * 3_000_000 + b'"}'
    fault.routes["/fhir/Observation"] = lambda h: h.reply(200, big)
    kit = kit_for(fault.base + "/fhir", max_bytes=100_000)
    outcome = kit.search("Observation", {"patient": "1"})
    exchange = outcome.exchanges[0]
    assert exchange.truncated and len(exchange.body) == 100_000
    assert "SRV-HTTP-004" in codes(kit)
    assert "size limit" in outcome.problems[0]


def test_returned_resources_must_match_the_search(fault: FaultServer) -> None:
    other = {
        "resourceType": "Observation",
        "id": "o2",
        "subject": {"reference": "Patient/someone-else"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "70274-6"}]},
    }
    fault.routes["/fhir/Observation"] = lambda h: h.reply(200, searchset([other]))
    kit = kit_for(fault.base + "/fhir")
    query = {"patient": "1", "code": "http://loinc.org|44261-6"}
    outcome = kit.search("Observation", query)
    kit._check_matches("Observation", query, outcome)
    messages = [f.message for f in kit.findings if f.code == "SRV-SEARCH-002"]
    assert any("patient=1" in m for m in messages)
    assert any("code=http://loinc.org|44261-6" in m for m in messages)


def test_unreachable_server_exits_3(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    port = free_port()
    result = RUNNER.invoke(
        app,
        [
            "server",
            f"http://127.0.0.1:{port}/fhir",
            "-f",
            "json",
            "-o",
            str(report),
            "--retries",
            "0",
        ],
    )
    assert result.exit_code == 3
    data = read_report(report)
    assert data["summary"]["incomplete"] is True and data["summary"]["passed"] is False
    assert "unreachable" in data["summary"]["incompleteReason"]
    assert [t["result"] for t in data["tests"] if t["id"] == "capabilities-metadata"] == ["error"]


def test_html_metadata_cannot_complete(fault: FaultServer, tmp_path: Path) -> None:
    fault.routes["/fhir/metadata"] = lambda h: h.reply(
        200, b"<html>proxy login</html>", "text/html"
    )
    report = tmp_path / "r.json"
    result = RUNNER.invoke(app, ["server", fault.base + "/fhir", "-f", "json", "-o", str(report)])
    assert result.exit_code == 3
    data = read_report(report)
    metadata = next(t for t in data["tests"] if t["id"] == "capabilities-metadata")
    assert metadata["result"] == "fail" and "HTML page" in metadata["reason"]


def test_refused_credentials_cannot_complete(fault: FaultServer, tmp_path: Path) -> None:
    fault.routes["/fhir/metadata"] = lambda h: h.reply(401, {"resourceType": "OperationOutcome"})
    report = tmp_path / "r.json"
    result = RUNNER.invoke(
        app,
        [
            "server",
            fault.base + "/fhir",
            "-f",
            "json",
            "-o",
            str(report),
            "--evidence",
            str(tmp_path / "ev"),
        ],
        env={"PCOCHECK_TOKEN": TOKEN},
    )
    assert result.exit_code == 3
    assert fault.seen[0][2]["Authorization"] == f"Bearer {TOKEN}"
    for path in (tmp_path / "ev").iterdir():
        assert TOKEN not in path.read_text()
    assert TOKEN not in result.output


def test_headers_user_agent_and_accept(fault: FaultServer) -> None:
    fault.routes["/fhir/metadata"] = lambda h: h.reply(200, {"resourceType": "CapabilityStatement"})
    http = client(fault.base + "/fhir", headers={"X-Tenant": "t1"})
    http.get("metadata")
    headers = fault.seen[0][2]
    assert headers["Accept"] == "application/fhir+json"
    assert headers["User-Agent"].startswith("pcocheck")
    assert headers["X-Tenant"] == "t1"


def test_post_search_is_a_form(fault: FaultServer) -> None:
    fault.routes["/fhir/Goal/_search"] = lambda h: h.reply(200, searchset([]))
    kit = kit_for(fault.base + "/fhir")
    kit.search("Goal", {"patient": "Patient/1"}, method="POST")
    method, path, headers, body = fault.seen[0]
    assert (method, path) == ("POST", "/fhir/Goal/_search")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert body == b"patient=Patient%2F1"


# -- SMART Backend Services ------------------------------------------------------------


def _keys(kind: str) -> tuple[bytes, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key: Any = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "RS384"
        else ec.generate_private_key(ec.SECP384R1())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, key.public_key()


@pytest.mark.parametrize("algorithm", ["RS384", "ES384"])
def test_smart_backend_services(fault: FaultServer, tmp_path: Path, algorithm: str) -> None:
    import jwt

    pem, public = _keys(algorithm)
    key_file = tmp_path / "client.pem"
    key_file.write_bytes(pem)
    access = f"smart-access-{algorithm}-91c"
    token_url = fault.base + "/auth/token"
    claims: list[dict[str, Any]] = []

    def token(handler: FaultHandler) -> None:
        form = dict(p.split("=", 1) for p in handler.body.decode().split("&"))
        assertion = form["client_assertion"]
        claims.append(jwt.decode(assertion, public, algorithms=[algorithm], audience=token_url))
        assert form["grant_type"] == "client_credentials"
        handler.reply(
            200,
            {"access_token": access, "token_type": "bearer", "expires_in": 300},
            "application/json",
        )

    def metadata(handler: FaultHandler) -> None:
        if handler.headers.get("Authorization") != f"Bearer {access}":
            handler.reply(401, {"resourceType": "OperationOutcome"})
            return
        handler.reply(200, b"<html>not FHIR</html>", "text/html")

    fault.routes["/fhir/.well-known/smart-configuration"] = lambda h: h.reply(
        200, {"token_endpoint": token_url}, "application/json"
    )
    fault.routes["/auth/token"] = token
    fault.routes["/fhir/metadata"] = metadata
    evidence = tmp_path / "ev"
    result = RUNNER.invoke(
        app,
        [
            "server",
            fault.base + "/fhir",
            "--smart-client-id",
            "pcocheck-client",
            "--smart-key",
            str(key_file),
            "-f",
            "json",
            "--evidence",
            str(evidence),
        ],
    )
    assert claims, result.output
    assert claims[0]["iss"] == claims[0]["sub"] == "pcocheck-client"
    # the token reached the FHIR endpoint (metadata answered HTML, hence incomplete)
    assert result.exit_code == 3
    assert fault.seen[-1][2]["Authorization"] == f"Bearer {access}"
    har = (evidence / "requests.har").read_text()
    entries = json.loads(har)["log"]["entries"]
    assert any(e["request"]["url"] == token_url for e in entries)
    assert access not in har and access not in result.output
    assert "client_assertion=" in har
    for entry in entries:
        body = entry["request"].get("postData", {}).get("text", "")
        if "client_assertion=" in body:
            assert "client_assertion=%5Bredacted%5D" in body or "[redacted]" in body


def test_smart_token_refused_cannot_complete(fault: FaultServer, tmp_path: Path) -> None:
    pem, _ = _keys("RS384")
    key_file = tmp_path / "client.pem"
    key_file.write_bytes(pem)
    fault.routes["/auth/token"] = lambda h: h.reply(
        401, {"error": "invalid_client"}, "application/json"
    )
    result = RUNNER.invoke(
        app,
        [
            "server",
            fault.base + "/fhir",
            "--smart-client-id",
            "c",
            "--smart-key",
            str(key_file),
            "--smart-token-url",
            fault.base + "/auth/token",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 3
    assert "SRV-AUTH-001" in result.output


def test_a_resource_fetched_twice_is_validated_once(fault: FaultServer) -> None:
    from pcocheck.runner import build_checkers

    broken = {"resourceType": "Observation", "id": "o1", "code": {"text": "x"}}  # no status
    fault.routes["/fhir/Observation"] = lambda h: h.reply(200, searchset([broken]))
    kit = kit_for(fault.base + "/fhir")
    kit.search("Observation", {"patient": "1"})
    kit.search("Observation", {"patient": "Patient/1"})
    result = kit.validate(build_checkers(RunConfig(paths=())))
    assert result.resources == 1
    on_o1 = [f for f in result.findings if f.resource == "Observation/o1"]
    assert on_o1 and len({(f.code, f.message) for f in on_o1}) == len(on_o1)
    assert all(f.file and f.file.startswith(fault.base + "/fhir/Observation?") for f in on_o1)
    assert {t.id: t.result for t in kit.tests}["validation-observation"] == "fail"


def test_insecure_is_flagged(fault: FaultServer, tmp_path: Path) -> None:
    fault.routes["/fhir/metadata"] = lambda h: h.reply(500, {"resourceType": "OperationOutcome"})
    report = tmp_path / "r.json"
    RUNNER.invoke(
        app, ["server", fault.base + "/fhir", "--insecure", "-f", "json", "-o", str(report)]
    )
    data = read_report(report)
    assert data["server"]["tlsVerification"] is False
    assert "SRV-HTTP-006" in {i["code"] for i in data["issues"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ca-bundle", "/nonexistent/ca.pem"], "--ca-bundle"),
        (["--header", "no-colon"], "--header"),
        (["--smart-client-id", "c"], "--smart-key"),
        (["--format", "xml"], "--format"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = RUNNER.invoke(app, ["server", "http://127.0.0.1:9/fhir", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_max_rps_spaces_requests(fault: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
    fault.routes["/fhir/metadata"] = lambda h: h.reply(200, {"resourceType": "CapabilityStatement"})
    from pcocheck.server import http as http_module

    waits: list[float] = []
    monkeypatch.setattr(http_module.time, "sleep", waits.append)
    http = client(fault.base + "/fhir", max_rps=2.0)
    for _ in range(3):
        http.get("metadata")
    assert len(waits) == 2 and all(0 < w <= 0.5 for w in waits)


def test_progress_is_silent_off_a_terminal() -> None:
    import io

    from pcocheck.server.kit import Progress
    from pcocheck.server.progress import progress_for

    with progress_for(io.StringIO()) as progress:
        assert type(progress) is Progress


def test_a_token_echoed_by_the_server_is_redacted_from_the_report(
    fault: FaultServer, tmp_path: Path
) -> None:
    statement = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "format": ["json"]}
    fault.routes["/fhir/metadata"] = lambda h: h.reply(200, statement)

    def echo(handler: FaultHandler) -> None:
        said = f"rejected {handler.headers.get('Authorization')}"
        outcome = {"resourceType": "OperationOutcome", "issue": [{"diagnostics": said}]}
        handler.reply(500, outcome)

    fault.routes["*"] = echo
    report = tmp_path / "r.json"
    result = RUNNER.invoke(
        app,
        ["server", fault.base + "/fhir", "--patient", "p1", "-f", "json", "-o", str(report)],
        env={"PCOCHECK_TOKEN": TOKEN},
    )
    text = report.read_text()
    assert "rejected Bearer [redacted]" in text  # the server's words are kept...
    assert TOKEN not in text and TOKEN not in result.output  # ...without the token
    console = RUNNER.invoke(
        app, ["server", fault.base + "/fhir", "--patient", "p1"], env={"PCOCHECK_TOKEN": TOKEN}
    )
    assert "rejected Bearer" in console.output and TOKEN not in console.output


def test_a_server_that_requires_status_gets_it(fault: FaultServer) -> None:
    goal = {
        "resourceType": "Goal",
        "id": "g1",
        "lifecycleStatus": "active",
        "subject": {"reference": "Patient/p1"},
    }

    def goals(handler: FaultHandler) -> None:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(handler.path).query) or parse_qs(handler.body.decode())
        status = query.get("lifecycle-status")
        if not status:
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"diagnostics": "status required"}],
            }
            handler.reply(400, outcome)
            return
        handler.reply(200, searchset([goal] if "active" in status[0].split(",") else []))

    fault.routes["/fhir/Goal"] = goals
    fault.routes["/fhir/Goal/_search"] = goals
    kit = kit_for(fault.base + "/fhir")
    kit.patients = ["p1"]
    kit._first_search("Goal", ("patient",), [{}])
    test = kit.tests[-1]
    assert test.result == "pass", test.reason
    assert "SRV-HTTP-002" not in codes(kit)
    assert any("lifecycle-status=active" in path for _, path, _, _ in fault.seen)
    assert any(b"lifecycle-status=active" in body for _, _, _, body in fault.seen)


def test_a_400_without_operation_outcome_fails(fault: FaultServer) -> None:
    fault.routes["/fhir/Goal"] = lambda h: h.reply(400, b"bad request", "text/plain")
    kit = kit_for(fault.base + "/fhir")
    kit.patients = ["p1"]
    kit._first_search("Goal", ("patient",), [{}])
    assert kit.tests[-1].result == "fail" and "HTTP 400" in (kit.tests[-1].reason or "")
    assert "SRV-HTTP-002" in codes(kit)


def test_help_never_shows_the_token() -> None:
    result = RUNNER.invoke(app, ["server", "--help"], env={"PCOCHECK_TOKEN": TOKEN})
    assert result.exit_code == 0 and "PCOCHECK_TOKEN" in result.output
    assert TOKEN not in result.output


def test_references_resolve_with_the_right_type(fault: FaultServer) -> None:
    from pcocheck.server.http import Exchange

    fault.routes["/fhir/Goal/g1"] = lambda h: h.reply(200, {"resourceType": "Goal", "id": "g1"})
    fault.routes["/fhir/Goal/g2"] = lambda h: h.reply(200, {"resourceType": "Patient", "id": "g2"})
    kit = kit_for(fault.base + "/fhir")
    origin = Exchange("req-0000", "GET", fault.base + "/fhir/Observation?patient=1", {})
    kit.remember(
        {
            "resourceType": "Observation",
            "id": "o.1",
            "focus": [
                {"reference": "Goal/g1/_history/3"},
                {"reference": "Goal/missing"},
                {"reference": "Goal/g2"},
            ],
        },
        origin,
        "match",
    )
    kit.remember(
        {"resourceType": "CarePlan", "id": "c1", "goal": [{"reference": "Observation/o.1"}]},
        origin,
        "match",
    )
    kit.references()
    tests = {t.id: t for t in kit.tests}
    focus = tests["references-observation-focus"]
    assert focus.result == "fail"
    assert "Goal/missing did not resolve (HTTP 404)" in (focus.reason or "")
    assert "Goal/g2 resolved to a Patient" in (focus.reason or "")
    assert "Goal/g1" not in (focus.reason or "")  # the versioned reference resolved
    goal = tests["references-careplan-goal"]
    assert goal.result == "fail" and "points at a Observation" in (goal.reason or "")
    assert "(req-0000)" in (goal.reason or "")
    assert tests["references-list-entry-item"].result == "skip"


def test_a_server_that_stops_answering_ends_the_run_incomplete(
    fault: FaultServer, tmp_path: Path
) -> None:
    statement = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "format": ["json"]}
    fault.routes["/fhir/metadata"] = lambda h: h.reply(200, statement)

    def silent(handler: FaultHandler) -> None:
        time.sleep(0.6)
        handler.reply(200, searchset([]))

    fault.routes["*"] = silent
    report = tmp_path / "r.json"
    args = ["server", fault.base + "/fhir", "--patient", "p1", "--timeout", "0.1"]
    result = RUNNER.invoke(app, [*args, "--retries", "0", "-f", "json", "-o", str(report)])
    assert result.exit_code == 3
    data = read_report(report)
    assert "stopped answering" in data["summary"]["incompleteReason"]
    assert data["server"]["requests"] == 6  # metadata, then five unanswered requests


def _self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_tls_is_verified_and_a_ca_bundle_is_honoured(fault: FaultServer, tmp_path: Path) -> None:
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    fault.httpd.socket = context.wrap_socket(fault.httpd.socket, server_side=True)
    fault.routes["/fhir/metadata"] = lambda h: h.reply(200, b"<html/>", "text/html")
    base = f"https://127.0.0.1:{fault.httpd.server_address[1]}/fhir"

    def run(*extra: str) -> dict[str, Any]:
        report = tmp_path / "r.json"
        report.unlink(missing_ok=True)
        args = ["server", base, "--retries", "0", "-f", "json", "-o", str(report), *extra]
        assert RUNNER.invoke(app, args).exit_code == 3  # metadata is an HTML page
        return read_report(report)

    untrusted = run()
    assert "TLS error" in untrusted["summary"]["incompleteReason"]
    trusted = run("--ca-bundle", str(cert_file))
    tests = {t["id"]: t for t in trusted["tests"]}
    assert tests["capabilities-tls"]["result"] == "pass"
    assert "HTML page" in tests["capabilities-metadata"]["reason"]  # the server was reached
    insecure = run("--insecure")
    tests = {t["id"]: t for t in insecure["tests"]}
    assert tests["capabilities-tls"]["result"] == "fail"
    assert "SRV-HTTP-006" in {i["code"] for i in insecure["issues"]}


def test_equivalent_search_forms_must_agree(fault: FaultServer) -> None:
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
    }

    def only_plain_ids(handler: FaultHandler) -> None:
        plain = "patient=p1" in handler.path or handler.body == b"patient=p1&category=survey"
        handler.reply(200, searchset([observation] if plain else []))

    fault.routes["/fhir/Observation"] = only_plain_ids
    fault.routes["/fhir/Observation/_search"] = only_plain_ids
    kit = kit_for(fault.base + "/fhir")
    kit.patients = ["p1"]
    survey = {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "survey",
    }
    kit._first_search("Observation", ("patient", "category"), [{"category": survey}])
    test = kit.tests[-1]
    assert test.result == "fail"
    assert "with patient=Patient/ID returned 0 resources, the plain search 1" in (test.reason or "")
    assert "SRV-SEARCH-003" in codes(kit)
    assert "POST _search" not in (test.reason or "")  # the POST form agreed
