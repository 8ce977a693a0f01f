"""``--jobs N`` gives the same report as one process, byte for byte, in every format."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcocheck import parallel
from pcocheck.config import RunConfig
from pcocheck.inputs.discover import discover
from pcocheck.inventory import Inventory
from pcocheck.parallel import shards
from pcocheck.reporting import FORMATS, ReportOptions, reporter
from pcocheck.result import RunResult
from pcocheck.runner import validate_config
from tests.parallel.corpus import write_corpus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FIXTURE_FOLDERS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def reports(paths: tuple[str, ...], jobs: int, **options: str) -> tuple[RunResult, dict[str, str]]:
    """The run's result and its report in every format."""
    inventory = Inventory()
    config = RunConfig(paths=paths, jobs=jobs, **options)
    result = validate_config(config, extra=[inventory])
    rendered = {}
    for name in FORMATS:
        stream = io.StringIO()
        reporter(name)(result, stream, ReportOptions(width=120, inventory=inventory))
        rendered[name] = stream.getvalue()
    return result, rendered


def assert_same(paths: tuple[str, ...]) -> RunResult:
    one, one_reports = reports(paths, 1)
    two, two_reports = reports(paths, 2)
    for name in FORMATS:
        assert two_reports[name] == one_reports[name], name
    assert two.findings == one.findings  # the same order too, not only once sorted
    assert (two.files, two.resources, two.incomplete) == (one.files, one.resources, None)
    return one


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut NDJSON files into chunks of a few kilobytes, so small inputs have many, and
    run small inputs in parallel too."""
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 4096)
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_PARALLEL_PRESCAN_BYTES", 0)  # the first pass too
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)  # Bundles are cut by entries


@pytest.mark.parametrize("folder", FIXTURE_FOLDERS)
def test_every_fixture_folder_reports_the_same_with_two_jobs(
    folder: str, small_chunks: None
) -> None:
    assert_same((str(FIXTURES / folder),))


def test_cross_resource_rules_spread_over_files_and_chunks(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 40)
    planned = shards.plan_shards(discover([str(corpus)])[0], 2)
    assert sum(s.chunked for s in planned) >= 6  # the NDJSON files really are cut
    mapped: list[tuple[str, list[shards.Shard]]] = []
    real_index, real_check = parallel._forked, parallel._check_with_helpers

    def index_spy(run: Any, work: Any, planned: list[shards.Shard], jobs: int) -> Iterator[Any]:
        mapped.append((work.__name__, planned))
        return real_index(run, work, planned, jobs)

    def check_spy(run: Any, planned: list[shards.Shard], jobs: int) -> None:
        mapped.append(("check", planned))
        real_check(run, planned, jobs)

    monkeypatch.setattr(parallel, "_forked", index_spy)
    monkeypatch.setattr(parallel, "_check_with_helpers", check_spy)
    result = assert_same((str(corpus),))
    # Both passes ran in parallel: the index first, then the checks, with the Bundle cut
    # into parts of its entries once the first pass had counted them.
    assert [name for name, _ in mapped] == ["_forked_index", "check"]
    assert mapped[0][1] == planned
    bundle_parts = [s for s in mapped[1][1] if s.entries is not None]
    assert len(bundle_parts) == 2 and bundle_parts[-1].entries == (
        bundle_parts[-1].entries[0],
        None,
    )
    codes = Counter(f.code for f in result.findings)
    # Made at the end of the run from facts of several files and chunks:
    for code in ("PCO-GAS-005", "PCO-GAS-008", "PCO-PROM-012", "PCO-GOAL-002"):
        assert codes[code] > 0, (code, codes)
    # Once-per-run summaries (counted over every chunk) stay once per run after merging.
    summaries = [f for f in result.findings if "such findings in this run" in f.message]
    assert len(summaries) >= 2
    assert len({(f.code, f.profile, f.message) for f in summaries}) == len(summaries)


def test_internal_errors_in_workers_are_reported_like_in_one_process(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcocheck.rules import PcoRules

    real = PcoRules.check

    def failing(self: PcoRules, view: Any) -> Any:
        if view.id in ("gas3-baseline", "gas17-patient", "prom9-followup"):
            raise RuntimeError(f"rule bug on {view.id}")
        return real(self, view)

    monkeypatch.setattr(PcoRules, "check", failing)
    corpus = str(write_corpus(tmp_path / "corpus", 20))
    one, one_reports = reports((corpus,), 1)
    two, two_reports = reports((corpus,), 2)
    assert one.incomplete is not None and one.incomplete.startswith("3 internal errors")
    assert two.incomplete == one.incomplete
    assert two_reports == one_reports


def test_odd_ndjson_lines_in_chunks_read_as_in_one_process(
    tmp_path: Path, small_chunks: None
) -> None:
    """Every kind of line a bulk export can get wrong, spread over several chunks: each is
    the same finding, at the same line, whichever process reads it."""
    good = '{"resourceType": "Basic", "id": "b%d", "code": {"text": "%s"}}'
    odd = [
        b"null",
        b"[1, 2]",
        b'"text"',
        b"42",
        b"{}",
        b'{"resourceType": "Nope", "id": "n"}',
        b'{"resourceType": "Basic", "id": ',
        b'{"resourceType": "Basic", "id": "x\xff"}',
        b"\xef\xbb\xbf" + (good % (999, "bom")).encode(),
        b'{"resourceType": "Basic", "id": "d", "id": "e"}',
        b'{"resourceType": "Basic", "id": "nan", "extension": [{"url": "u", "valueDecimal": NaN}]}',
        b"   ",
        b'{"resourceType": "Bundle", "type": "collection", "entry": '
        b'[{"resource": {"resourceType": "Basic", "id": "in"}}]}',
    ]
    lines = []
    for number, line in enumerate(odd):
        lines += [(good % (n, "x" * 300)).encode() for n in range(number * 20, number * 20 + 20)]
        lines.append(line)
    export = tmp_path / "export.ndjson"
    export.write_bytes(b"\n".join(lines) + b"\n")
    assert len(shards.plan_shards(discover([str(export)])[0], 2)) >= 6
    result = assert_same((str(export),))
    assert {"FHIR-JSON-004", "FHIR-JSON-005", "FHIR-JSON-006", "FHIR-JSON-008"} <= {
        f.code for f in result.findings
    }
