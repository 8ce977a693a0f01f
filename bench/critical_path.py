"""Where a parallel run's time goes, measured in CPU time so that other work on the machine
disturbs it little (not a test).

    python bench/critical_path.py FILE [--jobs 1 2] [--repeat 3]

For each run: the parent process's CPU time (imports, definitions, reading, the first
pass, its own share of the checks, merging the results, the end-of-run rules), the CPU
time of the busiest worker of the first pass's pool (for large inputs: the parent waits
for it, so it counts in full), and the CPU time of the busiest helper of the checking
pass, of which only what exceeds the parent's own CPU time while the helpers ran counts
(the parent checks shards too; see pcocheck.parallel.team). Their sum is the critical
path: about the wall time the run takes when the machine has a free core per job. The
ratio of one job's CPU time to the critical path with N jobs is the speed-up N free cores
would give.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any


def one_run(path: str, jobs: int) -> dict[str, Any]:
    """Runs in a fresh process (``--child``): imports and definitions count as in the CLI."""
    started = time.perf_counter()
    from pcocheck import parallel
    from pcocheck.config import RunConfig
    from pcocheck.parallel.team import Team
    from pcocheck.runner import validate_config

    queue = multiprocessing.get_context("fork").SimpleQueue()
    spans: list[float] = []  # the parent's CPU time at each team's start and close

    def timed(pool: str, work: Any) -> Any:
        def run(run: Any, shard: Any) -> Any:
            cpu = time.process_time()
            result = work(run, shard)
            queue.put((pool, os.getpid(), time.process_time() - cpu))
            return result

        return run

    real_helper, real_start, real_close = Team._helper, Team.start, Team.close

    def helper(self: Any, connection: Any) -> None:
        cpu = time.process_time()
        try:
            real_helper(self, connection)
        finally:  # the whole helper: its checks and the pickling of its results
            queue.put(("helpers", os.getpid(), time.process_time() - cpu))

    def start(self: Any) -> None:
        real_start(self)
        spans.append(time.process_time())

    def close(self: Any) -> None:
        spans.append(time.process_time())
        real_close(self)

    Team._helper, Team.start, Team.close = helper, start, close  # type: ignore[method-assign]
    parallel.index_shard = timed("first pass", parallel.index_shard)  # type: ignore[assignment]
    result = validate_config(RunConfig(paths=(path,), jobs=jobs))
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    parent = usage.ru_utime + usage.ru_stime
    per_worker: dict[tuple[str, int], float] = defaultdict(float)
    while not queue.empty():
        pool, pid, cpu = queue.get()
        per_worker[(pool, pid)] += cpu
    pools: dict[str, list[float]] = defaultdict(list)
    for (pool, _), cpu in per_worker.items():
        pools[pool].append(cpu)
    busiest = {pool: max(cpus) for pool, cpus in pools.items()}
    alongside = sum(end - begin for begin, end in zip(spans[::2], spans[1::2], strict=True))
    waited = max(0.0, busiest.get("helpers", 0.0) - alongside)
    return {
        "jobs": jobs,
        "wall": wall,
        "parent_cpu": parent,
        "busiest_worker_cpu": busiest,
        "parent_cpu_beside_helpers": alongside,
        "workers_cpu": sum(sum(c) for c in pools.values()),
        "critical": parent + busiest.get("first pass", 0.0) + waited,
        "findings": len(result.findings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_run(args.file, args.child)))
        return
    runs: dict[int, list[dict[str, Any]]] = {jobs: [] for jobs in args.jobs}
    for _ in range(args.repeat):  # alternate, so drifting load hits every variant alike
        for jobs in args.jobs:
            command = [sys.executable, __file__, args.file, "--child", str(jobs)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[jobs].append(json.loads(done.stdout.strip().splitlines()[-1]))
    one_job = statistics.median(r["critical"] for r in runs.get(1, [])) if 1 in runs else None
    print(f"{os.path.basename(args.file)}: medians of {args.repeat}, load {os.getloadavg()}")
    for jobs, results in runs.items():
        critical = statistics.median(r["critical"] for r in results)
        parent = statistics.median(r["parent_cpu"] for r in results)
        workers = statistics.median(r["workers_cpu"] for r in results)
        wall = statistics.median(r["wall"] for r in results)
        ratio = f" speed-up {one_job / critical:.2f}x" if one_job and jobs > 1 else ""
        print(
            f"  --jobs {jobs}: critical path {critical:.2f} s (parent {parent:.2f} s, workers "
            f"{workers:.2f} s in all); wall under the current load {wall:.2f} s{ratio}"
        )


if __name__ == "__main__":
    main()
