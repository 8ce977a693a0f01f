"""Compare pcocheck's snapshot generator with the official snapshots of the R4 core.

The core package ships about 440 profiles (vital signs, lipid profiles, extensions ...)
with both a differential and the snapshot the HL7 publisher generated. This script
drops each snapshot, regenerates it from the differential with
``pcocheck.definitions.snapshot`` and reports where the two disagree on the elements
both contain. Usage (package as for ``tools/build_r4core.py``)::

    python tools/check_snapshots.py /tmp/r4dl/r4core.tgz [profile-id ...]

Expected differences, all equivalent for validation: the publisher turns a renamed
choice (``Observation.valueQuantity``) into a closed type slice where pcocheck narrows
``value[x]`` itself; it copies a type profile's root invariants onto the element; old
core profiles omit inherited bindings on slice children.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from build_r4core import read_package

from pcocheck.definitions import DefinitionRegistry, ElementDef
from pcocheck.definitions.compile import compact_structure, element_from_compact

FIELDS = ("path", "min", "max", "slice_name", "fixed", "pattern", "must_support")


def _describe(element: ElementDef, field: str) -> object:
    if field == "types":
        return [t.code for t in element.types]
    if field == "binding":
        return element.binding and (element.binding.strength, element.binding.value_set)
    if field == "slicing":
        return element.slicing and element.slicing.discriminators
    if field == "constraints":
        return sorted(c.key for c in element.constraints)
    return getattr(element, field)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path)
    parser.add_argument("only", nargs="*", help="profile ids to compare (default: all)")
    args = parser.parse_args(argv)
    registry = DefinitionRegistry()
    official: dict[str, dict[str, ElementDef]] = {}
    for _name, data in read_package(args.package):
        raw = json.loads(data)
        if raw.get("resourceType") != "StructureDefinition":
            continue
        if raw.get("derivation") != "constraint" or "snapshot" not in raw:
            continue
        if args.only and raw["id"] not in args.only:
            continue
        compact = compact_structure(raw)
        test_url = raw["url"] + "-regenerated"
        official[test_url] = {e["id"]: element_from_compact(e) for e in compact["elements"]}
        stub = {k: v for k, v in raw.items() if k != "snapshot"}
        stub["url"] = test_url
        registry.add_resource(stub, origin=raw["id"])

    stats: Counter[str] = Counter()
    for url, expected in official.items():
        generated = registry.structure(url)
        if generated is None:
            stats["not generated"] += 1
            print(f"FAILED {url}")
            continue
        stats["generated"] += 1
        for element in generated.elements:
            reference = expected.get(element.id)
            if reference is None:
                stats["elements only in pcocheck's snapshot"] += 1
                continue
            stats["elements compared"] += 1
            for field in (*FIELDS, "types", "binding", "slicing", "constraints"):
                mine, theirs = _describe(element, field), _describe(reference, field)
                if mine != theirs:
                    stats[f"differ: {field}"] += 1
                    print(
                        f"{url.rsplit('/', 1)[-1]:40} {element.id:55} {field}: {mine} != {theirs}"
                    )
    for problem in registry.problems:
        print(f"problem: {problem.source}: {problem.message}")
    for key, value in sorted(stats.items()):
        print(f"{key:>40}: {value:,}")
    return 1 if stats["not generated"] else 0


if __name__ == "__main__":
    sys.exit(main())
