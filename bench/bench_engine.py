"""Quick engine throughput check (not a test; bench/run_all.py is the full benchmark).

    python bench/make_corpus.py --resources 10000 --out bench/out/corpus.ndjson
    python bench/bench_engine.py bench/out/corpus.ndjson --repeat 5

Reports medians of --repeat runs, one core, in resources per second:
- ``json.loads`` of every line: the floor any Python validator pays;
- fhir.resources parse-only (pydantic models; R4B, the closest it has to R4), if installed;
- pcocheck full validation (base + every claimed profile + terminology + invariants) of
  the same records, in process;
- with ``--compare-interpretive``, the same validation through the interpretive walk
  (engine/walker.py) the compiled engine (engine/compiled.py) replaces, and the ratio;
- and the wall time of ``pcocheck validate`` on one small bundle (cold start).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_rate(label: str, count: int, run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    rate = count / median
    print(f"{label:<42} {median * 1000:9.1f} ms  {rate:10.0f} resources/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--compare-interpretive",
        action="store_true",
        help="also time the interpretive walk the compiled engine replaces (same run)",
    )
    args = parser.parse_args()
    lines = [line for line in args.corpus.read_text(encoding="utf-8").splitlines() if line]
    count = len(lines)
    print(f"corpus: {args.corpus} ({count} resources), python {sys.version.split()[0]}")

    floor = median_rate(
        "json.loads (floor)", count, lambda: [json.loads(x) for x in lines], args.repeat
    )

    try:
        from fhir.resources.R4B import get_fhir_model_class

        def parse_models() -> None:
            for line in lines:
                data = json.loads(line)
                get_fhir_model_class(data["resourceType"]).model_validate(data)

        median_rate("fhir.resources 8 R4B parse-only", count, parse_models, args.repeat)
    except ImportError:
        print("fhir.resources not installed (pip install '.[bench]'): skipped")

    from pcocheck.config import RunConfig
    from pcocheck.runner import Run, build_checkers

    config = RunConfig(paths=(str(args.corpus),))

    def validate() -> None:
        result = Run(config, build_checkers(config)).execute()
        assert result.resources == count

    full = median_rate("pcocheck validate (full, in process)", count, validate, args.repeat)
    print(f"{'ratio pcocheck / json.loads floor':<42} {full / floor:9.3f}")

    if args.compare_interpretive:
        from pcocheck.engine.core import ProfileEngine
        from pcocheck.engine.walker import Pass

        def validate_interpretive() -> None:
            checkers = build_checkers(config)
            for checker in checkers:
                if isinstance(checker, ProfileEngine):
                    checker.pass_class = Pass  # the interpretive walk (engine/walker.py)
            result = Run(config, checkers).execute()
            assert result.resources == count

        old = median_rate(
            "pcocheck validate (interpretive walk)", count, validate_interpretive, args.repeat
        )
        print(f"{'ratio compiled / interpretive':<42} {full / old:9.3f}")

    bundle = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"
    starts = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pcocheck", "validate", str(bundle), "-q"],
            capture_output=True,
            check=False,
        )
        starts.append(time.perf_counter() - start)
    cold = statistics.median(starts) * 1000
    print(f"{'cold start: validate one 9-entry bundle':<42} {cold:9.1f} ms wall")


if __name__ == "__main__":
    main()
