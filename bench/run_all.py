"""Run every benchmark in one go and write the Markdown tables (not a test).

    python bench/run_all.py                        # 1k / 10k / 100k NDJSON + the Bundles
    python bench/run_all.py --with-1m              # also the 1,000,000-resource NDJSON (slow)
    python bench/run_all.py --write BENCHMARKS.md  # replace the results block in that file

Corpora are generated (seeded) into bench/out/ by make_corpus.py when missing. Each
throughput cell is the median of --repeat timed runs in a fresh process per tool and
corpus (bench/measure.py); the CLI rows are wall-clock times of whole ``pcocheck
validate`` processes, with their peak RSS. pcocheck and the floor run in this
interpreter; the peers in --peers-python (bench/.venv-peers, see BENCHMARKS.md), where
they are skipped with a note when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
SMALL_BUNDLE = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"
START_MARK = "<!-- bench:results:start -->"
END_MARK = "<!-- bench:results:end -->"

#: Invariants given native implementations in this round (issue 12); before/after rows
#: send them through fhirpathpy again (measure.py --drop-native).
NEW_NATIVES = "us-core-16,us-core-17,org-1,bdl-4,bdl-8,bdl-11,bdl-12"

PEERS = ("fhir.resources", "fhirkit-rs", "fhirkit-rs-all-cores", "pyfhircheck", "hl7fhirgen")

#: What each row checks on this corpus (read from their documentation and code, and
#: probed with broken resources; see BENCHMARKS.md for the probes).
WHAT_IS_CHECKED: dict[str, str] = {
    "floor": "nothing: reads the file and runs `json.loads` on every record",
    "pcocheck": (
        "everything below, plus: R4 base structure, cardinality, types and primitive "
        "syntax; every claimed PCO / US Core profile (slicing, patterns, bindings); offline "
        "terminology; all FHIRPath invariants; references; PCO clinical rules"
    ),
    "fhir.resources": (
        "parse into pydantic R4B models (R4B, not R4): unknown elements, base min/max "
        "cardinality, primitive syntax and calendar dates; no code bindings, no "
        "invariants, no references, no profiles"
    ),
    "fhirkit-rs": (
        "R4 base structure (Rust): unknown elements, base min/max cardinality, choice "
        "types, primitive syntax and calendar dates; no code bindings, no invariants, no "
        "references, no profiles"
    ),
    "fhirkit-rs-all-cores": "as fhirkit-rs; `parse_many(threads=0)`: every core, GIL released",
    "pyfhircheck": (
        "base structure (unknown elements, cardinality, datatype syntax but not calendar "
        "dates), required bindings, local references, per-1, claimed profiles from "
        "profiles/ (cardinality, fixed/pattern, slicing); base invariants such as obs-6 "
        "and profile invariants such as us-core-17 were not checked (base R4 package not "
        "installed offline); NDJSON one resource at a time (no NDJSON input)"
    ),
    "hl7fhirgen": (
        "only the elements the claimed profile's differential names (profiles/ ships no "
        "snapshots): cardinality, fixed/pattern, a few required bindings, primitive "
        "syntax; no base structure, no invariants; slices not told apart (its errors here "
        "are false positives on the GAS goal's five level extensions)"
    ),
}


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def corpus(kind: str, size: int, seed: int) -> Path:
    label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}m"
    args: list[str]
    if kind == "ndjson":
        path = OUT / f"corpus-{label}-s{seed}.ndjson"
        args = ["--resources", str(size)]
    elif kind == "bundle":
        path = OUT / f"bundle-{label}-s{seed}.json"
        args = ["--resources", str(size), "--bundle"]
    else:
        path = OUT / f"linked-{label}-s{seed}.json"
        args = ["--linked-observations", str(size)]
    if not path.exists():
        command = [sys.executable, str(BENCH / "make_corpus.py"), *args]
        subprocess.run([*command, "--seed", str(seed), "--out", str(path)], check=True)
    return path


def measure(
    python: str, tool: str, path: Path, repeat: int, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    command = [python, str(BENCH / "measure.py"), tool, str(path), "--repeat", str(repeat)]
    command += extra
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"tool": tool, "error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {tool:<22} {path.name:<28} {result.get('median', 0):8.2f} s", flush=True)
    return result


_RSS_WRAPPER = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(time.perf_counter() - t, u.ru_maxrss, r.returncode, u.ru_utime + u.ru_stime)"
)


def cli(path: Path, repeat: int, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Wall time (median) and peak RSS (max) of ``pcocheck validate PATH -q``."""
    walls: list[float] = []
    cpus: list[float] = []
    rss: list[int] = []
    codes: set[int] = set()
    for _ in range(repeat):
        command = [sys.executable, "-m", "pcocheck", "validate", str(path), "-q", *extra]
        done = subprocess.run(
            [sys.executable, "-c", _RSS_WRAPPER, *command],
            capture_output=True,
            text=True,
            check=True,
        )
        wall, maxrss, code, cpu = done.stdout.split()
        walls.append(float(wall))
        cpus.append(float(cpu))
        rss.append(int(maxrss))
        codes.add(int(code))
    result = {
        "file": path.name,
        "extra": list(extra),
        "walls": walls,
        "median": statistics.median(walls),
        "cpu_median": statistics.median(cpus),
        "maxrss_mb": max(rss) / 1024,
        "exit_codes": sorted(codes),
        "bytes": path.stat().st_size,
    }
    print(
        f"  pcocheck validate {' '.join(extra):<10} {path.name:<28} "
        f"{result['median']:8.2f} s {result['maxrss_mb']:7.0f} MB",
        flush=True,
    )
    return result


def has_jobs_option() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pcocheck", "validate", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    return "--jobs" in done.stdout


def rate_cell(result: dict[str, Any] | None, floor: dict[str, Any] | None) -> str:
    """``wall rate · CPU rate (CPU time as a multiple of the floor's)``."""
    if result is None:
        return "–"
    if "missing" in result:
        return "not installed"
    if "error" in result:
        return "failed"
    n = result["resources"]
    wall, cpu = n / result["median"], n / result["cpu_median"]
    text = f"{wall:,.0f} · {cpu:,.0f}"
    if floor is not None and "cpu_median" in floor:
        text += f" ({result['cpu_median'] / floor['cpu_median'] * floor['resources'] / n:,.0f}×)"
    return text


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, {m['platform']}; "
        f"load average {data['load_before']} before and {m['load']} after the run "
        f"({m['date']}).",
        "",
        "**Throughput** (resources per second, median of "
        f"{data['repeat']} runs, {data['repeat_large']} at 100,000 and more; in brackets: "
        'the share of the bare JSON parse rate, the floor; "errors" = error-level issues '
        "the tool reported on the 10k corpus, which is valid):",
        "",
    ]
    columns = data["columns"]
    header = "| tool | " + " | ".join(columns) + " | errors | what it checks |"
    lines += [header, "|" + "---|" * (len(columns) + 3)]
    throughput = data["throughput"]
    for tool in ("floor", "pcocheck", *PEERS):
        row = throughput.get(tool, {})
        cells = [rate_cell(row.get(c), throughput["floor"].get(c)) for c in columns]
        errors = row.get(data["errors_column"], {})
        error_cell = str(errors.get("issues", "–")) if "median" in errors else "–"
        name = {"pcocheck": "pcocheck, one job (in process)"}.get(tool, tool)
        lines.append(
            f"| {name} | " + " | ".join(cells) + f" | {error_cell} | {WHAT_IS_CHECKED[tool]} |"
        )
    lines += [
        "",
        "**The command line** (`pcocheck validate FILE -q`, whole process: medians of wall "
        "time and of CPU time, the largest peak RSS):",
        "",
        "| run | resources | file | wall | CPU | resources/s (wall · CPU) | peak RSS | "
        "speed-up (wall) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    one_job: dict[str, float] = {}
    for label, result in data["cli"]:
        base, _, variant = label.rpartition(", ")
        speed_up = "–"
        if variant == "one job":
            one_job[base] = result["median"]
        elif variant.startswith("--jobs") and base in one_job:
            speed_up = f"{one_job[base] / result['median']:.2f}×"
        resources = result.get("resources", 0)
        cpu = result.get("cpu_median")
        rate = f"{resources / result['median']:,.0f}"
        if cpu:
            rate += f" · {resources / cpu:,.0f}"
        if label.startswith("cold"):
            rate = "–"
        size = result["bytes"]
        shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
        lines.append(
            f"| {label} | {resources:,} | {shown} | "
            f"{result['median']:.2f} s | {f'{cpu:.2f} s' if cpu else '–'} | {rate} | "
            f"{result['maxrss_mb']:.0f} MB | {speed_up} |"
        )
    lines += ["", data["jobs_note"]]
    if data.get("tables_from"):
        lines += [
            "",
            f"(The throughput and native-invariant tables are from the run of "
            f"{data['tables_from']}; this run measured the command line only.)",
        ]
    lines += [
        "",
        f"**Native invariants** ({NEW_NATIVES.replace(',', ', ')}): pcocheck in process, "
        "one job, before = the same code with these sent through fhirpathpy again; "
        f"medians of {data['repeat']} alternating runs, wall and CPU time:",
        "",
        "| corpus | before (wall / CPU) | after (wall / CPU) | speed-up (CPU) |",
        "|---|---|---|---|",
    ]
    for row in data["natives"]:
        before, after = row["before"], row["after"]
        n = before["resources"]
        lines.append(
            f"| {row['label']} | {n / before['wall']:,.0f}/s / {n / before['cpu']:,.0f}/s | "
            f"{n / after['wall']:,.0f}/s / {n / after['cpu']:,.0f}/s | "
            f"{before['cpu'] / after['cpu']:.2f}× |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--with-1m", action="store_true", help="add the 1,000,000 NDJSON")
    parser.add_argument("--bundle-size", type=int, default=10000)
    parser.add_argument("--linked", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repeat-large", type=int, default=1, help="runs at >= 100,000")
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--peers-python", default=str(BENCH / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--peer-limit", type=int, default=100000, help="largest corpus for peers")
    parser.add_argument("--write", type=Path, help="replace the results block of this file")
    parser.add_argument("--render-only", action="store_true", help="re-render results.json")
    parser.add_argument(
        "--cli-only",
        action="store_true",
        help="measure only the command-line rows (one job and --jobs N); keep the other "
        "tables of bench/out/results.json",
    )
    args = parser.parse_args()
    if args.render_only:
        publish(json.loads((OUT / "results.json").read_text(encoding="utf-8")), args.write)
        return

    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.with_1m:
        sizes.append(1_000_000)
    peers_python = args.peers_python if Path(args.peers_python).exists() else None
    inputs: dict[str, Path] = {}
    for size in sizes:
        inputs[f"{size:,} NDJSON"] = corpus("ndjson", size, args.seed)
    bundle_label = f"{args.bundle_size:,}-entry Bundle"
    inputs[bundle_label] = corpus("bundle", args.bundle_size, args.seed)

    throughput: dict[str, dict[str, Any]] = {"floor": {}, "pcocheck": {}}
    natives: list[dict[str, Any]] = []
    kept: dict[str, Any] = {}
    if args.cli_only and (OUT / "results.json").exists():
        kept = json.loads((OUT / "results.json").read_text(encoding="utf-8"))
        throughput, natives = kept["throughput"], kept["natives"]
    for label, path in ({} if args.cli_only else inputs).items():
        size = args.bundle_size if "Bundle" in label else int(label.split()[0].replace(",", ""))
        repeat = args.repeat if size < 100_000 else args.repeat_large
        print(f"{label}:", flush=True)
        throughput["floor"][label] = measure(sys.executable, "floor", path, repeat)
        if size < 1_000_000:  # in process, one job; the 1M run is measured by the CLI only
            throughput["pcocheck"][label] = measure(sys.executable, "pcocheck", path, repeat)
        for peer in PEERS:
            if peers_python is None:
                throughput.setdefault(peer, {})[label] = {"missing": "no peers venv"}
            elif size <= args.peer_limit:
                result = measure(peers_python, peer, path, repeat)
                throughput.setdefault(peer, {})[label] = result

    print("before/after the new native invariants:", flush=True)
    for label, path in ({} if args.cli_only else inputs).items():
        if not label.startswith("10,000") and "Bundle" not in label:
            continue
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for _ in range(args.repeat):  # alternate, so drifting load hits both alike
            before = ("--drop-native", NEW_NATIVES)
            runs["before"].append(measure(sys.executable, "pcocheck", path, 1, before))
            runs["after"].append(measure(sys.executable, "pcocheck", path, 1))
        row: dict[str, Any] = {"label": label}
        for variant, results in runs.items():
            row[variant] = {
                "resources": results[0]["resources"],
                "wall": statistics.median(r["median"] for r in results),
                "cpu": statistics.median(r["cpu_median"] for r in results),
            }
        natives.append(row)

    print("command line:", flush=True)
    cli_runs: list[tuple[str, dict[str, Any]]] = []
    cold = cli(SMALL_BUNDLE, args.cold_runs)
    cold["resources"] = 9
    cli_runs.append(
        (f"cold start: {SMALL_BUNDLE.name} (9 entries), median of {args.cold_runs}", cold)
    )
    jobs = has_jobs_option()
    cores = os.cpu_count() or 1

    def run_cli(label: str, path: Path, size: int) -> None:
        repeat = args.repeat if size < 100_000 else 1
        # The CLI's default is one job per core: ask for one job explicitly.
        result = cli(path, repeat, ("--jobs", "1") if jobs else ())
        result["resources"] = size
        cli_runs.append((f"{label}, one job", result))
        if jobs:
            parallel = cli(path, repeat, ("--jobs", str(cores)))
            parallel["resources"] = size
            cli_runs.append((f"{label}, --jobs {cores}", parallel))

    sized = {
        label: args.bundle_size if "Bundle" in label else int(label.split()[0].replace(",", ""))
        for label in inputs
    }
    for label, path in inputs.items():
        if 10_000 <= sized[label] < 1_000_000:
            run_cli(label, path, sized[label])
    linked_label = f"{args.linked:,} linked Observations (+1 Patient) in one Bundle"
    run_cli(linked_label, corpus("linked", args.linked, args.seed), args.linked + 1)
    jobs_note = (
        f"`--jobs` exists: the `--jobs {cores}` rows use every core."
        if jobs
        else "`pcocheck validate` has no `--jobs` option yet (issue 12's parallel runner): "
        "the N-jobs rows are skipped."
    )
    ndjson_labels = [label for label in inputs if "NDJSON" in label]
    errors_column = next((c for c in ndjson_labels if c.startswith("10,000")), ndjson_labels[0])
    data = {
        "machine": machine(),
        "load_before": load_before,
        "repeat": args.repeat,
        "repeat_large": args.repeat_large,
        "columns": kept.get("columns", list(inputs)),
        "errors_column": kept.get("errors_column", errors_column),
        "tables_from": (kept.get("tables_from") or kept.get("machine", {}).get("date"))
        if kept
        else None,
        "throughput": throughput,
        "cli": cli_runs,
        "jobs_note": jobs_note,
        "natives": natives,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    publish(data, args.write)
    huge = [label for label in inputs if sized[label] >= 1_000_000]
    for label in huge:  # last, and published again: the slowest part of the run
        run_cli(label, inputs[label], sized[label])
        data["machine"] = machine()
        (OUT / "results.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
        publish(data, args.write)


def publish(data: dict[str, Any], write: Path | None) -> None:
    table = render(data)
    (OUT / "results.md").write_text(table, encoding="utf-8")
    print()
    print(table)
    if write is not None:
        text = write.read_text(encoding="utf-8")
        head, _, rest = text.partition(START_MARK)
        _, _, tail = rest.partition(END_MARK)
        write.write_text(f"{head}{START_MARK}\n{table}{END_MARK}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
