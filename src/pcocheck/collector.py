"""Pausing Python's cyclic garbage collector around phases that build many long-lived
objects and free none.

Merging workers' results and rebuilding PCO facts each create a few tracked objects per
resource that live until the phase ends; the collector would walk the growing heap again
and again to free nothing (measured: about 40% of the parent's CPU while merging 100,000
NDJSON records, about a third of the cross-resource phase). Objects freed meanwhile are
freed by reference counting as always; cycles wait for the collector to resume, and
processes forked meanwhile inherit the pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations (net of frees) between young collections when pcocheck owns the process.
# Most of a run's objects die by reference counting; the default 700 made about 120
# young and one full collection per run, 50-65 ms that found little to free: a tenth of
# a 1,000-record run. Ten thousand leaves a handful, with the same peak memory.
COMMAND_LINE_THRESHOLD = (10_000, 10, 10)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (the previous state comes back)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def tune_for_command_line() -> None:
    """Collect cycles less often: for the command line only, which owns its process (the
    Python API leaves an application's collector settings alone)."""
    gc.set_threshold(*COMMAND_LINE_THRESHOLD)


__all__ = ["COMMAND_LINE_THRESHOLD", "collector_paused", "tune_for_command_line"]
