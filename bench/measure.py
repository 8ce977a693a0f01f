"""Time one tool over one corpus file and print one JSON line (used by run_all.py).

    python bench/measure.py TOOL FILE [--repeat N]

TOOL is one of the names in ``TOOLS``. The timed part of each run is: read the file,
parse its JSON, check every resource the way the tool is meant to be used (see
``WHAT_IS_CHECKED`` in run_all.py). Imports and one-time set-up (loading a validator's
configuration) happen before the clock starts and once per process; a warm-up run on
the first 200 resources happens first, so lazily loaded definitions are in memory.
``median`` is wall-clock time, ``cpu_median`` the CPU time of the process (all its
threads), which other jobs on a shared machine disturb less. ``maxrss_kb`` is this
process's peak resident memory at the end (all runs).

Every tool that is not installed in the running interpreter reports ``"missing"``;
the peers live in their own virtual environment (bench/.venv-peers, see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"

Runner = Callable[[Path], tuple[int, int]]  # file -> (resources, issues)


def records(path: Path) -> Iterator[dict[str, Any]]:
    """The resources of an NDJSON file, or the entry resources of one Bundle."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
        return
    data = json.loads(text)
    if data.get("resourceType") == "Bundle":
        for entry in data.get("entry") or []:
            if isinstance(entry.get("resource"), dict):
                yield entry["resource"]
    else:
        yield data


def floor(path: Path) -> tuple[int, int]:
    return sum(1 for _ in records(path)), 0


def pcocheck_in_process(path: Path) -> tuple[int, int]:
    from pcocheck.config import RunConfig
    from pcocheck.finding import Severity
    from pcocheck.runner import Run, build_checkers

    config = RunConfig(paths=(str(path),))
    result = Run(config, build_checkers(config)).execute()
    errors = sum(1 for finding in result.findings if finding.severity >= Severity.ERROR)
    return result.resources, errors


def fhir_resources(path: Path) -> tuple[int, int]:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    count = issues = 0
    if path.suffix == ".ndjson":
        for item in records(path):
            count += 1
            try:
                get_fhir_model_class(item["resourceType"]).model_validate(item)
            except ValidationError as error:
                issues += error.error_count()
        return count, issues
    data = json.loads(path.read_text(encoding="utf-8"))
    try:  # the Bundle model parses every entry's resource with its own model
        get_fhir_model_class("Bundle").model_validate(data)
    except ValidationError as error:
        issues += error.error_count()
    return len(data.get("entry") or []), issues


def fhirkit_one_core(path: Path) -> tuple[int, int]:
    import fhirkit

    if path.suffix == ".ndjson":
        count = issues = 0
        for item in records(path):
            count += 1
            issues += sum(1 for i in fhirkit.validate(item) if i.severity == "error")
        return count, issues
    data = json.loads(path.read_text(encoding="utf-8"))
    found = fhirkit.validate(data)
    return len(data.get("entry") or []), sum(1 for i in found if i.severity == "error")


def fhirkit_all_cores(path: Path) -> tuple[int, int]:
    import fhirkit

    if path.suffix == ".ndjson":
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        parsed = fhirkit.parse_many(lines, threads=0)  # raw text in: it parses in Rust
        issues = sum(1 for r in parsed for i in r.issues if i.severity == "error")
        return len(parsed), issues
    text = path.read_bytes()
    parsed_one = fhirkit.parse(text)
    return len(json.loads(text).get("entry") or []), len(parsed_one.issues)


_PYFHIRCHECK: Any = None


def pyfhircheck(path: Path) -> tuple[int, int]:
    global _PYFHIRCHECK
    from pyfhircheck import Validator
    from pyfhircheck.config import ValidatorConfig

    if _PYFHIRCHECK is None:
        config = ValidatorConfig.load_dict(
            {
                "fhirVersion": "4.0.1",
                "localPackagePaths": [str(PROFILES)],
                "terminology": {"mode": "local"},
            }
        )
        _PYFHIRCHECK = Validator(config)
    validator = _PYFHIRCHECK
    if path.suffix == ".ndjson":  # no NDJSON input: one resource at a time, its library API
        count = issues = 0
        for item in records(path):
            count += 1
            issues += len(validator.validate_resource(item).errors)
        return count, issues
    # validate_resource refuses JSON over 1 MB; a Bundle file goes through validate_path
    report = validator.validate_path(path)
    entries = len(json.loads(path.read_text(encoding="utf-8")).get("entry") or [])
    return entries, len(report.errors)


_HL7FHIRGEN: dict[str, Any] = {}


def hl7fhirgen(path: Path) -> tuple[int, int]:
    from hl7fhirgen.structure_definition import load_structure_definition
    from hl7fhirgen.validator import validate_resource

    if not _HL7FHIRGEN:
        for file in sorted(PROFILES.glob("StructureDefinition-*.json")):
            raw = json.loads(file.read_text(encoding="utf-8"))
            if raw.get("kind") == "resource":
                _HL7FHIRGEN[raw["url"]] = load_structure_definition(str(file))
    count = issues = 0
    for item in records(path):
        count += 1
        for url in (item.get("meta") or {}).get("profile") or []:
            definition = _HL7FHIRGEN.get(url)
            if definition is not None:
                found = validate_resource(item, definition).issues
                issues += sum(1 for i in found if i.severity == "error")
    return count, issues


TOOLS: dict[str, Runner] = {
    "floor": floor,
    "pcocheck": pcocheck_in_process,
    "fhir.resources": fhir_resources,
    "fhirkit-rs": fhirkit_one_core,
    "fhirkit-rs-all-cores": fhirkit_all_cores,
    "pyfhircheck": pyfhircheck,
    "hl7fhirgen": hl7fhirgen,
}


def warm_up(tool: Runner, path: Path) -> None:
    """One untimed run on a small slice, so lazy loading is not timed."""
    sample = path.with_name(f".warmup-{path.stem}{path.suffix}")
    if path.suffix == ".ndjson":
        with path.open(encoding="utf-8") as source:
            head = [next(source, "") for _ in range(200)]
        sample.write_text("".join(head), encoding="utf-8")
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["entry"] = (data.get("entry") or [])[:200]
        sample.write_text(json.dumps(data), encoding="utf-8")
    try:
        tool(sample)
    finally:
        sample.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tool", choices=sorted(TOOLS))
    parser.add_argument("file", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--drop-native",
        default="",
        help="comma-separated invariant keys to send through fhirpathpy again (before/after)",
    )
    args = parser.parse_args()
    if args.drop_native:
        from pcocheck.engine.invariants_native import NATIVE_BY_EXPRESSION

        dropped = set(args.drop_native.split(","))
        for key_and_expression in [k for k in NATIVE_BY_EXPRESSION if k[0] in dropped]:
            del NATIVE_BY_EXPRESSION[key_and_expression]
    tool = TOOLS[args.tool]
    out: dict[str, Any] = {"tool": args.tool, "file": args.file.name}
    if args.drop_native:
        out["dropped_natives"] = args.drop_native
    try:
        warm_up(tool, args.file)
    except ImportError as error:
        out["missing"] = str(error)
        print(json.dumps(out))
        return
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        count, issues = tool(args.file)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)  # all threads of this process
    out.update(
        resources=count,
        issues=issues,
        seconds=times,
        median=statistics.median(times),
        cpu_seconds=cpu,
        cpu_median=statistics.median(cpu),
        maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        python=sys.version.split()[0],
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
