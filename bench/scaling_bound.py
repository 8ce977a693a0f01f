"""How fast ``--jobs N`` could be on one input, from one-job runs of its parts (not a test).

    python bench/scaling_bound.py FILE [--jobs 2] [--repeat 3]

FILE (NDJSON, cut by lines, or a Bundle, cut by entries) is cut into N parts of equal
record counts. Each round times, every run in a fresh process on the command line's path
(:func:`phases.child`): the whole input with one job, each part alone with one job, and
the whole input with N jobs. Printed: medians per phase, and

- the **bound**: one job's time over (its serial parts + the slowest part's own work).
  The serial parts are one job's start-up (imports, definitions) and end-of-run phase; a
  part's work is its first pass and checks, as the one-job run of that part measures them.
  That is what N processes would take with no cost at all for forking and handing results
  over: each process of a parallel run sees only its share, so its memos of repeated
  content fill from that share alone, as in the part's own run;
- the **measured** speed-up, and the time the N-job run spent above that ideal (copy-on-write
  after the fork, each helper parsing its records again, results pickled and merged).

Parts of a Bundle lose the references between them (each part reports them unresolved),
so they do slightly different work from the whole; the finding counts are printed.
Interpreter start and the report are outside every run measured (the same in all).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PHASES = Path(__file__).resolve().parent / "phases.py"


def cut(path: Path, parts: int, folder: Path) -> list[Path]:
    """``path`` as ``parts`` files of (nearly) equal record counts, in input order."""
    if path.suffix == ".ndjson":
        lines = path.read_bytes().splitlines(keepends=True)
        pieces = [
            lines[i * len(lines) // parts : (i + 1) * len(lines) // parts] for i in range(parts)
        ]
        texts = [b"".join(piece) for piece in pieces]
    else:
        bundle = json.loads(path.read_bytes())
        entries = bundle.get("entry", [])
        texts = []
        for i in range(parts):
            part = dict(
                bundle, entry=entries[i * len(entries) // parts : (i + 1) * len(entries) // parts]
            )
            texts.append(json.dumps(part).encode())
    out = []
    for number, text in enumerate(texts):
        target = folder / f"part-{number}{path.suffix}"
        target.write_bytes(text)
        out.append(target)
    return out


def timed(path: Path, jobs: int) -> dict[str, Any]:
    """The phase marks of one run (a fresh process, through pcocheck.api)."""
    command = [sys.executable, str(PHASES), str(path), "--child", str(jobs), "--api"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    marks = {name: wall for name, (wall, _cpu) in data["marks"].items()}
    return {"marks": marks, "findings": data["findings"]}


def median_marks(runs: list[dict[str, Any]]) -> dict[str, float]:
    names = runs[0]["marks"].keys()
    return {name: statistics.median(run["marks"][name] for run in runs) for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        parts = cut(args.file, args.jobs, Path(folder))
        whole: list[dict[str, Any]] = []
        parallel: list[dict[str, Any]] = []
        pieces: list[list[dict[str, Any]]] = [[] for _ in parts]
        for _ in range(args.repeat):  # alternating, so that a drifting machine slows all alike
            whole.append(timed(args.file, 1))
            for number, part in enumerate(parts):
                pieces[number].append(timed(part, 1))
            parallel.append(timed(args.file, args.jobs))
    one = median_marks(whole)
    many = median_marks(parallel)
    serial = one["start-up"] + (one["finish"] - one["checks"])
    works = []
    for number, runs in enumerate(pieces):
        marks = median_marks(runs)
        works.append(marks["checks"] - marks["start-up"])
        print(
            f"part {number} alone, one job: start-up {marks['start-up']:.3f} s, first pass and "
            f"checks {works[-1]:.3f} s, finish {marks['finish'] - marks['checks']:.3f} s "
            f"[{runs[0]['findings']} findings]"
        )
    print(
        f"whole, one job: start-up {one['start-up']:.3f} s, first pass and checks "
        f"{one['checks'] - one['start-up']:.3f} s, finish {one['finish'] - one['checks']:.3f} s, "
        f"in all {one['finish']:.3f} s [{whole[0]['findings']} findings]"
    )
    print(
        f"whole, --jobs {args.jobs}: start-up and first pass {many['start-up']:.3f} s, "
        f"checks {many['checks'] - many['start-up']:.3f} s, "
        f"finish {many['finish'] - many['checks']:.3f} s, "
        f"in all {many['finish']:.3f} s [{parallel[0]['findings']} findings]"
    )
    ideal = serial + max(works)
    print(
        f"bound: {one['finish']:.3f} / ({serial:.3f} serial + {max(works):.3f} slowest part) = "
        f"{one['finish'] / ideal:.2f}x; measured {one['finish'] / many['finish']:.2f}x, "
        f"{many['finish'] - ideal:+.3f} s over the ideal (medians of {args.repeat})"
    )


if __name__ == "__main__":
    main()
