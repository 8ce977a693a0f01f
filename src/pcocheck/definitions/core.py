"""Compiled definition archives shipped in ``pcocheck/data/``.

``r4core.zip`` (built by ``tools/build_r4core.py``) holds the FHIR R4 core;
``uscore.zip`` (``tools/build_uscore.py``, see :mod:`pcocheck.definitions.uscore`) holds
US Core 6.1.0. Each member is a JSON object mapping canonical URLs to compact
definitions (one for base types, several for extensions and terminology). Opening an
archive reads only the zip directory; ``index.json`` is parsed on the first lookup and
each member the first time it is asked for, so a run pays only for the definitions its
content touches.
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import cached_property
from pathlib import Path
from typing import Any

from pcocheck.definitions.compile import element_from_compact, structure_from_compact
from pcocheck.definitions.model import DefinitionError, ElementDef, StructureDef
from pcocheck.shipped import read_shipped

ARCHIVE_NAME = "r4core.zip"
SUPPORTED_FORMAT = 1


class CompiledArchive:
    """Read-only access to one compiled archive of definitions (lazy, member by member)."""

    archive_name = ARCHIVE_NAME
    description = "the compiled FHIR R4 core definitions"
    builder = "tools/build_r4core.py"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.origin = str(path) if path is not None else f"pcocheck/data/{self.archive_name}"
        self._members: dict[str, Any] = {}
        self._structures: dict[str, StructureDef] = {}

    @cached_property
    def _zip(self) -> zipfile.ZipFile:
        try:
            if self.path is None:
                data = read_shipped("pcocheck.data", self.archive_name)
            else:
                data = self.path.read_bytes()
            # The whole archive in memory (about 2 MB): no file handle whose offset a
            # forked worker process would share with its parent.
            return zipfile.ZipFile(io.BytesIO(data))
        except (OSError, zipfile.BadZipFile) as exc:
            raise DefinitionError(
                f"{self.description} ({self.origin}) cannot be read: {exc}"
            ) from exc

    def _read(self, member: str) -> Any:
        found = self._members.get(member)
        if found is None:
            try:
                found = json.loads(self._zip.read(member))
            except (KeyError, ValueError, zipfile.BadZipFile) as exc:
                raise DefinitionError(
                    f"{self.description} ({self.origin}) are damaged ({member}): {exc}"
                ) from exc
            self._members[member] = found
        return found

    @cached_property
    def index(self) -> dict[str, Any]:
        index = self._read("index.json")
        if not isinstance(index, dict) or index.get("format") != SUPPORTED_FORMAT:
            raise DefinitionError(
                f"{self.origin} has an unsupported format; rebuild it with {self.builder}"
            )
        return index

    def _section(self, key: str) -> dict[str, str]:
        found = self.index.get(key)
        return found if isinstance(found, dict) else {}

    @property
    def package_name(self) -> str:
        return str(self.index["package"]["name"])

    @property
    def package_version(self) -> str:
        return str(self.index["package"]["version"])

    @property
    def package_label(self) -> str:
        return f"{self.package_name}#{self.package_version}"

    def structure_urls(self) -> list[str]:
        return list(self._section("structures"))

    def has_structure(self, url: str) -> bool:
        return url in self._section("structures")

    def structure(self, url: str) -> StructureDef | None:
        found = self._structures.get(url)
        if found is not None:
            return found
        member = self._section("structures").get(url)
        if member is None:
            return None
        compact = self._read(member)[url]
        elements = None
        if any(e.get("inherit") for e in compact["elements"]):
            elements = self._inherited_elements(compact)
        found = structure_from_compact(compact, elements, package=self.package_label)
        self._structures[url] = found
        return found

    def _inherited_elements(self, compact: dict[str, Any]) -> list[ElementDef]:
        """Elements marked ``inherit`` are the base type's own (shared, not rebuilt)."""
        base_archive = self.base_archive
        base_url = base_archive.type_url(str(compact.get("type"))) if base_archive else None
        base = base_archive.structure(base_url) if base_archive and base_url else None
        if base is None:
            raise DefinitionError(
                f"{self.description} ({self.origin}) share elements with a base definition "
                f"of {compact.get('type')} that is not available"
            )
        return [
            base.by_id[e["id"]] if e.get("inherit") else element_from_compact(e)
            for e in compact["elements"]
        ]

    @property
    def base_archive(self) -> CoreArchive | None:
        """The archive whose elements ``inherit`` refers to (the R4 core)."""
        return None

    def value_set(self, url: str) -> dict[str, Any] | None:
        member = self._section("valueSets").get(url)
        return None if member is None else self._read(member)[url]

    def code_system(self, url: str) -> dict[str, Any] | None:
        member = self._section("codeSystems").get(url)
        return None if member is None else self._read(member)[url]

    def value_set_urls(self) -> list[str]:
        return list(self._section("valueSets"))

    def code_system_urls(self) -> list[str]:
        return list(self._section("codeSystems"))

    def dependency_for(self, url: str) -> str | None:
        """The package (``id#version``) this archive depends on, does not include, and
        whose canonical namespace ``url`` is in; ``None`` when unknown."""
        return None

    def contents(self) -> str:
        """What the archive holds, for listings."""
        sections = (
            ("structures", "StructureDefinitions"),
            ("valueSets", "ValueSets"),
            ("codeSystems", "CodeSystems"),
            ("searchParameters", "SearchParameters"),
            ("capabilityStatements", "CapabilityStatements"),
        )
        return ", ".join(
            f"{len(self._section(key))} {label}" for key, label in sections if self._section(key)
        )

    def counts(self) -> int:
        return sum(len(self._section(key)) for key in ("structures", "valueSets", "codeSystems"))


class CoreArchive(CompiledArchive):
    """The compiled FHIR R4 core: base types, their extensions and terminology.

    Opened eagerly (the zip directory only): every run needs it, and a damaged install
    is better reported before any input is read.
    """

    def __init__(self, path: Path | None = None) -> None:
        super().__init__(path)
        self._zip  # noqa: B018 - open now: raises DefinitionError if unreadable

    def search_parameter(self, url: str) -> dict[str, Any] | None:
        """``code``, ``type`` and ``base`` of an R4 core SearchParameter (None if unknown)."""
        member = self.index.get("searchParameters")
        if not isinstance(member, str):
            return None
        found = self._read(member).get(url.split("|", 1)[0])
        return found if isinstance(found, dict) else None

    @cached_property
    def resource_types(self) -> frozenset[str]:
        return frozenset(self.index["resourceTypes"])

    def type_url(self, type_name: str) -> str | None:
        """Canonical URL of the base definition of a type name (``Goal``, ``string``)."""
        url = self.index["types"].get(type_name)
        return url if isinstance(url, str) else None


def write_archive(
    output: Path, blobs: dict[str, bytes], fixed_time: tuple[int, int, int, int, int, int]
) -> None:
    """Write compiled members as a reproducible zip (sorted members, fixed timestamps and
    modes), so rebuilding from the same package gives the same bytes (tools/build_*.py)."""
    import io
    import zipfile

    output.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in sorted(blobs):
            info = zipfile.ZipInfo(member, date_time=fixed_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, blobs[member], compresslevel=9)
    output.write_bytes(buffer.getvalue())
