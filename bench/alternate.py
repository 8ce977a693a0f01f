"""Before/after timings of the command line on one file, runs alternating (not a test).

    python bench/alternate.py FILE --before SRC [--jobs 1 2] [--repeat 5]

``SRC`` is the ``src`` folder of another checkout (e.g. ``git archive BASE src | tar -x``
into /tmp): its runs put it first on ``PYTHONPATH``, the "after" runs use this checkout's.
Each round runs every (version, jobs) pair once, in that order, so that a machine whose
speed drifts within minutes slows both versions alike. Printed per pair: the medians of
wall time and of CPU time (user + system, the whole process tree: the parent and its
helpers), and the speed-up of every job count over one job, of wall time, per version.
Every run writes its JSON report; the script stops if two runs' reports differ (the
report must be byte-identical whatever the version and the job count).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "src"


def one_run(src: Path, path: str, jobs: int, report: Path) -> tuple[float, float]:
    """(wall, CPU) of one CLI run in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pcocheck", "validate", path, "--jobs", str(jobs)]
    command += ["--no-progress", "--fail-on", "never", "-f", "json", "-o", str(report)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--before", required=True, type=Path)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    versions = {"before": args.before.resolve(), "after": HERE}
    times: dict[tuple[str, int], list[tuple[float, float]]] = {}
    reference: bytes | None = None
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        for _ in range(args.repeat):
            for name, src in versions.items():
                for jobs in args.jobs:
                    times.setdefault((name, jobs), []).append(one_run(src, args.file, jobs, report))
                    text = report.read_bytes()
                    if reference is None:
                        reference = text
                    elif text != reference:
                        sys.exit(f"{name} --jobs {jobs}: the report differs")
    print(f"{os.path.basename(args.file)}: medians of {args.repeat}, load {os.getloadavg()}")
    for name in versions:
        one = statistics.median(w for w, _ in times[(name, args.jobs[0])])
        for jobs in args.jobs:
            walls = [w for w, _ in times[(name, jobs)]]
            cpus = [c for _, c in times[(name, jobs)]]
            wall = statistics.median(walls)
            ratio = f"  {one / wall:.2f}x" if jobs != args.jobs[0] else ""
            print(
                f"  {name:6} --jobs {jobs}: wall {wall:.2f} s (min {min(walls):.2f}), "
                f"CPU {statistics.median(cpus):.2f} s{ratio}"
            )


if __name__ == "__main__":
    main()
