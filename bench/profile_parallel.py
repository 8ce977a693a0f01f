"""cProfile of every process of one parallel run (not a test).

    python bench/profile_parallel.py FILE [--jobs 2] [--out DIR] [--top 25]

Profiles (CPU time) the parent (the whole run: start-up, first pass merge, its own shards, the
reduce, finish), each helper of the checking pass (:class:`pcocheck.parallel.team.Team`),
each worker of the first pass's pool and each helper of the finish fan-out, and writes
one ``.prof`` file per process into DIR (``pstats``/snakeviz read them). Prints the
top functions by own time of the parent and of the busiest helper, and each process's
total profiled time, so the parallel overhead (pickling, merging, warm-up) shows beside
the checks themselves. Profiling slows everything about twofold: compare shares, not
seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="/tmp/pcocheck-profiles")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith(".prof"):
            os.remove(os.path.join(args.out, name))

    parent = cProfile.Profile(time.process_time)
    parent.enable()
    from pcocheck import parallel
    from pcocheck.config import RunConfig
    from pcocheck.parallel.team import Fanout
    from pcocheck.runner import validate_config

    def in_child(kind: str, real: Any) -> Any:
        """``real`` profiled in a forked process, dumped after every call (pool workers
        may end without running exit handlers)."""
        profiles: dict[int, cProfile.Profile] = {}

        def wrapped(*a: Any, **k: Any) -> Any:
            pid = os.getpid()
            profile = profiles.get(pid)
            if profile is None:
                parent.disable()  # the copy inherited from the parent: not this process's
                profile = profiles[pid] = cProfile.Profile(time.process_time)
            profile.enable()
            try:
                return real(*a, **k)
            finally:
                profile.disable()
                profile.dump_stats(os.path.join(args.out, f"{kind}-{pid}.prof"))

        return wrapped

    Fanout._helper = in_child("helper", Fanout._helper)  # type: ignore[method-assign]
    parallel.index_shard = in_child("index", parallel.index_shard)  # type: ignore[assignment]
    started = time.perf_counter()
    result = validate_config(RunConfig(paths=(args.file,), jobs=args.jobs))
    parent.disable()
    parent.dump_stats(os.path.join(args.out, "parent.prof"))
    print(
        f"{len(result.findings)} findings, {time.perf_counter() - started:.1f} s wall",
        file=sys.stderr,
    )
    totals = []
    for name in sorted(os.listdir(args.out)):
        if name.endswith(".prof"):
            stats = pstats.Stats(os.path.join(args.out, name))
            totals.append((name, stats.total_tt))  # type: ignore[attr-defined]
    for name, total in totals:
        print(f"{name}: {total:.2f} s profiled")
    helpers = [t for t in totals if t[0].startswith("helper")]
    for name in ["parent.prof"] + ([max(helpers, key=lambda t: t[1])[0]] if helpers else []):
        print(f"\n== {name}: top {args.top} by own time")
        pstats.Stats(os.path.join(args.out, name)).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
