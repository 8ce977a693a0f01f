"""The optional terminology server, against a local stub on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from pcocheck.terminology import TerminologyService, TxClient

from .conftest import FakeRegistry, Stub

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
SURVEY = "http://hl7.org/fhir/us/core/ValueSet/us-core-survey-codes"  # LOINC filters
GOAL = "http://hl7.org/fhir/us/core/ValueSet/us-core-goal-description"  # all SNOMED + LOINC
MISSING = "http://example.org/fhir/ValueSet/only-on-server"


def client(url: str, **kwargs: object) -> TxClient:
    options: dict[str, object] = {"timeout": 0.5, "retries": 1, "backoff": 0.01}
    options.update(kwargs)
    return TxClient(url, **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_server_decides_what_offline_cannot(registry: FakeRegistry, tx_stub: Stub) -> None:
    tx_stub.state.known_vs = {SURVEY, MISSING}
    tx_stub.state.valid_vs = {(SURVEY, LOINC, "44261-6"), (MISSING, SCT, "22253000")}
    service = TerminologyService(registry, tx=client(tx_stub.url))
    ok = service.check_binding(value_set=SURVEY, strength="required", system=LOINC, code="44261-6")
    assert ok == []
    bad = service.check_binding(value_set=SURVEY, strength="required", system=LOINC, code="8302-2")
    assert [i.code for i in bad] == ["FHIR-BIND-001"]
    assert "according to terminology server" in bad[0].message
    assert "Unknown code 8302-2" in bad[0].message
    ext = service.check_binding(
        value_set=SURVEY, strength="extensible", system=LOINC, code="8302-2"
    )
    assert [i.code for i in ext] == ["FHIR-BIND-002"]
    # a value set pcocheck does not have at all
    assert (
        service.check_binding(value_set=MISSING, strength="required", system=SCT, code="22253000")
        == []
    )


def test_offline_answers_never_reach_the_server(registry: FakeRegistry, tx_stub: Stub) -> None:
    service = TerminologyService(registry, tx=client(tx_stub.url))
    service.check_binding(
        value_set="http://loinc.org/vs/LL6900-6",
        strength="required",
        system=LOINC,
        code="LA34479-8",
    )
    service.check_binding(
        value_set="http://hl7.org/fhir/us/pco/ValueSet/pco-categories",
        strength="required",
        system=SCT,
        code="22253000",
    )
    service.check_code_syntax(LOINC, "44261-6", None)
    service.check_code_syntax(LOINC, "44261-7", None)
    assert tx_stub.state.hits == []


def test_code_system_validation_for_unbound_codes(registry: FakeRegistry, tx_stub: Stub) -> None:
    tx_stub.state.valid_cs = {(SCT, "404684003")}
    tx_stub.state.displays = {(SCT, "404684003"): "Clinical finding"}
    service = TerminologyService(registry, tx=client(tx_stub.url))
    assert service.check_code_syntax(SCT, "404684003", "Clinical finding") == []
    wrong = service.check_code_syntax(SCT, "404684003", "Finding of something")
    assert [(i.code, i.field) for i in wrong] == [("FHIR-BIND-015", "display")]
    unknown = service.check_code_syntax(SCT, "900000000000003", None)
    assert [i.code for i in unknown] == ["FHIR-BIND-008"]
    assert all("/CodeSystem/$validate-code" in hit for hit in tx_stub.state.hits)


def test_server_down_warns_per_code_and_stops_trying(registry: FakeRegistry) -> None:
    url = f"http://127.0.0.1:{free_port()}/fhir"
    tx = client(url, max_failures=2)
    service = TerminologyService(registry, tx=tx)
    found = []
    for code in ("8302-2", "8310-5", "29463-7", "39156-5"):
        issues = service.check_binding(
            value_set=SURVEY, strength="required", system=LOINC, code=code
        )
        found.append([i.code for i in issues])
        assert code in issues[0].message
    assert found == [["TX-SERVER-001"]] * 4
    assert tx.down
    assert tx.requests_sent == 4  # two codes x (1 try + 1 retry), then not contacted again


def test_slow_server_times_out(registry: FakeRegistry, tx_stub: Stub) -> None:
    tx_stub.state.mode = "slow"
    tx_stub.state.delay = 1.0
    tx_stub.state.known_vs = {SURVEY}
    service = TerminologyService(registry, tx=client(tx_stub.url, timeout=0.2, retries=0))
    started = time.monotonic()
    issues = service.check_binding(
        value_set=SURVEY, strength="required", system=LOINC, code="44261-6"
    )
    assert time.monotonic() - started < 0.9
    assert [i.code for i in issues] == ["TX-SERVER-001"]
    assert "did not answer within 0.2 s" in issues[0].message


def test_server_errors_are_reported_not_passed(registry: FakeRegistry, tx_stub: Stub) -> None:
    sleeps: list[float] = []
    tx = client(tx_stub.url, retries=2, backoff=0.25, sleep=sleeps.append)
    service = TerminologyService(registry, tx=tx)
    tx_stub.state.mode = "error500"
    issues = service.check_binding(
        value_set=SURVEY, strength="required", system=LOINC, code="44261-6"
    )
    assert [i.code for i in issues] == ["TX-SERVER-002"]
    assert "HTTP 500" in issues[0].message and "internal error in stub" in issues[0].message
    assert len(tx_stub.state.hits) == 3  # one try and two retries
    assert sleeps == [0.25, 0.5]  # exponential backoff
    assert not tx.down  # the server answers: it is not "unreachable"


def test_transient_error_then_success(registry: FakeRegistry, tx_stub: Stub) -> None:
    tx_stub.state.mode = "flaky"
    tx_stub.state.failures_left = 1
    tx_stub.state.known_vs = {SURVEY}
    tx_stub.state.valid_vs = {(SURVEY, LOINC, "44261-6")}
    service = TerminologyService(registry, tx=client(tx_stub.url, retries=2))
    assert (
        service.check_binding(value_set=SURVEY, strength="required", system=LOINC, code="44261-6")
        == []
    )
    assert len(tx_stub.state.hits) == 2


def test_unknown_value_set_on_server(registry: FakeRegistry, tx_stub: Stub) -> None:
    service = TerminologyService(registry, tx=client(tx_stub.url))
    issues = service.check_binding(
        value_set=MISSING, strength="extensible", system=LOINC, code="44261-6"
    )
    assert [i.code for i in issues] == ["TX-SERVER-002"]
    assert f"ValueSet {MISSING} not found" in issues[0].message


def test_unusable_answers(registry: FakeRegistry, tx_stub: Stub) -> None:
    for mode, words in (("garbage", "not JSON"), ("wrongtype", "Bundle")):
        tx_stub.state.mode = mode
        service = TerminologyService(registry, tx=client(tx_stub.url))
        issues = service.check_binding(
            value_set=SURVEY, strength="required", system=LOINC, code="44261-6"
        )
        assert [i.code for i in issues] == ["TX-SERVER-002"], mode
        assert words in issues[0].message


def test_codeable_concept_uses_server_for_undecided_codings(
    registry: FakeRegistry, tx_stub: Stub
) -> None:
    tx_stub.state.known_vs = {GOAL}
    tx_stub.state.valid_vs = {(GOAL, SCT, "404684003")}
    service = TerminologyService(registry, tx=client(tx_stub.url))
    issues = service.check_codeable_concept(
        value_set=GOAL,
        strength="extensible",
        codings=[("http://example.org/local", "x", None), (SCT, "404684003", None)],
        text=None,
    )
    assert issues == []


def test_disk_cache_survives_runs(registry: FakeRegistry, tx_stub: Stub, tmp_path: Path) -> None:
    tx_stub.state.known_vs = {SURVEY}
    tx_stub.state.valid_vs = {(SURVEY, LOINC, "44261-6")}
    cache = tmp_path / "tx-cache"
    for _ in range(2):
        service = TerminologyService(registry, tx=client(tx_stub.url, cache_dir=cache))
        for code in ("44261-6", "8302-2"):
            service.check_binding(value_set=SURVEY, strength="required", system=LOINC, code=code)
    assert len(tx_stub.state.hits) == 2  # the second run answered from disk
    assert len(list(cache.glob("*.json"))) == 2
    # a corrupt cache entry is ignored, not fatal
    for path in cache.glob("*.json"):
        path.write_text("{not json", encoding="utf-8")
    service = TerminologyService(registry, tx=client(tx_stub.url, cache_dir=cache))
    assert (
        service.check_binding(value_set=SURVEY, strength="required", system=LOINC, code="44261-6")
        == []
    )
    assert len(tx_stub.state.hits) == 3


def test_failures_are_not_cached_on_disk(
    registry: FakeRegistry, tx_stub: Stub, tmp_path: Path
) -> None:
    tx_stub.state.mode = "error500"
    cache = tmp_path / "tx-cache"
    service = TerminologyService(registry, tx=client(tx_stub.url, cache_dir=cache, retries=0))
    service.check_binding(value_set=SURVEY, strength="required", system=LOINC, code="44261-6")
    assert not cache.exists() or not list(cache.glob("*.json"))
