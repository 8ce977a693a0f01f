"""The Dask executor (a LocalCluster in this process) gives the same report as one job."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pcocheck.parallel import dask as dask_executor
from pcocheck.parallel import shards
from pcocheck.reporting import FORMATS
from tests.parallel.corpus import write_corpus
from tests.parallel.test_jobs import reports


@pytest.fixture
def dask_port_taken() -> Iterator[None]:
    """Port 8787 (Dask's default) held by someone else, as on a machine where another Dask
    runs: the local cluster must neither fail nor warn (warnings are errors here)."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:
        pass  # already held by another process: the same situation
    try:
        yield
    finally:
        holder.close()


def test_a_local_dask_cluster_reports_like_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dask_port_taken: None
) -> None:
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 4096)
    monkeypatch.setattr(
        dask_executor, "LOCAL_CLUSTER_OPTIONS", {"processes": False, "threads_per_worker": 1}
    )
    # Keep the workers' checkers after the run: they show that the workers did the work.
    forget = dask_executor._forget
    monkeypatch.setattr(dask_executor, "_forget", lambda token: None)
    corpus = str(write_corpus(tmp_path / "corpus", 24))
    one, one_reports = reports((corpus,), 1)
    on_dask, dask_reports = reports((corpus,), 2, executor="dask", scheduler="local")
    for name in FORMATS:
        assert dask_reports[name] == one_reports[name], name
    assert on_dask.findings == one.findings
    # The cross-resource rules see every resource of a patient although a patient's goals,
    # scores and PROM scores sit in different files, chunks and workers: the workers hand
    # back facts, and the reduce here runs those rules once over all of them.
    codes = Counter(f.code for f in on_dask.findings)
    for code in ("PCO-GAS-005", "PCO-GAS-008", "PCO-PROM-012", "PCO-GOAL-002"):
        assert codes[code] > 0, (code, codes)
    assert (on_dask.files, on_dask.resources) == (one.files, one.resources)
    tokens = {token for token, _ in dask_executor._RUNS}
    assert len(tokens) == 1 and len(dask_executor._RUNS) == 2  # one per worker
    (token,) = tokens
    forget(token)
    assert not dask_executor._RUNS
