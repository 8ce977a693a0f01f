"""The runner: inputs that cannot be read twice are read once (not consumed by the indexing
pass), and an internal error on one resource becomes a ``processing`` finding on it while
the run goes on and is marked incomplete (exit code 3)."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.reporting.json_report import report_document
from pcocheck.result import EXIT_INCOMPLETE
from pcocheck.rules import PcoRules
from pcocheck.runner import run, validate_config
from pcocheck.view import ResourceView
from tests.conftest import FIXTURES
from tests.rules.conftest import questionnaire_lookup

REFS = FIXTURES / "references"
NDJSON = REFS / "two-ndjson" / "second.ndjson"


def _gas_errors(findings: Iterable[Finding]) -> list[tuple[str | None, int | None]]:
    return [(f.file, f.line) for f in findings if f.code == "PCO-GAS-005"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_once_and_fully_checked(tmp_path: Path) -> None:
    fifo = tmp_path / "export.ndjson"
    os.mkfifo(fifo)
    data = NDJSON.read_bytes()

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        result = validate_config(RunConfig(paths=(str(fifo),)))
    finally:
        writer.join(timeout=10)
    assert result.resources == 5  # the main pass got every record: nothing was consumed
    assert _gas_errors(result.findings) == [(str(fifo), 5)]


def test_stdin_is_read_once_and_resolves_within_itself() -> None:
    stdin = io.BytesIO((REFS / "two-bundles" / "second.json").read_bytes())
    rules = PcoRules(questionnaires=questionnaire_lookup())
    result = run(RunConfig(paths=("-",)), [rules], stdin)
    assert result.resources == 6  # the Bundle and its five entries
    assert _gas_errors(result.findings) == [("<stdin>", 279)]


class _Boom:
    """A checker with a bug that shows on one resource only."""

    def check(self, view: ResourceView) -> list[Finding]:
        if view.id == "gas-patient":
            raise KeyError("boom")
        return []

    def finish(self) -> list[Finding]:
        return []


def test_an_internal_error_becomes_a_processing_finding_and_the_run_goes_on() -> None:
    rules = PcoRules(questionnaires=questionnaire_lookup())
    paths = (str(REFS / "two-bundles" / "first.json"), str(REFS / "two-bundles" / "second.json"))
    result = run(RunConfig(paths=paths), [_Boom(), rules])
    internal = [f for f in result.findings if f.code == "FHIR-PROFILE-070"]
    assert [(f.file, f.expression) for f in internal] == [
        (paths[0], "Bundle.entry[3].resource"),
        (paths[1], "Bundle.entry[3].resource"),
    ]
    assert all(f.type == "processing" for f in internal)
    assert "KeyError" in internal[0].message
    # The other checkers and files were not lost.
    assert _gas_errors(result.findings) == [(paths[1], 279)]
    assert result.incomplete is not None and "2 internal errors" in result.incomplete
    assert result.exit_code == EXIT_INCOMPLETE
    summary = report_document(result)["summary"]
    assert summary["incomplete"] is True


def test_a_complete_run_says_so() -> None:
    result = validate_config(RunConfig(paths=(str(REFS / "two-bundles" / "first.json"),)))
    assert result.incomplete is None
    assert report_document(result)["summary"]["incomplete"] is False
    assert json.dumps(report_document(result))  # still plain JSON


def test_a_questionnaire_read_after_its_responses_is_still_used(tmp_path: Path) -> None:
    """Canonical resolution of input Questionnaires does not depend on the input order."""
    bundle = json.loads((FIXTURES / "rules" / "qr-valid-form" / "input.json").read_text("utf-8"))
    (tmp_path / "a-responses.json").write_text(json.dumps(bundle), encoding="utf-8")
    form = (FIXTURES / "rules" / "questionnaires" / "Questionnaire-visit-form.json").read_text(
        "utf-8"
    )
    (tmp_path / "z-form.json").write_text(form, encoding="utf-8")
    findings = []
    for paths in ([tmp_path / "a-responses.json", tmp_path / "z-form.json"], [tmp_path]):
        rules = PcoRules(questionnaires=lambda url: None)
        result = run(RunConfig(paths=tuple(str(p) for p in paths)), [rules])
        findings.append(sorted((f.code, f.expression) for f in result.findings))
    assert findings[0] == findings[1]
    assert not [code for code, _ in findings[0] if code == "PCO-QR-001"]


def test_a_bug_while_reading_one_file_does_not_lose_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pcocheck.runner as runner_module

    real = runner_module.read_documents
    first = str(REFS / "two-bundles" / "first.json")

    def flaky(item: Any, stdin: Any = None) -> Any:
        if item.display == first:
            raise RuntimeError("decoder bug")
        return real(item, stdin)

    monkeypatch.setattr(runner_module, "read_documents", flaky)
    rules = PcoRules(questionnaires=questionnaire_lookup())
    result = run(RunConfig(paths=(first, str(REFS / "two-bundles" / "second.json"))), [rules])
    (internal,) = [f for f in result.findings if f.code == "FHIR-PROFILE-070"]
    assert internal.file == first and "RuntimeError: decoder bug" in internal.message
    assert len(_gas_errors(result.findings)) == 1
    assert result.exit_code == EXIT_INCOMPLETE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("piped", ["goal", "scores"])
def test_references_between_a_pipe_and_a_file_resolve_either_way(
    piped: str, tmp_path: Path
) -> None:
    """A pipe is indexed as it is read, once; the rules look references up at the end of
    the run, so it does not matter which side comes through the pipe."""
    folder = REFS / "cross-file-unique"
    sources = {"goal": folder / "Goal-walk-to-shop.json", "scores": folder / "scores.ndjson"}
    fifo = tmp_path / ("goal.json" if piped == "goal" else "scores.ndjson")
    os.mkfifo(fifo)
    data = sources[piped].read_bytes()

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    other = sources["scores" if piped == "goal" else "goal"]
    try:
        rules = PcoRules(questionnaires=questionnaire_lookup())
        result = run(RunConfig(paths=(str(fifo), str(other))), [rules])
    finally:
        writer.join(timeout=10)
    assert len(_gas_errors(result.findings)) == 1
