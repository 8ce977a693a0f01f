"""Regenerate ``data/r4_invariants.json``: every distinct invariant expression in R4.

Usage: ``python tests/engine_units/gen_r4_invariants.py PACKAGE_DIR`` where
``PACKAGE_DIR`` is an extracted ``hl7.fhir.r4.core`` 4.0.1 package (its ``package/``
folder with the ``StructureDefinition-*.json`` files).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
OUT = DATA / "r4_invariants.json"
REPEATING = DATA / "r4_repeating.json"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def collect(package: Path) -> list[dict[str, object]]:
    seen: dict[tuple[str, str], dict[str, object]] = {}
    for path in sorted(package.glob("StructureDefinition-*.json")):
        sd = json.loads(path.read_text(encoding="utf-8"))
        for element in sd.get("snapshot", {}).get("element", []):
            for constraint in element.get("constraint", []):
                expression = constraint.get("expression")
                if not expression:
                    continue
                entry = seen.get((constraint["key"], expression))
                if entry is None:
                    entry = {
                        "key": constraint["key"],
                        "severity": constraint["severity"],
                        "expression": expression,
                        "path": element["path"],
                        "types": sorted({t["code"] for t in element.get("type", [])}),
                        "structure": sd["type"],
                        "occurrences": 0,
                    }
                    seen[(constraint["key"], expression)] = entry
                entry["occurrences"] = int(str(entry["occurrences"])) + 1
    return sorted(seen.values(), key=lambda e: (str(e["key"]), str(e["expression"])))


def repeating(package: Path, names: set[str]) -> list[str]:
    """Element paths of base types that repeat (JSON arrays), limited to ``names``."""
    found: set[str] = set()
    for path in sorted(package.glob("StructureDefinition-*.json")):
        sd = json.loads(path.read_text(encoding="utf-8"))
        if sd.get("derivation") != "specialization":
            continue
        for element in sd.get("snapshot", {}).get("element", []):
            element_path = element["path"].replace("[x]", "")
            if (
                "." in element_path
                and element.get("max") not in ("0", "1")
                and element_path.rsplit(".", 1)[1] in names
            ):
                found.add(element_path)
    return sorted(found)


def main() -> None:
    package = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/r4dl/core/package")
    entries = collect(package)
    OUT.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    names = {name for entry in entries for name in _IDENT.findall(str(entry["expression"]))}
    REPEATING.write_text(json.dumps(repeating(package, names), indent=0) + "\n", encoding="utf-8")
    print(
        f"{len(entries)} (key, expression) pairs, "
        f"{len({e['expression'] for e in entries})} distinct expressions -> {OUT}"
    )


if __name__ == "__main__":
    main()
