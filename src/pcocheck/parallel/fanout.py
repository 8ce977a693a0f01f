"""Tasks after the checking pass, spread over the run's processes.

A local parallel run's reduce step (the checkers' ``finish()``) runs in this process,
after every worker's state was merged here. :class:`ForkedMapper` lets a checker spread
that step's tasks anyway: it forks ``jobs - 1`` helpers that inherit everything as it is
now (the merged facts, the run-wide index: copy-on-write, nothing pickled on the way in),
this process takes tasks too, each task's result (small: findings, compressed facts) is
pickled back, and the results come in task order (:class:`pcocheck.parallel.team.Fanout`;
a helper that fails or dies is an error, never a hang).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

from pcocheck.parallel.team import Fanout

_T = TypeVar("_T")
_R = TypeVar("_R")


class ForkedMapper:
    """``mapper(work, items)``: ``work`` over ``items`` by this process and ``jobs - 1``
    helpers forked for that call; results in item order."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.calls = 0  # fan-outs that forked (for tests and measurements)

    def __call__(self, work: Callable[[_T], _R], items: Sequence[_T], /) -> list[_R]:
        tasks = list(items)
        if self.jobs < 2 or len(tasks) < 2:
            return [work(task) for task in tasks]
        self.calls += 1
        with Fanout(work, tasks, self.jobs - 1) as team:
            team.start()
            team.work()
            return list(team.results())


def forked_mapper(jobs: int) -> ForkedMapper | None:
    """A mapper over ``jobs`` processes, or None where processes cannot be forked (one
    job; a platform without ``fork``)."""
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ForkedMapper(jobs)


__all__ = ["ForkedMapper", "forked_mapper"]
