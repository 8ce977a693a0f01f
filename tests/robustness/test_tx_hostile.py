"""Issue 14 items 4, 5, 7 and 10 (terminology server): a hostile or broken --tx server
cannot exhaust memory, hold the run, redirect credentials elsewhere, or leak them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import pcocheck.terminology.tx as tx_module
from pcocheck.terminology.tx import TxClient, split_credentials

PASSWORD = "s3cr3t-Pa55"
VALID = {"resourceType": "Parameters", "parameter": [{"name": "result", "valueBoolean": True}]}


class _State:
    def __init__(self) -> None:
        self.mode = "ok"
        self.target = ""
        self.auth: list[str | None] = []


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            state.auth.append(self.headers.get("Authorization"))
            mode = state.mode
            if mode in ("redirect", "redirect-once"):
                if mode == "redirect-once":
                    state.mode = "ok"
                self.send_response(302)
                self.send_header("Location", state.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if mode == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.end_headers()  # no length: streamed until the client gives up
                try:
                    for _ in range(10_000):
                        self.wfile.write(b" " * 65536)
                except OSError:
                    pass
                return
            if mode == "drip":
                self.send_response(200)
                self.end_headers()
                try:
                    for _ in range(100):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    pass
                return
            if mode == "deep":
                body = ("[" * 100_000 + "]" * 100_000).encode()
            elif mode == "echo":
                body = json.dumps(
                    {
                        "resourceType": "OperationOutcome",
                        "issue": [{"diagnostics": f"bad credentials {PASSWORD}"}],
                    }
                ).encode()
                self.send_response(400)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            else:
                body = json.dumps(VALID).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def servers() -> Iterator[tuple[_State, str, _State, str]]:
    started = []
    for _ in range(2):
        state = _State()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
        server.daemon_threads = True
        server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append((state, f"http://127.0.0.1:{server.server_address[1]}", server))
    yield started[0][0], started[0][1], started[1][0], started[1][1]
    for _, _, server in started:
        server.shutdown()
        server.server_close()


def _client(url: str, **options: Any) -> TxClient:
    return TxClient(url, retries=0, timeout=2.0, **options)


def test_credentials_in_the_url_are_sent_but_never_shown(
    servers: tuple[_State, str, _State, str], tmp_path: Path
) -> None:
    state, url, _, _ = servers
    with_password = url.replace("http://", f"http://alice:{PASSWORD}@")
    client = _client(with_password, cache_dir=tmp_path)
    assert PASSWORD not in client.base_url and "alice" not in client.base_url
    assert client.validate_code_system("http://loinc.org", "1-8").valid
    assert state.auth[-1] is not None and state.auth[-1].startswith("Basic ")
    state.mode = "echo"
    result = client.validate_code_system("http://loinc.org", "2-6")
    assert result.status == "error" and PASSWORD not in result.message and "***" in result.message
    for cached in tmp_path.iterdir():
        assert PASSWORD not in cached.read_text()


def test_separate_auth_option_sends_a_bearer_token(
    servers: tuple[_State, str, _State, str],
) -> None:
    state, url, _, _ = servers
    assert _client(url, auth="Bearer tok-123").validate_code_system("http://x", "a").valid
    assert state.auth[-1] == "Bearer tok-123"
    assert split_credentials("https://u:p%40ss@h:8443/fhir") == (
        "https://h:8443/fhir",
        ("u", "p@ss"),
    )


def test_redirect_to_another_origin_is_not_followed(
    servers: tuple[_State, str, _State, str],
) -> None:
    state, url, other_state, other_url = servers
    state.mode, state.target = "redirect", other_url
    client = _client(url.replace("http://", f"http://alice:{PASSWORD}@"))
    result = client.validate_code_system("http://loinc.org", "1-8")
    assert result.status == "error" and "another origin" in result.message
    assert other_state.auth == []  # the other host never saw a request, let alone credentials


def test_redirect_within_the_origin_is_followed(
    servers: tuple[_State, str, _State, str],
) -> None:
    state, url, _, _ = servers
    state.mode, state.target = "redirect-once", url
    assert _client(url, auth="bob:pw").validate_code_system("http://loinc.org", "1-8").valid
    assert len(state.auth) == 2 and state.auth[0] == state.auth[1] is not None


def test_huge_answer_is_refused(
    servers: tuple[_State, str, _State, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tx_module, "MAX_BODY_BYTES", 1_000_000)
    state, url, _, _ = servers
    state.mode = "huge"
    result = _client(url).validate_code_system("http://loinc.org", "1-8")
    assert result.status == "error" and "larger than" in result.message


def test_dripping_server_hits_the_overall_deadline(
    servers: tuple[_State, str, _State, str],
) -> None:
    state, url, _, _ = servers
    state.mode = "drip"
    client = _client(url, deadline=0.5)
    result = client.validate_code_system("http://loinc.org", "1-8")
    assert result.status == "error" and result.unreachable
    assert "0.5 s" in result.message


def test_deep_answer_and_deep_cache_entry_are_errors_not_crashes(
    servers: tuple[_State, str, _State, str], tmp_path: Path
) -> None:
    state, url, _, _ = servers
    state.mode = "deep"
    result = _client(url).validate_code_system("http://loinc.org", "1-8")
    assert result.status == "error"
    state.mode = "ok"
    client = _client(url, cache_dir=tmp_path)
    assert client.validate_code_system("http://loinc.org", "1-8").valid
    for entry in tmp_path.glob("*.json"):
        entry.write_text("[" * 100_000 + "]" * 100_000)
    fresh = _client(url, cache_dir=tmp_path)
    assert fresh.validate_code_system("http://loinc.org", "1-8").valid  # asked again


@pytest.mark.parametrize("output_format", ["json", "console"])
def test_reports_and_cache_never_show_the_password(
    servers: tuple[_State, str, _State, str], tmp_path: Path, output_format: str
) -> None:
    from typer.testing import CliRunner

    from pcocheck.cli import app
    from tests.conftest import FIXTURES

    state, url, _, _ = servers
    state.mode = "echo"  # every answer is an error quoting the password
    journey = str(FIXTURES / "journeys" / "gas-goal-journey.json")
    with_password = url.replace("http://", f"http://alice:{PASSWORD}@")
    result = CliRunner().invoke(
        app,
        [
            "validate",
            journey,
            "-f",
            output_format,
            "--tx",
            with_password,
            "--tx-cache",
            str(tmp_path),
        ],
    )
    assert "TX-SERVER-002" in result.output
    assert PASSWORD not in result.output and "alice" not in result.output
    state.mode = "ok"
    result = CliRunner().invoke(
        app,
        ["validate", journey, "-f", "json", "--tx", url, "--tx-cache", str(tmp_path)],
        env={"PCOCHECK_TX_AUTH": f"bob:{PASSWORD}"},
    )
    assert result.exit_code == 0 and PASSWORD not in result.output
    assert state.auth[-1] is not None and state.auth[-1].startswith("Basic ")
    assert list(tmp_path.iterdir())
    for cached in tmp_path.iterdir():
        assert PASSWORD not in cached.read_text() and "alice" not in cached.read_text()
