"""--tx end to end: the CLI consults the local stub for codes it cannot check offline,
and a server that is down gives a warning per code, never a crash or a silent pass."""

from __future__ import annotations

import json
import socket

from typer.testing import CliRunner

from pcocheck.cli import app
from tests.conftest import FIXTURES
from tests.terminology.conftest import Stub

RUNNER = CliRunner()
JOURNEY = str(FIXTURES / "journeys" / "gas-goal-journey.json")
SNOMED = "http://snomed.info/sct"


def _issues(output: str) -> list[dict[str, object]]:
    issues: list[dict[str, object]] = json.loads(output)["issues"]
    return issues


def test_offline_run_says_what_it_could_not_check() -> None:
    result = RUNNER.invoke(app, ["validate", JOURNEY, "-f", "json"])
    codes = {i["code"] for i in _issues(result.output)}
    assert "FHIR-BIND-006" in codes  # SNOMED CT code of the ServiceRequest: not checked offline
    assert result.exit_code == 0


def test_tx_server_answers_what_offline_could_not(tx_stub: Stub, tmp_path: object) -> None:
    tx_stub.state.valid_cs.add((SNOMED, "229065009"))
    result = RUNNER.invoke(app, ["validate", JOURNEY, "-f", "json", "--tx", tx_stub.url])
    codes = [i["code"] for i in _issues(result.output)]
    assert "FHIR-BIND-006" not in codes
    assert any("CodeSystem/$validate-code" in hit for hit in tx_stub.state.hits)
    assert result.exit_code == 0


def test_tx_server_down_is_a_warning_not_a_crash() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket closes
    result = RUNNER.invoke(
        app, ["validate", JOURNEY, "-f", "json", "--tx", f"http://127.0.0.1:{port}/fhir"]
    )
    issues = _issues(result.output)
    assert any(i["code"] == "TX-SERVER-001" and i["severity"] == "warning" for i in issues)
    assert "Traceback" not in result.output
    assert result.exit_code == 0
