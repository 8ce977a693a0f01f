"""Bytes a run keeps per resource until its cross-resource phase (tracemalloc).

    head -n 20000 bench/out/corpus-100k.ndjson > bench/out/corpus-20k.ndjson
    head -n 50000 bench/out/corpus-100k.ndjson > bench/out/corpus-50k.ndjson
    python bench/retained_memory.py bench/out/corpus-20k.ndjson bench/out/corpus-50k.ndjson

For each NDJSON file: one run (one job) in a process of its own; the traced memory at the
start of ``PcoRules.finish`` (after a full collection) minus the memory before the run,
divided by the number of records; and the highest traced memory of the whole run (the
cross-resource phase and the findings included) the same way. With two or more files (of
different sizes, from the same generator), the slope between the smallest and the largest
is printed too: it leaves out what does not grow with the input (definitions, bounded
caches), so it is the figure to extrapolate to a larger export. Below about 20,000 records
the bounded caches are still filling and the slope is too high. tracemalloc slows the run
about 2x.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.rules import PcoRules
from pcocheck.runner import Run, build_checkers


def retained(path: Path) -> tuple[int, int, int]:
    """(records, bytes retained at the start of the cross-resource phase, highest bytes
    traced during the run)."""
    records = sum(1 for line in path.open(encoding="utf-8") if line.strip())
    at_finish: list[int] = []
    original = PcoRules.finish

    def finish(self: PcoRules) -> Iterator[Finding]:
        gc.collect()
        at_finish.append(tracemalloc.get_traced_memory()[0])
        return original(self)

    PcoRules.finish = finish  # type: ignore[method-assign]
    try:
        config = RunConfig(paths=(str(path),))
        run = Run(config, build_checkers(config))
        gc.collect()
        tracemalloc.start(1)
        base = tracemalloc.get_traced_memory()[0]
        run.execute()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        PcoRules.finish = original  # type: ignore[method-assign]
    return records, at_finish[0] - base, peak - base


def in_own_process(path: Path) -> tuple[int, int, int]:
    """:func:`retained` in a fresh interpreter: what an earlier run loaded is not counted."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(path)], capture_output=True, text=True, check=True
    )
    records, size, peak = done.stdout.split()
    return int(records), int(size), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(*retained(args.files[0]))
        return
    results = sorted(in_own_process(path) for path in args.files)
    for records, size, peak in results:
        print(
            f"{records} records: {size / records:.0f} bytes retained per record, "
            f"{peak / records:.0f} at the peak"
        )
    if len(results) > 1 and results[-1][0] > results[0][0]:
        (small_n, small, small_peak), (large_n, large, large_peak) = results[0], results[-1]
        print(
            f"slope: {(large - small) / (large_n - small_n):.0f} bytes per record retained, "
            f"{(large_peak - small_peak) / (large_n - small_n):.0f} at the peak"
        )


if __name__ == "__main__":
    main()
