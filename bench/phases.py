"""Where one run's wall time goes, phase by phase (not a test).

    python bench/phases.py FILE [--jobs 1 2]

Each run is a fresh process (imports count, as in the command line). Printed per run: the
wall time at which each phase ends — start-up (imports, definitions), the first pass (the
run-wide index), the checking pass, the end-of-run checks (``finish``) — and the
parent's CPU time then. With one job every phase is serial; with several, start-up, a
held document's first pass and merging are the serial parts that bound the speed-up
(Amdahl: with a serial share ``s`` of one job's time, N cores give at most
``1 / (s + (1 - s) / N)``). The bound printed for a ``--jobs N`` run takes as serial what
ran before the first fork: start-up and, for a single JSON document, its first pass.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any


def child(path: str, jobs: int, through_api: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    marks: dict[str, tuple[float, float]] = {}

    def mark(name: str) -> None:
        marks.setdefault(name, (time.perf_counter() - started, time.process_time()))

    from pcocheck import parallel, runner
    from pcocheck.config import RunConfig

    def before(owner: Any, name: str, label: str) -> None:
        real = getattr(owner, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            mark(label)
            return real(*args, **kwargs)

        setattr(owner, name, wrapped)

    before(runner.Run, "prescan", "start-up")
    before(parallel, "_merge_indexes", "start-up")
    before(parallel, "_check_with_helpers", "first pass")
    before(runner.Run, "check_input", "first pass")
    before(runner.Run, "finish", "checks")
    config = RunConfig(paths=(path,), jobs=jobs)
    if through_api:  # the command line's way (an NDJSON first pass may start earlier)
        from pcocheck import api

        result = api.validate_config(config).result
    else:
        result = runner.validate_config(config)
    mark("finish")
    return {"jobs": jobs, "marks": marks, "findings": len(result.findings)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--api", action="store_true", help="run through pcocheck.api as the command line does"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.file, args.child, args.api)))
        return
    one: dict[str, float] = {}
    for jobs in args.jobs:
        command = [sys.executable, __file__, args.file, "--child", str(jobs)]
        command += ["--api"] if args.api else []
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        data = json.loads(done.stdout.strip().splitlines()[-1])
        marks = data["marks"]
        ends = {name: wall for name, (wall, _) in marks.items()}
        cells = "  ".join(
            f"{name} {wall:6.2f} s (CPU {cpu:6.2f})" for name, (wall, cpu) in marks.items()
        )
        print(f"--jobs {jobs}: {cells}  [{data['findings']} findings]")
        if jobs == 1:
            one = ends
        elif one:
            serial = ends.get("first pass", 0.0) if args.file.endswith(".json") else 0.0
            serial = max(serial, ends.get("start-up", 0.0))
            share = serial / one["finish"]
            bound = 1 / (share + (1 - share) / jobs)
            print(
                f"  serial before the first fork {serial:.2f} s of one job's "
                f"{one['finish']:.2f} s: at most {bound:.2f}x on {jobs} cores; "
                f"measured {one['finish'] / ends['finish']:.2f}x"
            )


if __name__ == "__main__":
    main()
