"""Fixtures for the terminology tests: definitions from fixtures/terminology, a fake
registry, and a small terminology server stub on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from pcocheck.terminology import TerminologyService

ROOT = Path(__file__).resolve().parents[2]
TERM_FIXTURES = ROOT / "fixtures" / "terminology"
DEFINITIONS = TERM_FIXTURES / "definitions"
CASES = TERM_FIXTURES / "cases"
PROFILES = ROOT / "profiles"


class FakeRegistry:
    """Dictionary lookups by canonical URL, counting calls (for cache tests)."""

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.value_sets: dict[str, dict[str, Any]] = {}
        self.code_systems: dict[str, dict[str, Any]] = {}
        self.calls = 0
        for resource in resources:
            kind = resource.get("resourceType")
            url = resource.get("url")
            if not isinstance(url, str):
                continue
            if kind == "ValueSet":
                self.value_sets.setdefault(url, resource)
            elif kind == "CodeSystem":
                self.code_systems.setdefault(url, resource)

    def value_set(self, url: str) -> dict[str, Any] | None:
        self.calls += 1
        return self.value_sets.get(url)

    def code_system(self, url: str) -> dict[str, Any] | None:
        self.calls += 1
        return self.code_systems.get(url)


def load_folder(folder: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            found.extend(
                e["resource"]
                for e in data.get("entry") or []
                if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            )
        elif isinstance(data, dict):
            found.append(data)
    return found


def load_cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((CASES / name).read_text(encoding="utf-8"))
    return cases


@pytest.fixture(scope="session")
def definitions() -> list[dict[str, Any]]:
    return load_folder(DEFINITIONS)


@pytest.fixture
def registry(definitions: list[dict[str, Any]]) -> FakeRegistry:
    return FakeRegistry(definitions)


@pytest.fixture
def service(registry: FakeRegistry) -> TerminologyService:
    return TerminologyService(registry)


# --------------------------------------------------------------------------- tx stub


@dataclass
class StubState:
    """What the stub knows and how it behaves; tests change it while it runs."""

    valid_vs: set[tuple[str, str, str]] = field(default_factory=set)  # (vs, system, code)
    valid_cs: set[tuple[str, str]] = field(default_factory=set)  # (system, code)
    known_vs: set[str] = field(default_factory=set)
    displays: dict[tuple[str, str], str] = field(default_factory=dict)
    mode: str = "ok"  # ok | slow | error500 | flaky | notfound | garbage | wrongtype
    delay: float = 1.0
    failures_left: int = 0
    hits: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: StubState

    def log_message(self, format: str, *args: Any) -> None:  # silence the stub
        return

    def _send(self, status: int, body: Mapping[str, Any] | str) -> None:
        data = body if isinstance(body, str) else json.dumps(body)
        raw = data.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        state = self.state
        parsed = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        state.hits.append(self.path)
        if state.mode == "slow":
            time.sleep(state.delay)
        if state.mode == "error500" or (state.mode == "flaky" and state.failures_left > 0):
            state.failures_left -= 1
            self._send(500, _outcome("internal error in stub"))
            return
        if state.mode == "garbage":
            self._send(200, "<html>not json</html>")
            return
        if state.mode == "wrongtype":
            self._send(200, {"resourceType": "Bundle", "type": "searchset"})
            return
        system, code = query.get("system", query.get("url", "")), query.get("code", "")
        if parsed.path.endswith("/ValueSet/$validate-code"):
            url = query.get("url", "")
            if url not in state.known_vs:
                self._send(404, _outcome(f"ValueSet {url} not found"))
                return
            ok = (url, query.get("system", ""), code) in state.valid_vs
        elif parsed.path.endswith("/CodeSystem/$validate-code"):
            ok = (system, code) in state.valid_cs
        else:
            self._send(404, _outcome("unknown operation"))
            return
        params: list[dict[str, Any]] = [{"name": "result", "valueBoolean": ok}]
        display = state.displays.get((query.get("system", system), code))
        given = query.get("display")
        if not ok:
            params.append({"name": "message", "valueString": f"Unknown code {code}"})
        elif display and given and given != display:
            params.append(
                {"name": "message", "valueString": f"Wrong display '{given}'; expected '{display}'"}
            )
        if display:
            params.append({"name": "display", "valueString": display})
        self._send(200, {"resourceType": "Parameters", "parameter": params})


def _outcome(text: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "details": {"text": text}}],
    }


@dataclass
class Stub:
    url: str
    state: StubState


@pytest.fixture
def tx_stub() -> Iterator[Stub]:
    state = StubState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Stub(f"http://127.0.0.1:{server.server_address[1]}/fhir", state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
