"""One large Bundle: read and parsed once (by the first pass, in the parent); its main
pass — in this process with one job, in forked workers with two — checks that parsed
document; the report is byte-identical, cross-resource PCO rules included."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcocheck import parallel, runner
from pcocheck.inputs import read
from pcocheck.parallel import shards
from tests.parallel.corpus import write_corpus
from tests.parallel.test_jobs import assert_same


def one_bundle(folder: Path, journeys: int) -> Path:
    """Every resource of the test corpus (goals, GAS and PROM scores, patients) as the
    entries of one collection Bundle, so the cross-resource rules work inside it."""
    corpus = write_corpus(folder / "corpus", journeys)
    resources: list[dict[str, Any]] = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix == ".ndjson":
            resources += [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        elif path.suffix == ".json":
            resources += [e["resource"] for e in json.loads(path.read_text("utf-8"))["entry"]]
    entries = [
        {"fullUrl": f"http://example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r}
        for r in resources
    ]
    bundle = folder / "one.json"
    bundle.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}, indent=1),
        "utf-8",
    )
    return bundle


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The inputs read, in order (by any pass, in this process)."""
    seen: list[str] = []
    real = read.read_documents

    def counting(item: Any, stdin: Any = None) -> Iterator[Any]:
        seen.append(item.display)
        return real(item, stdin)

    monkeypatch.setattr(read, "read_documents", counting)  # index_documents reads with it
    monkeypatch.setattr(runner, "read_documents", counting)
    return seen


def test_a_large_bundle_is_parsed_once_and_cut_among_the_workers(
    tmp_path: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    bundle = one_bundle(tmp_path, 30)
    mapped: list[list[shards.Shard]] = []
    real = parallel._check_with_helpers

    def spy(run: Any, planned: list[shards.Shard], jobs: int) -> None:
        mapped.append(planned)
        real(run, planned, jobs)

    monkeypatch.setattr(parallel, "_check_with_helpers", spy)
    result = assert_same((str(bundle),))
    # One job: read once; two jobs: read once, in the parent; the workers (forked, so not
    # seen here) check their parts of the parent's parsed document and never read it.
    assert reads == [str(bundle), str(bundle)]
    (parts,) = mapped
    count = len(json.loads(bundle.read_text("utf-8"))["entry"])
    # Parts that shrink as the entries left do (guided): together, every entry once.
    sizes = shards.guided_part_sizes(count, 2)
    ends = [sum(sizes[: n + 1]) for n in range(len(sizes))]
    assert [s.entries for s in parts] == [
        (end - size, end if end < count else None) for size, end in zip(sizes, ends, strict=True)
    ]
    assert len(parts) > 2 * shards.GUIDED_DIVISOR and sizes[0] > sizes[-2]
    codes = Counter(f.code for f in result.findings)
    for code in ("PCO-GAS-005", "PCO-GAS-008", "PCO-PROM-012", "PCO-GOAL-002"):
        assert codes[code] > 0, (code, codes)  # made at the end, from both parts' facts


def test_facts_from_the_workers_point_at_the_parents_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing of the Bundle's text travels back, and no worker computes positions for
    facts the end of the run may never report: the facts' anchors come back as the
    parent's own text."""
    import pickle

    from pcocheck.config import RunConfig
    from pcocheck.inputs.discover import discover
    from pcocheck.rules import RulesState
    from pcocheck.runner import Run, build_checkers

    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    bundle = one_bundle(tmp_path, 12)
    config = RunConfig(paths=(str(bundle),), jobs=2)
    run = Run(config, build_checkers(config))
    inputs = discover([str(bundle)])[0]
    run.prescan(inputs)
    assert run.held is not None and run.entries[str(bundle)] > 8
    (document,) = [d for d in run.held[1] if isinstance(d, read.Document)]
    part = shards.split_bundles(shards.plan_shards(inputs, 2), {0: run.entries[str(bundle)]}, 2)[1]
    with parallel.shared_sources(run):
        travelled = pickle.dumps(parallel.map_shard(run, part))
        back = pickle.loads(travelled)
    assert b"GAD-7 15" not in travelled and len(travelled) < bundle.stat().st_size / 4
    (state,) = [s for s in back.states if isinstance(s, RulesState)]
    assert state.prom_scores and state.goals  # facts of the second half of the entries
    for score in state.prom_scores:
        assert score.value_place.anchor.source is document.source
        assert score.value_place.anchor.entry is not None
        assert score.value_place.anchor.entry >= part.entries[0]  # type: ignore[index]
        assert document.source._index is None  # no full position index was built
    assert not document.source.shared  # only while the workers run


@pytest.mark.parametrize("variant", ["gzip", "truncated", "repeated key"])
def test_one_document_in_any_shape_reports_the_same_with_two_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str
) -> None:
    """The one-document path (read once, parts in forked workers) with a compressed
    Bundle, a Bundle cut short (no document: the first pass's findings serve the main
    pass), and a repeated key (positions from the full index, not the lazy one)."""
    import gzip

    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(shards, "MIN_BUNDLE_ENTRIES", 4)
    bundle = one_bundle(tmp_path, 10)
    text = bundle.read_text("utf-8")
    if variant == "gzip":
        path = tmp_path / "one.json.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    elif variant == "truncated":
        path = tmp_path / "cut.json"
        path.write_text(text[:-50], "utf-8")
    else:
        path = tmp_path / "repeated.json"
        path.write_text(text.replace('"type": "collection"', '"type": "x", "type": "collection"'))
    result = assert_same((str(path),))
    codes = {f.code for f in result.findings}
    expected = {
        "gzip": "PCO-GAS-005",
        "truncated": "FHIR-JSON-002",
        "repeated key": "FHIR-JSON-003",
    }
    assert expected[variant] in codes, codes
