"""The critical path of a parallel run over one large Bundle, in CPU time (not a test).

    python bench/bundle_critical.py FILE [--before SRC] [--jobs 1 2] [--repeat 5]

Wall time on a shared machine measures the other users as much as the run; CPU time per
process does not. Each run (a fresh process, the code in this checkout, or with
``--before`` the ``src`` folder of another checkout, runs alternating) records the CPU
time of every process at the points where the run waits for another:

- the parent until it forks the helpers that scan pieces of the Bundle's entry array
  (``pcocheck.parallel.scan``; absent in older code), then its own piece, against the
  slowest helper's whole CPU time (fork, scan, pickling): the longer of the two counts;
- the parent from there until the checking pass forks its helpers (the rest of the first
  pass: the index);
- the checking pass: the parent's own shards against the busiest helper's whole CPU time;
- the parent after it (merging, the end-of-run rules).

Their sum is the critical path: about the wall time of the run on a machine with a free
core per job. With one job it is the process's CPU time. The speed-up printed is one
job's critical path over N jobs'.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent / "src"


def one_run(path: str, jobs: int) -> dict[str, Any]:
    """Runs in a fresh process (``--child``)."""
    from pcocheck.config import RunConfig
    from pcocheck.parallel import team
    from pcocheck.runner import validate_config

    cpu = time.process_time
    queue = multiprocessing.get_context("fork").SimpleQueue()
    marks: dict[str, float] = {}
    try:
        from pcocheck.parallel import scan
    except ImportError:
        scan = None  # type: ignore[assignment]
    if scan is not None:
        real_send, real_start, real_receive = (
            scan._scan_and_send,
            scan.ForkedPieces.start,
            scan.ForkedPieces._receive,
        )

        def send(*args: Any) -> None:
            try:
                real_send(*args)
            finally:
                queue.put(("scan", os.getpid(), cpu()))

        def start(self: Any, *args: Any) -> Any:
            marks.setdefault("scan forked", cpu())
            return real_start(self, *args)

        def receive(self: Any, number: int) -> Any:
            marks.setdefault("own piece scanned", cpu())
            return real_receive(self, number)

        scan._scan_and_send = send  # type: ignore[assignment]
        scan.ForkedPieces.start = start  # type: ignore[method-assign]
        scan.ForkedPieces._receive = receive  # type: ignore[method-assign]

    real_helper, real_team_start, real_work = team.Fanout._helper, team.Team.start, team.Team.work

    def helper(self: Any, connection: Any) -> None:
        try:
            real_helper(self, connection)
        finally:
            queue.put(("check", os.getpid(), cpu()))

    def team_start(self: Any) -> None:
        marks.setdefault("checks forked", cpu())
        real_team_start(self)

    def work(self: Any) -> None:
        begun = cpu()
        real_work(self)
        marks["own checks"] = marks.get("own checks", 0.0) + cpu() - begun

    team.Fanout._helper = helper  # type: ignore[method-assign]
    team.Team.start = team_start  # type: ignore[method-assign]
    team.Team.work = work  # type: ignore[method-assign]
    result = validate_config(RunConfig(paths=(path,), jobs=jobs))
    total = cpu()
    helpers: dict[str, float] = {}
    while not queue.empty():
        kind, _, used = queue.get()
        helpers[kind] = max(helpers.get(kind, 0.0), used)
    critical = total
    if "scan forked" in marks and "own piece scanned" in marks:
        own = marks["own piece scanned"] - marks["scan forked"]
        critical += max(0.0, helpers.get("scan", 0.0) - own)
    critical += max(0.0, helpers.get("check", 0.0) - marks.get("own checks", 0.0))
    return {
        "critical": critical,
        "parent": total,
        "before checks": marks.get("checks forked", total),
        "own checks": marks.get("own checks", 0.0),
        "helpers": helpers,
        "findings": len(result.findings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--before", type=Path)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_run(args.file, args.child)))
        return
    versions = {"after": HERE}
    if args.before is not None:
        versions = {"before": args.before.resolve(), "after": HERE}
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _ in range(args.repeat):  # alternating: a drifting machine slows every variant alike
        for name, src in versions.items():
            for jobs in args.jobs:
                env = dict(os.environ, PYTHONPATH=str(src))
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                command = [sys.executable, __file__, args.file, "--child", str(jobs)]
                done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
                runs.setdefault((name, jobs), []).append(
                    json.loads(done.stdout.strip().splitlines()[-1])
                )
    print(f"{os.path.basename(args.file)}: medians of {args.repeat}, load {os.getloadavg()}")
    for name in versions:
        one = statistics.median(r["critical"] for r in runs[(name, args.jobs[0])])
        for jobs in args.jobs:
            results = runs[(name, jobs)]
            critical = statistics.median(r["critical"] for r in results)
            before = statistics.median(r["before checks"] for r in results)
            ratio = f"  speed-up {one / critical:.2f}x" if jobs != args.jobs[0] else ""
            print(
                f"  {name:6} --jobs {jobs}: critical path {critical:.2f} s (parent "
                f"{statistics.median(r['parent'] for r in results):.2f} s, of it "
                f"{before:.2f} s before the checks fork){ratio}"
            )


if __name__ == "__main__":
    main()
