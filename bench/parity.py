"""Agreement with the HL7 reference validator on FHIR/fhir-test-cases.

    python bench/parity.py CHECKOUT [--manifest FILE] [--json OUT] [--all-versions]

CHECKOUT is a checkout of https://github.com/FHIR/fhir-test-cases (or a folder with the
same layout: ``validator/manifest.json`` and the case files under ``validator/``). The
manifest lists test cases with the outcome the reference (Java) validator produces
(``java.errorCount``, or ``java.outcome`` in newer manifests). This script runs pcocheck,
in process, on every case it can run as the reference did and compares:

* the verdict: no error vs. some error (errors = findings of severity error or fatal);
* the error count, where the manifest gives one.

A case is run when it is R4 (``version`` 4.0 / 4.0.1, unless ``--all-versions``), its
file is JSON, the packages it names are ones pcocheck ships (R4 core, US Core 6.1.0)
and every supporting file (``supporting``/``profiles``) is a JSON file present in the
checkout (loaded like ``--profiles``). A ``profile`` step (validate against that
profile as well, with its own expected outcome) is measured as a case of its own,
``NAME [profile]``, when its source is a JSON file. The manifest's switches map to
pcocheck's: ``examples: false`` -> ``--no-allow-example-urls``, ``security-checks`` ->
``--security-checks``, ``allowed-extension-domain`` -> ``--extension-domain``; a case
that sets a switch pcocheck has no equivalent for (``allow-comments``,
``noHtmlInMarkdown``, ``validate`` reference-resolution policies, ``bundle-param``,
logical models) is not run. Every
case not run is listed with the reason. Nothing is downloaded; the cases are never
copied into this repository.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

R4_VERSIONS = ("4.0", "4.0.0", "4.0.1")
SHIPPED_PACKAGES = ("hl7.fhir.r4.core#4.0.1", "hl7.fhir.us.core#6.1.0")
_ERRORS = ("error", "fatal")
# Manifest switches pcocheck has no equivalent for: cases that set them are not run.
_UNSUPPORTED = ("allow-comments", "bundle-param", "logical", "validate", "noHtmlInMarkdown")


@dataclass
class Case:
    name: str
    file: Path
    expected_errors: int
    supporting: list[Path] = field(default_factory=list)
    profile_url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    name: str
    expected_errors: int
    errors: int
    codes: list[str]

    @property
    def verdict_agrees(self) -> bool:
        return (self.expected_errors > 0) == (self.errors > 0)

    @property
    def count_agrees(self) -> bool:
        return self.expected_errors == self.errors


def _options(entry: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if entry.get("examples") is False:
        options["allow_example_urls"] = False
    if entry.get("security-checks") is True:
        options["security_checks"] = True
    domain = entry.get("allowed-extension-domain")
    if isinstance(domain, str):
        options["extension_domains"] = (domain,)
    return options


def expected_errors(java: Any) -> int | None:
    """The reference's error count: ``errorCount`` (older manifests) or the error and
    fatal issues of ``outcome`` (an OperationOutcome, newer manifests)."""
    if not isinstance(java, dict):
        return None
    if isinstance(java.get("errorCount"), int):
        return int(java["errorCount"])
    outcome = java.get("outcome")
    if isinstance(outcome, dict):
        issues = outcome.get("issue") or []
        return sum(1 for i in issues if isinstance(i, dict) and i.get("severity") in _ERRORS)
    return None


def _supporting(folder: Path, names: list[str]) -> tuple[list[Path], str | None]:
    found = []
    for name in names:
        path = folder / name
        if not name.endswith(".json"):
            return [], f"supporting file {name} is not JSON"
        if not path.is_file():
            return [], f"supporting file {name} is not in the checkout"
        found.append(path)
    return found, None


def _profile_url(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else None


def select_cases(
    folder: Path, manifest: dict[str, Any], *, all_versions: bool = False
) -> tuple[list[Case], list[tuple[str, str]]]:
    """(cases to run, [(name, why not run)]) from a validator manifest."""
    cases: list[Case] = []
    skipped: list[tuple[str, str]] = []
    for entry in manifest.get("test-cases", []):
        name = str(entry.get("name"))
        why = _why_not(folder, entry, all_versions)
        if why is not None:
            skipped.append((name, why))
            continue
        support, problem = _supporting(
            folder, list(entry.get("supporting", [])) + list(entry.get("profiles", []))
        )
        if problem is not None:
            skipped.append((name, problem))
            continue
        expected = expected_errors(entry["java"])
        assert expected is not None  # checked by _why_not
        options = _options(entry)
        cases.append(Case(name, folder / entry["file"], expected, support, None, options))
        step = entry.get("profile")
        if not isinstance(step, dict):
            continue
        step_name = f"{name} [profile]"
        step_expected = expected_errors(step.get("java"))
        source = str(step.get("source", ""))
        if step_expected is None:
            skipped.append((step_name, "no java outcome"))
            continue
        if step.get("packages") or not source.endswith(".json"):
            skipped.append((step_name, f"profile {source or '?'} is not a JSON file"))
            continue
        more, problem = _supporting(folder, [source, *step.get("supporting", [])])
        url = _profile_url(folder / source) if problem is None else None
        if problem is not None or url is None:
            skipped.append((step_name, problem or f"profile {source} has no url"))
            continue
        cases.append(
            Case(
                step_name,
                folder / entry["file"],
                step_expected,
                support + more,
                url,
                options,
            )
        )
    return cases, skipped


def _why_not(folder: Path, entry: dict[str, Any], all_versions: bool) -> str | None:
    if expected_errors(entry.get("java")) is None:
        return "no java outcome"
    if entry.get("use-test") is False:
        return "use-test: false"
    version = str(entry.get("version", "5.0"))
    if not all_versions and version not in R4_VERSIONS:
        return f"FHIR version {version}"
    file = str(entry.get("file", ""))
    if not file.endswith(".json"):
        return "not JSON"
    unsupported = [key for key in _UNSUPPORTED if entry.get(key) not in (None, False)]
    if unsupported:
        return f"switch {unsupported[0]} (no pcocheck equivalent)"
    packages = [p for p in entry.get("packages", []) if p not in SHIPPED_PACKAGES]
    if packages:
        return f"needs packages {', '.join(packages)}"
    if not (folder / file).is_file():
        return "file not in the checkout"
    return None


def run_case(case: Case) -> Outcome:
    from pcocheck.config import RunConfig
    from pcocheck.finding import Severity
    from pcocheck.runner import validate_config

    with tempfile.TemporaryDirectory(prefix="pcocheck-parity-") as tmp:
        dirs: tuple[str, ...] = ()
        if case.supporting:
            for path in case.supporting:
                shutil.copy(path, Path(tmp) / path.name)
            dirs = (tmp,)
        config = RunConfig(
            paths=(str(case.file),),
            profile_dirs=dirs,
            profiles=(case.profile_url,) if case.profile_url else (),
            **case.options,
        )
        findings = validate_config(config).sorted_findings()
    errors = [f for f in findings if f.severity >= Severity.ERROR]
    return Outcome(case.name, case.expected_errors, len(errors), [f.code for f in errors])


def run_all(cases: list[Case]) -> Iterator[Outcome]:
    for case in cases:
        yield run_case(case)


def report(outcomes: list[Outcome], skipped: list[tuple[str, str]]) -> str:
    measured = len(outcomes)
    verdicts = sum(o.verdict_agrees for o in outcomes)
    counts = sum(o.count_agrees for o in outcomes)
    lines = [
        f"cases measured: {measured} (not run: {len(skipped)})",
        f"verdict agreement (no error vs some error): {verdicts}/{measured}",
        f"error-count agreement: {counts}/{measured}",
        "",
        "verdict disagreements:",
        f"  {'case':<48} {'reference':>9} {'pcocheck':>8}  pcocheck error codes",
    ]
    for o in outcomes:
        if not o.verdict_agrees:
            codes = ", ".join(f"{c}×{n}" for c, n in sorted(Counter(o.codes).items()))
            lines.append(f"  {o.name:<48} {o.expected_errors:>9} {o.errors:>8}  {codes}")
    lines += ["", "same verdict, other error count:"]
    for o in outcomes:
        if o.verdict_agrees and not o.count_agrees:
            codes = ", ".join(f"{c}×{n}" for c, n in sorted(Counter(o.codes).items()))
            lines.append(f"  {o.name:<48} {o.expected_errors:>9} {o.errors:>8}  {codes}")
    reasons = Counter(
        reason.split(" ")[0] + " …" if "packages" in reason else reason for _, reason in skipped
    )
    lines += ["", "not run: " + "; ".join(f"{r} ({n})" for r, n in reasons.most_common())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="fhir-test-cases checkout (or same layout)")
    parser.add_argument("--manifest", type=Path, help="default: CHECKOUT/validator/manifest.json")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON here")
    parser.add_argument("--all-versions", action="store_true", help="not only R4 cases")
    args = parser.parse_args(argv)
    folder = args.checkout / "validator"
    manifest_path = args.manifest or folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    cases, skipped = select_cases(folder, manifest, all_versions=args.all_versions)
    outcomes = list(run_all(cases))
    print(report(outcomes, skipped))
    if args.json:
        payload = {
            "outcomes": [asdict(o) | {"verdict_agrees": o.verdict_agrees} for o in outcomes],
            "skipped": skipped,
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
