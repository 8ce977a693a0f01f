"""The first pass of a large NDJSON run, forked before the definitions load
(:class:`pcocheck.parallel.indexing.EarlyFirstPass`): the same index, the same state of
the checkers' first-pass hooks and the same report as the run's own first pass and as one
job; only runs that would take the parallel NDJSON first pass fork it, and its helpers
end whatever becomes of the run."""

from __future__ import annotations

import io
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcocheck import api, parallel
from pcocheck.config import RunConfig
from pcocheck.inputs.discover import discover
from pcocheck.parallel import indexing, shards
from pcocheck.reporting import FORMATS, ReportOptions, reporter
from pcocheck.runner import ConfigurationError, Run, build_checkers
from tests.parallel.corpus import write_corpus
from tests.parallel.test_indexing import ODD_LINES
from tests.parallel.test_jobs import small_chunks

__all__ = ["small_chunks"]  # NDJSON cut into many chunks, small inputs run in parallel

QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "id": "q1",
    "url": "http://example.org/Questionnaire/q1",
    "status": "active",
    "item": [{"linkId": "a", "text": "A", "type": "integer"}],
}
CODE_SYSTEM = {
    "resourceType": "CodeSystem",
    "id": "cs1",
    "url": "http://example.org/cs",
    "status": "active",
    "content": "complete",
    "concept": [{"code": "x"}],
}


def _response(n: int, url: str) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"r{n}",
        "questionnaire": url,
        "status": "completed",
        "item": [
            {"linkId": "zz", "answer": [{"valueInteger": 3}]},
            {"linkId": "a", "answer": [{"valueString": "x"}]},
        ],
    }


def _export(folder: Path, odd: bool = True) -> Path:
    """Responses first, their Questionnaires (one a plain record, one in a Bundle) and a
    CodeSystem only in later chunks, odd lines between (invalid JSON, BOM, UTF-16, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    in_bundle = dict(QUESTIONNAIRE, id="q2", url="http://example.org/Questionnaire/q2")
    lines = [
        json.dumps(_response(1, str(QUESTIONNAIRE["url"]))).encode(),
        json.dumps(_response(2, str(in_bundle["url"]))).encode(),
        json.dumps(
            {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"coding": [{"system": "http://example.org/cs", "code": "y"}]},
            }
        ).encode(),
    ]
    for number in range(300):
        lines.append(json.dumps({"resourceType": "Patient", "id": f"p{number}"}).encode())
        if odd and number % 10 == 0:
            lines.append(ODD_LINES[(number // 10) % len(ODD_LINES)])
    lines.append(json.dumps(QUESTIONNAIRE).encode())
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": in_bundle}]}
    lines.append(json.dumps(bundle).encode())
    lines.append(json.dumps(CODE_SYSTEM).encode())
    lines.append(json.dumps(dict(QUESTIONNAIRE, status="draft")).encode())  # a second q1
    export = folder / "export.ndjson"
    export.write_bytes(b"\n".join(lines) + b"\n")
    return export


@pytest.fixture
def early_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the runs whose first pass the early pass served."""
    served: list[int] = []
    real = indexing.EarlyFirstPass.results

    def counted(self: indexing.EarlyFirstPass, run: Run) -> Iterator[Any]:
        served.append(len(self.shards))
        yield from real(self, run)

    monkeypatch.setattr(indexing.EarlyFirstPass, "results", counted)
    return served


def _reports(paths: tuple[str, ...], jobs: int) -> tuple[list[Any], dict[str, str]]:
    report = api.validate_config(RunConfig(paths=paths, jobs=jobs))
    rendered = {}
    for name in FORMATS:
        stream = io.StringIO()
        reporter(name)(report.result, stream, ReportOptions(width=120, inventory=report.inventory))
        rendered[name] = stream.getvalue()
    return report.result.findings, rendered


def _assert_same(paths: tuple[str, ...], served: list[int]) -> list[Any]:
    one_findings, one = _reports(paths, 1)
    assert served == []
    two_findings, two = _reports(paths, 2)
    assert served and served[0] >= 2  # the early pass was forked and used
    for name in FORMATS:
        assert two[name] == one[name], name
    assert two_findings == one_findings
    return one_findings


def test_two_jobs_report_what_one_job_does(
    tmp_path: Path, small_chunks: None, early_passes: list[int]
) -> None:
    export = _export(tmp_path / "export")
    findings = _assert_same((str(export),), early_passes)
    codes = {f.code for f in findings}
    # The responses were checked against Questionnaires read later in the run (plain and
    # in a Bundle): the hooks saw them before any check, as in the run's own first pass.
    assert "PCO-QR-002" in codes and "PCO-QR-003" in codes
    assert "PCO-QR-001" not in codes


def test_cross_resource_rules_over_several_files(
    tmp_path: Path, small_chunks: None, early_passes: list[int]
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 40)
    bundle = corpus / "d-proms.json"  # NDJSON only: the early pass is for NDJSON runs
    entries = json.loads(bundle.read_text("utf-8"))["entry"]
    records = [json.dumps(e["resource"], separators=(",", ":")) for e in entries]
    (corpus / "d-proms.ndjson").write_text("\n".join(records) + "\n", "utf-8")
    bundle.unlink()
    _export(corpus / "more" / "export")
    planned = shards.plan_shards(discover([str(corpus)])[0], 2)
    assert not all(s.chunked for s in planned)  # small files are whole shards
    findings = _assert_same((str(corpus),), early_passes)
    codes = {f.code for f in findings}
    for code in ("PCO-GAS-005", "PCO-GAS-008", "PCO-PROM-012", "PCO-GOAL-002", "PCO-QR-002"):
        assert code in codes, code


def test_without_the_hooks_replayed_the_report_would_differ(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes the test above meaningful: the records kept for the hooks matter."""
    export = _export(tmp_path / "export", odd=False)
    monkeypatch.setattr(indexing, "_show_hooks", lambda *args: None)
    findings, _ = _reports((str(export),), 2)
    assert "PCO-QR-001" in {f.code for f in findings}


def _merged(run: Run) -> tuple[Any, ...]:
    index = run.resolvers[0].index
    part = index.export_part()
    return (
        list(part.rows()),
        part.canonicals,
        [c.export_prescan() for c in run.checkers if hasattr(c, "prescan")],
        sorted(run.prescanned),
    )


@pytest.mark.parametrize("odd", [True, False])
def test_the_index_and_hook_state_are_those_of_the_runs_own_first_pass(
    tmp_path: Path, small_chunks: None, odd: bool
) -> None:
    export = _export(tmp_path / "export", odd=odd)
    config = RunConfig(paths=(str(export),), jobs=2)
    inputs = discover([str(export)])[0]
    planned = shards.plan_shards(inputs, 2)
    assert len(planned) >= 4 and all(s.chunked for s in planned)

    own = Run(config, build_checkers(config))
    counts = parallel._merge_indexes(
        own, planned, parallel._forked(own, parallel._forked_index, planned, 2)
    )
    early = indexing.EarlyFirstPass.start(config, inputs)
    assert early is not None
    try:
        run = Run(config, build_checkers(config))
        assert early.serves(run, inputs, planned)
        early_counts = parallel._merge_indexes(run, planned, early.results(run))
    finally:
        early.close()
    assert early_counts == counts
    assert _merged(run) == _merged(own)
    questionnaires = _merged(run)[2][1]
    assert "http://example.org/Questionnaire/q2" in questionnaires  # from the Bundle
    assert questionnaires["http://example.org/Questionnaire/q1"]["status"] == "active"


def test_small_inputs_and_other_runs_fork_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forks: list[int] = []
    monkeypatch.setattr(indexing.EarlyFirstPass, "__init__", lambda *a: forks.append(1))
    export = _export(tmp_path / "export")  # about 30 kB: below MIN_PARALLEL_PRESCAN_BYTES
    inputs = discover([str(export)])[0]
    assert api._early_first_pass(RunConfig(paths=(str(export),), jobs=2), inputs) is None
    monkeypatch.setattr(shards, "MIN_PARALLEL_PRESCAN_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 4096)
    refused = [
        RunConfig(paths=(str(export),), jobs=1),
        RunConfig(paths=(str(export),), jobs=2, executor="dask"),
    ]
    for config in refused:
        assert api._early_first_pass(config, inputs) is None
    as_json = tmp_path / "export.json"
    as_json.write_bytes(export.read_bytes())
    stdin = discover(["-"])[0]
    config = RunConfig(paths=(), jobs=2)
    for found in (discover([str(as_json)])[0], stdin, [*inputs, *stdin], []):
        assert api._early_first_pass(config, found) is None
    whole = tmp_path / "one-shard"
    whole.mkdir()
    (whole / "small.ndjson").write_bytes(export.read_bytes()[:3000])
    assert indexing.EarlyFirstPass.start(config, discover([str(whole)])[0]) is None
    assert forks == []
    report = api.validate_config(RunConfig(paths=(str(whole),), jobs=2))
    assert report.result.resources > 0 and forks == []


def test_a_run_that_fails_to_start_ends_the_helpers(
    tmp_path: Path, small_chunks: None, early_passes: list[int]
) -> None:
    export = _export(tmp_path / "export")
    closed: list[bool] = []
    real_close = indexing.EarlyFirstPass.close

    def close(self: indexing.EarlyFirstPass) -> None:
        closed.append(True)
        real_close(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indexing.EarlyFirstPass, "close", close)
        with pytest.raises(ConfigurationError):
            api.validate_config(
                RunConfig(paths=(str(export),), jobs=2, profiles=("http://example.org/nope",))
            )
    assert closed and early_passes == []
    assert multiprocessing.active_children() == []


def test_checkers_that_watch_other_types_take_their_own_first_pass(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch, early_passes: list[int]
) -> None:
    config = RunConfig(paths=(), jobs=2)
    watched = indexing.watched_types([c for c in build_checkers(config) if hasattr(c, "prescan")])
    assert watched == indexing.EARLY_WATCHED  # kept in step with the checkers
    monkeypatch.setattr(indexing, "EARLY_WATCHED", frozenset({"Questionnaire"}))
    export = _export(tmp_path / "export")
    one, _ = _reports((str(export),), 1)
    two, _ = _reports((str(export),), 2)
    assert early_passes == [] and two == one
    assert multiprocessing.active_children() == []
