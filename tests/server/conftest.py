"""Fixtures for `pcocheck server`: a real FHIR server (sekmet-fhir, a test extra) started
as a subprocess on 127.0.0.1, and a small HTTP server the fault tests control.
Nothing here reaches beyond the loopback interface."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES

JOURNEYS = ("gas-goal-journey.json", "prom-journey.json")
GAS_PATIENT = "gasJourneyPatient"
PROM_PATIENT = "6f1c2a9e-3b7d-4c1e-9a52-0d8e4b7f1a01"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def journeys_transaction() -> dict[str, Any]:
    """The project's PCO journeys as one transaction Bundle of PUTs (ids kept)."""
    entries = []
    for name in JOURNEYS:
        bundle = json.loads((FIXTURES / "journeys" / name).read_text(encoding="utf-8"))
        for entry in bundle["entry"]:
            resource = entry["resource"]
            item: dict[str, Any] = {
                "resource": resource,
                "request": {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"},
            }
            if str(entry.get("fullUrl", "")).startswith("urn:"):
                item["fullUrl"] = entry["fullUrl"]  # urn:uuid references resolve through it
            entries.append(item)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _post_json(url: str, document: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode("utf-8"),
        headers={"Content-Type": "application/fhir+json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def _run_sekmet(folder: Path, command: list[str], port: int) -> Iterator[str]:
    """Start sekmet-fhir on 127.0.0.1:port with a temporary settings file and database,
    wait for /metadata, load the journeys, yield the base URL, stop it by its PID."""
    base = f"http://127.0.0.1:{port}/fhir"
    settings = folder / "settings.yaml"
    settings.write_text(
        "\n".join(
            [
                "host: 127.0.0.1",
                f"port: {port}",
                f"base_url: {base}",
                f"data_dir: {folder / 'data'}",
                f"db_path: {folder / 'sekmet.db'}",
                f"own_private_key_path: {folder / 'keys' / 'sekmet.pem'}",
                "log_inbound: false",
                "validation:",
                '  inbound: "off"',
                "simulator:",
                "  enabled: false",
                "",
            ]
        ),
        encoding="utf-8",
    )
    log = (folder / "server.log").open("wb")
    env = {**os.environ, "SEKMET_CONFIG": str(settings)}
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/metadata", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (folder / "server.log").read_text(errors="replace")
                pytest.fail(f"sekmet-fhir did not start: {text[-2000:]}")
            time.sleep(0.2)
        assert _post_json(base, journeys_transaction()) == 200
        yield base
    finally:
        process.terminate()  # stopped by its PID
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """sekmet-fhir 0.1.1 as shipped, with the PCO journeys loaded; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "sekmet.main:app_factory", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    yield from _run_sekmet(tmp_path_factory.mktemp("sekmet"), command, port)


@pytest.fixture(scope="session")
def conformant_sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same server with the R4 Goal / QuestionnaireResponse / List search parameters
    registered (tests/server/conformant_sekmet.py): a server that supports the searches."""
    port = free_port()
    launcher = Path(__file__).resolve().parent / "conformant_sekmet.py"
    command = [sys.executable, str(launcher), str(port)]
    yield from _run_sekmet(tmp_path_factory.mktemp("sekmet-conformant"), command, port)


# -- the fault server --------------------------------------------------------------------

Route = Callable[["FaultHandler"], None]


@dataclass
class FaultServer:
    """An HTTP server on 127.0.0.1 whose answers each test sets per path."""

    httpd: ThreadingHTTPServer
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def calls(self, path: str) -> int:
        return sum(1 for _, p, _, _ in self.seen if p.split("?")[0] == path)


class FaultHandler(BaseHTTPRequestHandler):
    server_state: FaultServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _handle(self) -> None:
        state: FaultServer = self.server.state  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.body = body
        state.seen.append((self.command, self.path, dict(self.headers.items()), body))
        route = state.routes.get(self.path.split("?")[0]) or state.routes.get("*")
        if route is None:
            self.reply(404, {"resourceType": "OperationOutcome", "issue": []})
            return
        route(self)

    do_GET = _handle
    do_POST = _handle

    def reply(
        self,
        status: int,
        body: Any,
        content_type: str = "application/fhir+json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)


def _start() -> FaultServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FaultHandler)
    httpd.daemon_threads = True
    state = FaultServer(httpd)
    httpd.state = state  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    state = _start()
    try:
        yield state
    finally:
        state.httpd.shutdown()
        state.httpd.server_close()


@pytest.fixture
def elsewhere() -> Iterator[FaultServer]:
    """A second origin: it must never receive a request carrying the credentials."""
    state = _start()
    try:
        yield state
    finally:
        state.httpd.shutdown()
        state.httpd.server_close()


def searchset(entries: list[dict[str, Any]], links: list[dict[str, str]] | None = None) -> Any:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links or [],
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in entries],
    }


def read_report(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))
