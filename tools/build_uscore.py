"""Compile the official US Core 6.1.0 package into ``src/pcocheck/data/uscore.zip``.

pcocheck ships US Core whole, as published, instead of re-authored parents: every
StructureDefinition (profiles and extensions, reduced from the package's own snapshots to
what validation reads, see ``pcocheck.definitions.compile``), every ValueSet and CodeSystem
(normalised like the core ones), every SearchParameter and both CapabilityStatements
(kept whole apart from their narrative, for server tests). An ``index.json`` maps
canonical URLs to members and records the package's name, version, date, licence,
dependencies and the sha256 of the file it was built from. pcocheck opens members
lazily, one per definition it actually needs (see ``pcocheck.definitions.uscore``).

Regenerate (from the repository root)::

    python tools/build_uscore.py /path/to/hl7.fhir.us.core-6.1.0.tgz

The package is ``hl7.fhir.us.core`` 6.1.0 (FHIR 4.0.1, CC0-1.0); on the development
machines it sits at ``/work/shared/packages/hl7.fhir.us.core-6.1.0.tgz`` (sha256
4c4e7fbb07ef2fdb35bdfc3f5d09a417ee0d8644ea17cb3692ca6d03c4358b1d), and any copy of the
published package works (``.tgz`` or an extracted folder containing ``package/``).
Its examples (``package/example/``) are not compiled: they are test fixtures
(``fixtures/uscore-examples``, ``--examples DIR`` copies them there). The output is
deterministic (sorted members, fixed timestamps), so an unchanged input gives a
byte-identical archive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pcocheck.definitions.compile import (
    compact_structure,
    normalise_code_system,
    normalise_value_set,
)
from pcocheck.definitions.core import CoreArchive, write_archive

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "src" / "pcocheck" / "data" / "uscore.zip"
FORMAT = 1
FIXED_TIME = (2023, 6, 29, 0, 0, 0)  # US Core 6.1.0 build date; keeps the zip reproducible
_MANIFEST_KEYS = ("name", "version", "date", "license", "canonical", "title", "fhirVersions")
_NARRATIVE = "text"
# What snapshot generation reads from a differential element (see compact_element);
# documentation (definition, comment, mapping ...) is left out.
_DIFFERENTIAL_KEYS = (
    "id",
    "path",
    "min",
    "max",
    "sliceName",
    "type",
    "contentReference",
    "binding",
    "constraint",
    "slicing",
    "mustSupport",
    "isModifier",
    "maxLength",
    "short",
)


def read_package(source: Path, folder: str = "package") -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of every JSON file directly in ``folder`` of the package."""
    if source.is_dir():
        root = source / "package" if (source / "package").is_dir() else source
        base = root if folder == "package" else root / folder.split("/", 1)[1]
        for path in sorted(base.glob("*.json")):
            yield path.name, path.read_bytes()
        return
    depth = folder.count("/") + 2
    with tarfile.open(source, "r:*") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            parts = member.name.split("/")
            if (
                member.isfile()
                and len(parts) == depth
                and "/".join(parts[:-1]) == folder
                and parts[-1].endswith(".json")
            ):
                handle = tar.extractfile(member)
                if handle is not None:
                    yield parts[-1], handle.read()


def dump(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _without_narrative(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != _NARRATIVE}


def _inherit_core_elements(compact: dict[str, Any], core: CoreArchive) -> int:
    """Replace each snapshot element identical to the R4 core element with the same id
    by ``{"id": ..., "inherit": true}``: about half of US Core's elements are untouched
    copies of the base type's, and pcocheck then shares the core's element objects
    instead of building (and storing) them again. Returns how many were replaced."""
    base_url = core.type_url(str(compact.get("type", "")))
    member = core.index["structures"].get(base_url) if base_url else None
    if member is None:
        return 0
    base = {e["id"]: e for e in core._read(member)[base_url]["elements"]}
    replaced = 0
    for index, element in enumerate(compact["elements"]):
        if base.get(element["id"]) == element:
            compact["elements"][index] = {"id": element["id"], "inherit": True}
            replaced += 1
    return replaced


def _slim_differential(raw: dict[str, Any]) -> list[dict[str, Any]]:
    differential = raw.get("differential")
    elements = differential.get("element") if isinstance(differential, dict) else None
    return [
        {
            k: v
            for k, v in element.items()
            if k in _DIFFERENTIAL_KEYS or k.startswith(("fixed", "pattern"))
        }
        for element in elements or []
        if isinstance(element, dict)
    ]


def _sha256(source: Path) -> str | None:
    return hashlib.sha256(source.read_bytes()).hexdigest() if source.is_file() else None


def build(source: Path, output: Path) -> dict[str, Any]:
    # Members are JSON objects {canonical URL: compact resource}. Each profile gets its
    # own member (a run reads only the profiles its content claims); the extensions, the
    # terminology and the search parameters share one member each; each
    # CapabilityStatement is a member of its own (they are large and only server tests
    # read them).
    members: dict[str, dict[str, Any]] = {}
    index: dict[str, Any] = {
        "format": FORMAT,
        "package": {},
        "source": {"file": source.name, "sha256": _sha256(source)},
        "structures": {},
        "differentials": {},
        "valueSets": {},
        "codeSystems": {},
        "searchParameters": {},
        "capabilityStatements": {},
    }
    skipped: dict[str, int] = {}
    core = CoreArchive()
    index["elementsFrom"] = core.package_label
    inherited = 0
    for name, data in read_package(source):
        raw = json.loads(data)
        if name == "package.json":
            index["package"] = {k: raw[k] for k in _MANIFEST_KEYS if k in raw}
            index["package"]["dependencies"] = raw.get("dependencies", {})
            continue
        if name.startswith("."):
            continue
        resource_type = raw.get("resourceType")
        url = raw.get("url")
        if resource_type == "StructureDefinition":
            is_extension = raw.get("type") == "Extension" and raw.get("derivation") == "constraint"
            member = "sd/extensions.json" if is_extension else f"sd/{raw['id']}.json"
            index["structures"][url] = member
            compact = compact_structure(raw)
            inherited += _inherit_core_elements(compact, core)
            members.setdefault(member, {})[url] = compact
            # The differential too, so tests can regenerate each snapshot from its
            # parent chain and compare it with the published one.
            index["differentials"][url] = "differentials.json"
            members.setdefault("differentials.json", {})[url] = _slim_differential(raw)
        elif resource_type == "ValueSet":
            index["valueSets"][url] = "terminology.json"
            members.setdefault("terminology.json", {})[url] = normalise_value_set(raw)
        elif resource_type == "CodeSystem":
            index["codeSystems"][url] = "terminology.json"
            members.setdefault("terminology.json", {})[url] = normalise_code_system(raw)
        elif resource_type == "SearchParameter":
            index["searchParameters"][url] = "search-parameters.json"
            members.setdefault("search-parameters.json", {})[url] = _without_narrative(raw)
        elif resource_type == "CapabilityStatement":
            member = f"capability/{raw['id']}.json"
            index["capabilityStatements"][url] = member
            members.setdefault(member, {})[url] = _without_narrative(raw)
        else:
            skipped[str(resource_type)] = skipped.get(str(resource_type), 0) + 1
    if not index["package"]:
        raise SystemExit(f"{source}: no package/package.json; is this an NPM FHIR package?")
    for key in ("structures", "differentials", "valueSets", "codeSystems", "searchParameters"):
        index[key] = dict(sorted(index[key].items()))
    blobs = {name: dump(dict(sorted(content.items()))) for name, content in members.items()}
    blobs["index.json"] = dump(index)

    write_archive(output, blobs, FIXED_TIME)
    return {
        "structures": len(index["structures"]),
        "value sets": len(index["valueSets"]),
        "code systems": len(index["codeSystems"]),
        "search parameters": len(index["searchParameters"]),
        "capability statements": len(index["capabilityStatements"]),
        "elements shared with the R4 core": inherited,
        "not compiled (other resource types)": sum(skipped.values()),
        "archive members": len(blobs),
        "largest member (bytes)": max(len(b) for b in blobs.values()),
        "uncompressed bytes": sum(len(v) for v in blobs.values()),
        "archive bytes": output.stat().st_size,
    }


def copy_examples(source: Path, target: Path) -> int:
    """Copy ``package/example/*.json`` unchanged into ``target`` (a fixture folder)."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in read_package(source, "package/example"):
        (target / name).write_bytes(data)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path, help="hl7.fhir.us.core 6.1.0 .tgz or folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--examples", type=Path, help="also copy the package's examples into this folder"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = build(args.package, args.output)
    for key, value in stats.items():
        print(f"{key:>40}: {value:,}")
    print(f"wrote {args.output} in {time.perf_counter() - started:.1f} s")
    if args.examples is not None:
        print(f"copied {copy_examples(args.package, args.examples)} examples to {args.examples}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
