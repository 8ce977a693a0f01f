"""Microseconds per offline terminology check (not a test; prints a small table).

    python bench/bench_terminology.py [--repeat 5]

Definitions come from profiles/ and fixtures/terminology/definitions (profiles/ wins).
Each row is the median of --repeat runs; "first sight" rows use codes never seen before
in the run, so they include syntax checks, check digits and message building; "repeat"
rows are what a corpus with recurring codes costs (the per-run memo answers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pcocheck.terminology import TerminologyService
from pcocheck.terminology.syntax import loinc_check_digit, verhoeff_digit

ROOT = Path(__file__).resolve().parent.parent
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
PCO_VS = "http://hl7.org/fhir/us/pco/ValueSet/"
PCO_CS = "http://hl7.org/fhir/us/pco/CodeSystem/"


class Registry:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        for folder in (ROOT / "fixtures" / "terminology" / "definitions", ROOT / "profiles"):
            for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and isinstance(data.get("url"), str):
                    self.items[(str(data.get("resourceType")), data["url"])] = data

    def value_set(self, url: str) -> dict[str, Any] | None:
        return self.items.get(("ValueSet", url))

    def code_system(self, url: str) -> dict[str, Any] | None:
        return self.items.get(("CodeSystem", url))


def loinc_codes(n: int) -> list[str]:
    return [f"{k}-{loinc_check_digit(str(k))}" for k in range(20000, 20000 + n)]


def sctids(n: int) -> list[str]:
    return [f"{k}00{verhoeff_digit(f'{k}00')}" for k in range(100000, 100000 + n)]


def per_call(label: str, calls: int, run: Callable[[], None], repeat: int) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - start) / calls / 1000)
    print(f"{label:<62} {statistics.median(samples):8.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-n", type=int, default=20000)
    args = parser.parse_args()
    registry = Registry()
    n = args.n
    prom = PCO_VS + "prom-target-measures"
    gas = "http://loinc.org/vs/LL6900-6"
    cats = PCO_VS + "pco-categories"

    warm = TerminologyService(registry)
    warm.check_binding(
        value_set=gas,
        strength="required",
        system=LOINC,
        code="LA34481-4",
        display="Expected outcome",
    )

    def repeat_member() -> None:
        for _ in range(n):
            warm.check_binding(
                value_set=gas,
                strength="required",
                system=LOINC,
                code="LA34481-4",
                display="Expected outcome",
            )

    def repeat_cc() -> None:
        codings = [
            (SCT, "404684003", None),
            (PCO_CS + "pco-concepts-temporary", "wellbeing", "Well-Being"),
        ]
        for _ in range(n):
            warm.check_codeable_concept(
                value_set=cats, strength="required", codings=codings, text=None
            )

    def is_member() -> None:
        codes = ("44261-6", "70274-6", "8302-2", "LA6568-5")
        for i in range(n):
            warm.is_member(prom, LOINC, codes[i & 3])

    new_loinc = loinc_codes(n)
    new_sct = sctids(n)
    displays = [f"PHQ-9 total score {i}" for i in range(n)]

    def first_sight_loinc() -> None:
        service = TerminologyService(registry)
        service.expand(prom)  # compile outside the loop
        for code in new_loinc:
            service.check_binding(value_set=prom, strength="extensible", system=LOINC, code=code)

    def first_sight_member() -> None:
        service = TerminologyService(registry)
        service.expand(prom)
        for display in displays:
            # a new display each time defeats the memo; the code is a member
            service.check_binding(
                value_set=prom, strength="extensible", system=LOINC, code="44261-6", display=display
            )

    def first_sight_snomed() -> None:
        service = TerminologyService(registry)
        for code in new_sct:
            service.check_code_syntax(SCT, code, None)

    start = time.perf_counter()
    TerminologyService(registry).expand(prom)
    compile_ms = (time.perf_counter() - start) * 1000

    print(f"terminology offline checks, n={n}, median of {args.repeat} runs")
    print(f"{'compile prom-target-measures (34 codes) once per run':<62} {compile_ms:8.2f} ms")
    per_call("check_binding, required, member, repeat", n, repeat_member, args.repeat)
    per_call("check_codeable_concept, 2 codings, repeat", n, repeat_cc, args.repeat)
    per_call("is_member, enumerated value set", n, is_member, args.repeat)
    per_call(
        "check_binding, member, new display each time (display check)",
        n,
        first_sight_member,
        args.repeat,
    )
    per_call(
        "check_binding, new LOINC code each time (check digit, miss)",
        n,
        first_sight_loinc,
        args.repeat,
    )
    per_call(
        "check_code_syntax, new SNOMED CT id each time (Verhoeff)",
        n,
        first_sight_snomed,
        args.repeat,
    )


if __name__ == "__main__":
    main()
