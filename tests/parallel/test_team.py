"""The local executor's team: this process and forked helpers take shards from one
counter; results come back complete and in shard order, and a helper that fails or dies
is an error, never a hang or a lost shard."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from pcocheck.inputs.discover import InputFile
from pcocheck.parallel import team as team_module
from pcocheck.parallel.shards import Shard
from pcocheck.parallel.team import HelperFailed, Team

ITEM = InputFile(display="x.ndjson", path=Path("x.ndjson"), ndjson=True, gzipped=False)
SHARDS = [Shard(number, ITEM) for number in range(12)]
HERE = os.getpid()


def _run(team: Team[tuple[int, int]]) -> list[tuple[int, int]]:
    with team:
        team.start()
        team.work()
        return list(team.results())


def test_every_shard_once_in_order_by_this_process_and_a_helper() -> None:
    context = multiprocessing.get_context("fork")
    took = {"here": context.Event(), "helper": context.Event()}

    def work(shard: Shard) -> tuple[int, int]:
        # Each side waits until the other has taken a shard too (else the first to start
        # could take them all: these shards cost nothing).
        mine, other = ("here", "helper") if os.getpid() == HERE else ("helper", "here")
        took[mine].set()
        if not took[other].wait(timeout=60):
            raise AssertionError(f"{other} never took a shard")
        return shard.number, os.getpid()

    arrived: list[int] = []
    team = Team(work, SHARDS, 1, lambda shard, result: arrived.append(shard.number))
    results = _run(team)
    assert [number for number, _ in results] == list(range(len(SHARDS)))
    workers = {pid for _, pid in results}
    assert HERE in workers and len(workers) == 2
    assert sorted(arrived) == list(range(len(SHARDS)))  # told once per shard


def test_one_shard_or_no_helper_stays_in_this_process() -> None:
    def work(shard: Shard) -> tuple[int, int]:
        return shard.number, os.getpid()

    team = Team(work, SHARDS[:1], 3)
    assert team.helpers == 0
    assert _run(team) == [(0, HERE)]


def _failing_helper(fail: str) -> Team[tuple[int, int]]:
    """A team whose helper fails (``raise``) or dies (``exit``) on the first shard it
    takes; this process waits for that before it takes a shard of its own."""
    helper_took = multiprocessing.get_context("fork").Event()

    def work(shard: Shard) -> tuple[int, int]:
        if os.getpid() == HERE:
            if not helper_took.wait(timeout=60):
                raise AssertionError("the helper never took a shard")
            return shard.number, HERE
        helper_took.set()
        if fail == "raise":
            raise ValueError("broken shard")
        os._exit(9)  # e.g. killed for lack of memory

    return Team(work, SHARDS, 1)


def test_a_failing_shard_in_a_helper_is_an_error_here() -> None:
    with pytest.raises(HelperFailed, match="ValueError: broken shard"):
        _run(_failing_helper("raise"))


def test_a_helper_that_dies_is_an_error_not_a_hang() -> None:
    with pytest.raises(HelperFailed, match="ended before it sent"):
        _run(_failing_helper("exit"))


def test_idle_here_every_item_is_the_helpers() -> None:
    """The first pass's fan-out: this process takes no item (its checkers must not see
    the shards' first-pass hooks), even with a single item."""

    def work(shard: Shard) -> tuple[int, int]:
        return shard.number, os.getpid()

    for shards in (SHARDS, SHARDS[:1]):
        team = Team(work, shards, 2, idle_here=True)
        assert team.helpers == min(2, len(shards))
        with team:
            team.start()
            results = list(team.results())
        assert [number for number, _ in results] == [s.number for s in shards]
        assert HERE not in {pid for _, pid in results}


def _pipe_max_size() -> int:
    try:
        return int(Path("/proc/sys/fs/pipe-max-size").read_text())
    except OSError:
        return 0


@pytest.mark.skipif(
    _pipe_max_size() < team_module.PIPE_BYTES, reason="pipes cannot hold 1 MiB here"
)
def test_a_result_that_fits_the_pipe_is_sent_with_nobody_reading() -> None:
    # A helper must not wait on this process's reader thread (which gets the GIL only
    # between pieces of this process's own work) for a result of a few hundred KB.
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    assert team_module.widen(receiving) == team_module.PIPE_BYTES
    payload = b"x" * (team_module.PIPE_BYTES - 4096)
    writer = threading.Thread(target=sending.send_bytes, args=(payload,), daemon=True)
    writer.start()
    writer.join(timeout=30)
    sent = not writer.is_alive()
    assert receiving.recv_bytes() == payload  # (also lets a blocked writer end)
    assert sent, "the writer waited for a reader"
    receiving.close()
    sending.close()


def test_every_helper_pipe_is_widened(monkeypatch: pytest.MonkeyPatch) -> None:
    widened: list[int] = []
    real = team_module.widen
    monkeypatch.setattr(team_module, "widen", lambda c: widened.append(1) or real(c))

    def work(shard: Shard) -> tuple[int, int]:
        return shard.number, os.getpid()

    assert [n for n, _ in _run(Team(work, SHARDS, 2))] == list(range(len(SHARDS)))
    assert len(widened) == 2
