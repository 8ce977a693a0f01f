"""CPU time per resource of two source trees on the same corpora, measured side by side
(not a test).

    git archive BASE | tar -x -C /tmp/before   # the whole tree: src/ and profiles/
    python bench/before_after.py --before-src /tmp/before/src CORPUS... [--rounds 3]

Each measurement is a fresh interpreter that imports pcocheck from one tree (``PYTHONPATH``),
checks the first 200 resources of the corpus once (warm-up: definitions loaded, slots
compiled), then times ``--runs`` whole runs (``Run(config, build_checkers(config))``, one
job, in process, as ``bench/measure.py`` does) with ``time.process_time()`` and keeps the
median. The "before" and "after" processes of one corpus run at the same time, so that
both meet the same machine state (on a shared machine the speed drifts by up to 1.8x
within minutes, which sequential before/after runs turn into noise); rounds repeat this.
Printed per corpus: the medians over the rounds, resources/s, and the after/before ratio
of each round (below 1: the after tree is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WARM_UP_RESOURCES = 200


def child(corpus: Path, runs: int) -> None:
    """In the measuring interpreter: warm up, time ``runs`` runs, print one JSON line."""
    import time

    from pcocheck.config import RunConfig
    from pcocheck.runner import Run, build_checkers

    findings = 0

    def once(path: Path) -> int:
        nonlocal findings
        config = RunConfig(paths=(str(path),))
        result = Run(config, build_checkers(config)).execute()
        findings = len(result.findings)
        return result.resources

    with tempfile.TemporaryDirectory(prefix="pcocheck-warm-") as folder:
        sample = Path(folder) / corpus.name
        if corpus.suffix == ".ndjson":
            with corpus.open(encoding="utf-8") as source:
                head = [next(source, "") for _ in range(WARM_UP_RESOURCES)]
            sample.write_text("".join(head), encoding="utf-8")
        else:
            data = json.loads(corpus.read_text(encoding="utf-8"))
            data["entry"] = (data.get("entry") or [])[:WARM_UP_RESOURCES]
            sample.write_text(json.dumps(data), encoding="utf-8")
        once(sample)
    cpu: list[float] = []
    resources = 0
    for _ in range(runs):
        start = time.process_time()
        resources = once(corpus)
        cpu.append(time.process_time() - start)
    summary = {"resources": resources, "findings": findings, "cpu": cpu}
    print(json.dumps({**summary, "median": statistics.median(cpu)}))


def start(src: str, corpus: Path, runs: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = src
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(corpus)]
    command += ["--runs", str(runs)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd="/")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpora", nargs="+", type=lambda text: Path(text).resolve())
    parser.add_argument("--before-src", help="the other tree's src folder")
    parser.add_argument("--after-src", default=str(ROOT / "src"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.corpora[0], args.runs)
        return
    if not args.before_src:
        parser.error("--before-src is required")
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for round_number in range(args.rounds):
        for corpus in args.corpora:
            # small corpora: more runs, so that each process measures for about as long
            runs = args.runs * 4 if corpus.stat().st_size < 2_000_000 else args.runs
            pair = {
                "before": start(args.before_src, corpus, runs),
                "after": start(args.after_src, corpus, runs),
            }
            for variant, process in pair.items():
                out, _ = process.communicate()
                if process.returncode != 0:
                    raise SystemExit(f"{variant} failed on {corpus}")
                line = json.loads(out.strip().splitlines()[-1])
                results.setdefault(corpus.name, {}).setdefault(variant, []).append(line)
            found = {v: results[corpus.name][v][-1].get("findings") for v in pair}
            if found["before"] != found["after"]:
                # Not the same work: e.g. a tree extracted without its profiles/ folder
                # (the shipped PCO definitions), which then checks no PCO profile at all.
                raise SystemExit(f"{corpus.name}: the trees report different findings {found}")
            load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"round {round_number + 1}, {corpus.name}: load {load}", flush=True)
    for name, variants in results.items():
        before, after = variants["before"], variants["after"]
        resources = before[0]["resources"]
        b = statistics.median(r["median"] for r in before)
        a = statistics.median(r["median"] for r in after)
        ratios = [y["median"] / x["median"] for x, y in zip(before, after, strict=True)]
        print(
            f"{name}: {resources:,} resources; before {b:.3f} s CPU ({resources / b:,.0f}/s), "
            f"after {a:.3f} s ({resources / a:,.0f}/s), {100 * (a / b - 1):+.1f}%; "
            f"after/before per round: {', '.join(f'{r:.3f}' for r in ratios)}"
        )


if __name__ == "__main__":
    main()
