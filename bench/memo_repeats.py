"""What the engine memo (pcocheck.engine.memo) gains on repetitive content, and what it
costs where values rarely repeat.

Runs one job in process, in a fresh interpreter per measurement: warm-up once on
fixtures/journeys/gas-goal-journey.json, then ``time.process_time()`` of one
``validate_config`` over the corpus. Variants:

- ``on``: this checkout, memo as shipped;
- ``off``: this checkout with the memo switched off for the run (``Memo.worth_trying``
  patched to answer False: no value is rendered, looked up or remembered; what remains is
  that one call per memo slot);
- ``before``: another source tree (``--before-src``, e.g. an extracted commit from before
  the memo; it also lacks any later speed-up, so it is not a pure memo comparison).

Rounds alternate the variants and corpora (the machine is shared); medians are printed,
with the hit rate of the memo (hits / lookups over every slot) and the slots that stopped
trying (few repeats after the trial, see ``Memo``) for ``on``, and the load average at the
start and end.

    python bench/make_corpus.py --resources 10000 --out /tmp/c-10k.ndjson
    python bench/make_corpus.py --resources 10000 --vary --out /tmp/v-10k.ndjson
    python bench/memo_repeats.py /tmp/c-10k.ndjson /tmp/v-10k.ndjson --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"


def one(corpus: str, variant: str) -> None:
    """Child: warm up, validate ``corpus`` once, print a JSON line."""
    import pcocheck
    from pcocheck.config import RunConfig
    from pcocheck.runner import validate_config

    memos: list[object] = []
    if variant in ("on", "off"):
        from pcocheck.engine import memo

        if variant == "off":
            memo.Memo.worth_trying = lambda self: False  # type: ignore[method-assign]
        original_init = memo.Memo.__init__

        def counted_init(self: memo.Memo) -> None:
            original_init(self)
            memos.append(self)

        memo.Memo.__init__ = counted_init  # type: ignore[method-assign]
    validate_config(RunConfig(paths=(str(WARM_UP),)))
    before = [(m.tries, m.hits) for m in memos]  # type: ignore[attr-defined]
    start = time.process_time()
    result = validate_config(RunConfig(paths=(corpus,)))
    cpu = time.process_time() - start
    earlier = before + [(0, 0)] * (len(memos) - len(before))
    used = [m for m, (t, _) in zip(memos, earlier, strict=True) if m.tries > t]  # type: ignore[attr-defined]
    tries = sum(m.tries for m in memos) - sum(t for t, _ in before)  # type: ignore[attr-defined]
    hits = sum(m.hits for m in memos) - sum(h for _, h in before)  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "cpu": cpu,
                "resources": result.resources,
                "findings": len(result.findings),
                "tries": tries,
                "hits": hits,
                # slots that looked values up in the timed run, and those that stopped
                "slots": len(used),
                "stopped": sum(1 for m in used if not m.worth_trying()),  # type: ignore[attr-defined]
                "module": pcocheck.__file__,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpora", nargs="*")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variants", default="on,off", help="comma list: on, off, before")
    parser.add_argument("--before-src", type=Path, help="src/ of the 'before' tree")
    parser.add_argument("--one", nargs=2, metavar=("CORPUS", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    variants = args.variants.split(",")
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for round_number in range(args.rounds):
        for corpus in args.corpora:
            order = variants if round_number % 2 == 0 else variants[::-1]
            for variant in order:
                src = args.before_src if variant == "before" else ROOT / "src"
                env = {**os.environ, "PYTHONPATH": str(src)}
                child = [sys.executable, __file__, "--one", corpus, variant]
                line = subprocess.run(
                    child, env=env, check=True, capture_output=True, text=True
                ).stdout.splitlines()[-1]
                measured = json.loads(line)
                runs.setdefault((corpus, variant), []).append(measured)
                print(
                    f"round {round_number + 1} {Path(corpus).name} {variant}: "
                    f"{measured['cpu']:.3f} s CPU ({measured['module']})",
                    flush=True,
                )
    print(f"load average at end: {os.getloadavg()}")
    print(
        "| corpus | variant | resources | findings | CPU s (median) | resources/s "
        "| hit rate | slots stopped |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (corpus, variant), measured in runs.items():
        cpu = statistics.median(m["cpu"] for m in measured)
        first = measured[0]
        rate = f"{first['hits'] / first['tries']:.0%}" if first["tries"] else "-"
        stopped = f"{first['stopped']} of {first['slots']}" if first["tries"] else "-"
        print(
            f"| {Path(corpus).name} | {variant} | {first['resources']} | {first['findings']} "
            f"| {cpu:.3f} | {first['resources'] / cpu:,.0f} | {rate} | {stopped} |"
        )


if __name__ == "__main__":
    main()
