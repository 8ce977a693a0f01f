"""Cold start of the command line: medians of wall and CPU time of whole processes.

    python bench/cold_start.py [--runs 9] [--script PATH | --src DIR]

Runs ``pcocheck validate fixtures/journeys/gas-goal-journey.json -q``, ``pcocheck --version``
and ``pcocheck --help`` as fresh processes (through the installed console script when it
exists, else ``python -m pcocheck``) and prints the median wall time, the median CPU time
(user + sys of the child, which other jobs on a shared machine disturb less) and the sum
of top-level import times that ``-X importtime`` reports for the validate run.

Bytecode: a wheel install compiles ``.pyc`` files; an editable checkout run with
``PYTHONDONTWRITEBYTECODE=1`` recompiles every module of ``src/`` on every start. This
script writes the bytecode once (a warm-up run without that variable) and measures with
it in place, like an installed copy. ``--src DIR`` measures another checkout's
``src`` (for example a ``git worktree`` of the commit before a change) with this
interpreter's dependencies, through ``python -m pcocheck``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_BUNDLE = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"


def command_prefix(script: str | None) -> list[str]:
    if script:
        return [script]
    candidate = Path(sys.executable).with_name("pcocheck")
    return [str(candidate)] if candidate.exists() else [sys.executable, "-m", "pcocheck"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_total_ms(env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pcocheck", "validate", str(SMALL_BUNDLE)],
        env=env,
        capture_output=True,
        text=True,
    )
    total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        if not name.startswith("  "):  # top level: one space, then the name
            total += int(cumulative)
    return total / 1000


def compare(before_src: Path, runs: int, before_python: str) -> None:
    """Validate runs of two source trees, alternating, so load on a shared machine hits
    both alike; both through ``python -m pcocheck`` with bytecode in place."""
    arguments = ["-m", "pcocheck", "validate", str(SMALL_BUNDLE), "-q"]
    pythons = {"before": before_python, "after": sys.executable}
    trees = {"before": before_src.resolve(), "after": ROOT / "src"}
    envs = {}
    for label, src in trees.items():
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPATH"] = str(src)
        envs[label] = env
        timed([pythons[label], *arguments], env)  # warm-up: bytecode
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
    for _ in range(runs):
        for label in trees:
            samples[label].append(timed([pythons[label], *arguments], envs[label]))
    print(f"validate (9-entry Bundle), alternating, medians of {runs} runs each")
    for label, values in samples.items():
        walls = [w for w, _ in values]
        cpus = [c for _, c in values]
        print(
            f"  {label:<7} {trees[label]} ({pythons[label]}): "
            f"wall {statistics.median(walls):.3f} s   "
            f"CPU {statistics.median(cpus):.3f} s   (min wall {min(walls):.3f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--script", help="the console script to run (default: next to python)")
    parser.add_argument("--src", help="run the pcocheck package found in this src folder")
    parser.add_argument(
        "--compare",
        metavar="SRC",
        help="alternate validate runs of this src folder (before) and this checkout (after)",
    )
    parser.add_argument(
        "--before-python",
        metavar="PYTHON",
        help="with --compare: the interpreter (virtual environment) of the before runs",
    )
    args = parser.parse_args()
    if args.compare:
        compare(Path(args.compare), args.runs, args.before_python or sys.executable)
        return
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    prefix = command_prefix(args.script)
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
        prefix = [sys.executable, "-m", "pcocheck"]
    cases = {
        "validate (9-entry Bundle)": [*prefix, "validate", str(SMALL_BUNDLE), "-q"],
        "--version": [*prefix, "--version"],
        "--help": [*prefix, "--help"],
    }
    for command in cases.values():  # warm-up: writes the bytecode, fills the page cache
        timed(command, env)
    print(f"{' '.join(prefix)}; medians of {args.runs} runs")
    for label, command in cases.items():
        walls, cpus = zip(*(timed(command, env) for _ in range(args.runs)), strict=True)
        print(
            f"  {label:<28} wall {statistics.median(walls):.3f} s   "
            f"CPU {statistics.median(cpus):.3f} s   (min wall {min(walls):.3f} s)"
        )
    print(
        f"  imports of the validate run (-X importtime, top level): {import_total_ms(env):.0f} ms"
    )


if __name__ == "__main__":
    main()
