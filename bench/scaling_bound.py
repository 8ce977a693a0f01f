"""How fast ``--jobs N`` can be on one input, given the work its runs do (not a test).

    python bench/scaling_bound.py FILE [--jobs 2] [--repeat 3]

Each round times a one-job run and an N-job run of FILE, each in a fresh process on the
command line's path (pcocheck.api; interpreter start and the report are outside both).
For the N-job run it also records when helper processes exist (every fork of
:class:`pcocheck.parallel.team.Fanout` and :class:`pcocheck.parallel.scan.ForkedPieces`
until its helpers are joined) and the CPU time of the whole process tree.

While no helper exists only one core can work: that is the run's serial time ``S`` (start-up
before the first fork, the end of the run after the last helper is joined). The rest of
its CPU time ``C`` can at best be spread evenly over N cores, so no schedule of that work
beats ``S + (C - S) / N``: the ceiling printed is one job's time over that. Printed too:
the CPU time the N-job run may take, with the same serial time, for a target speed-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any


def child(path: str, jobs: int) -> dict[str, Any]:
    """One run in this (fresh) process: wall and CPU time, and the spans with helpers."""
    started = time.perf_counter()
    spans: list[list[float]] = []  # per group of helpers: [forked, joined]
    open_spans: dict[int, list[float]] = {}  # by id() of the group's object until joined

    from pcocheck import api
    from pcocheck.config import RunConfig
    from pcocheck.parallel import scan, team

    def now() -> float:
        return time.perf_counter() - started

    def forking(owner: Any, name: str) -> None:
        real = getattr(owner, name)

        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            span = [now(), float("inf")]
            spans.append(span)
            open_spans[id(self)] = span
            return real(self, *args, **kwargs)

        setattr(owner, name, wrapped)

    def joining(owner: Any, name: str, when: Any = lambda helpers: True) -> None:
        real = getattr(owner, name)

        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return real(self, *args, **kwargs)
            finally:
                if id(self) in open_spans and when(self):
                    open_spans.pop(id(self))[1] = now()

        setattr(owner, name, wrapped)

    forking(team.Fanout, "start")
    joining(team.Fanout, "close")
    forking(scan.ForkedPieces, "start")
    joining(scan.ForkedPieces, "stop")
    # A Bundle's scan helpers are joined one by one as their pieces are received.
    joining(scan.ForkedPieces, "_receive", lambda pieces: not pieces._running)
    api.validate_config(RunConfig(paths=(path,), jobs=jobs))
    wall = now()
    times = os.times()
    cpu = times.user + times.system + times.children_user + times.children_system
    return {"wall": wall, "cpu": cpu, "spans": [[a, min(b, wall)] for a, b in spans]}


def serial_time(wall: float, spans: list[list[float]]) -> float:
    """The time within ``wall`` that no span (of helper processes) covers."""
    covered, reach = 0.0, 0.0
    for start, end in sorted(spans):
        start = max(start, reach)
        if end > start:
            covered += end - start
            reach = end
    return wall - covered


def ceiling(one: float, serial: float, cpu: float, jobs: int) -> float:
    """One job's time over the shortest time ``jobs`` cores can do ``cpu`` seconds of work
    of which ``serial`` seconds run alone."""
    return one / (serial + (cpu - serial) / jobs)


def cpu_allowed(one: float, serial: float, jobs: int, target: float) -> float:
    """The CPU time an N-job run with ``serial`` seconds alone may take to reach ``target``."""
    return serial + jobs * (one / target - serial)


def timed(path: str, jobs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, path, "--child", str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=1.8)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.file, args.child)))
        return
    ones, manys = [], []
    for _ in range(args.repeat):  # alternating, so that a drifting machine slows both alike
        ones.append(timed(args.file, 1))
        manys.append(timed(args.file, args.jobs))
    one_wall = statistics.median(r["wall"] for r in ones)
    one_cpu = statistics.median(r["cpu"] for r in ones)
    wall = statistics.median(r["wall"] for r in manys)
    cpu = statistics.median(r["cpu"] for r in manys)
    serial = statistics.median(serial_time(r["wall"], r["spans"]) for r in manys)
    first_fork = statistics.median(
        min((s[0] for s in r["spans"]), default=r["wall"]) for r in manys
    )
    print(f"{args.file}: medians of {args.repeat}")
    print(f"  --jobs 1: {one_wall:.3f} s, CPU {one_cpu:.3f} s")
    print(
        f"  --jobs {args.jobs}: {wall:.3f} s, CPU {cpu:.3f} s ({cpu - one_cpu:+.3f} s); "
        f"one process alone for {serial:.3f} s (before the first fork {first_fork:.3f} s)"
    )
    best = ceiling(one_wall, serial, cpu, args.jobs)
    print(
        f"  ceiling for this work on {args.jobs} cores: {best:.2f}x "
        f"(with no serial time at all {args.jobs * one_wall / cpu:.2f}x); "
        f"measured {one_wall / wall:.2f}x"
    )
    allowed = cpu_allowed(one_wall, serial, args.jobs, args.target)
    print(
        f"  {args.target}x needs the {args.jobs}-job run's CPU at most {allowed:.3f} s with "
        f"this serial time (one job's CPU {one_cpu:.3f} s)"
    )


if __name__ == "__main__":
    main()
