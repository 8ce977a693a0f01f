"""The compiled FHIR R4 core archive shipped in ``pcocheck/data/r4core.zip``.

Built by ``tools/build_r4core.py``. Each member is a JSON object mapping canonical URLs
to compact definitions (one for base types, several for extensions and terminology).
Opening the archive reads only the zip directory;
``index.json`` is parsed on the first lookup and each member the first time it is asked
for, so a run pays only for the definitions its content touches.
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pcocheck.definitions.compile import structure_from_compact
from pcocheck.definitions.model import DefinitionError, StructureDef

ARCHIVE_NAME = "r4core.zip"
SUPPORTED_FORMAT = 1


class CoreArchive:
    """Read-only access to the compiled core definitions."""

    def __init__(self, path: Path | None = None) -> None:
        self.origin = str(path) if path is not None else f"pcocheck/data/{ARCHIVE_NAME}"
        try:
            if path is None:
                data = resources.files("pcocheck.data").joinpath(ARCHIVE_NAME).read_bytes()
            else:
                data = path.read_bytes()
            # The whole archive in memory (about 2 MB): no file handle whose offset a
            # forked worker process would share with its parent.
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (OSError, zipfile.BadZipFile) as exc:
            raise DefinitionError(
                f"the compiled FHIR R4 core definitions ({self.origin}) cannot be read: {exc}"
            ) from exc
        self._members: dict[str, Any] = {}
        self._structures: dict[str, StructureDef] = {}

    def _read(self, member: str) -> Any:
        found = self._members.get(member)
        if found is None:
            try:
                found = json.loads(self._zip.read(member))
            except (KeyError, ValueError, zipfile.BadZipFile) as exc:
                raise DefinitionError(
                    f"the compiled FHIR R4 core archive is damaged ({member}): {exc}"
                ) from exc
            self._members[member] = found
        return found

    @cached_property
    def index(self) -> dict[str, Any]:
        index = self._read("index.json")
        if not isinstance(index, dict) or index.get("format") != SUPPORTED_FORMAT:
            raise DefinitionError(
                f"{self.origin} has an unsupported format; rebuild it with tools/build_r4core.py"
            )
        return index

    @property
    def package_name(self) -> str:
        return str(self.index["package"]["name"])

    @property
    def package_version(self) -> str:
        return str(self.index["package"]["version"])

    @cached_property
    def resource_types(self) -> frozenset[str]:
        return frozenset(self.index["resourceTypes"])

    def structure_urls(self) -> list[str]:
        return list(self.index["structures"])

    def has_structure(self, url: str) -> bool:
        return url in self.index["structures"]

    def type_url(self, type_name: str) -> str | None:
        """Canonical URL of the base definition of a type name (``Goal``, ``string``)."""
        url = self.index["types"].get(type_name)
        return url if isinstance(url, str) else None

    def structure(self, url: str) -> StructureDef | None:
        found = self._structures.get(url)
        if found is not None:
            return found
        member = self.index["structures"].get(url)
        if member is None:
            return None
        compact = self._read(member)[url]
        found = structure_from_compact(compact, package=self.package_label)
        self._structures[url] = found
        return found

    @property
    def package_label(self) -> str:
        return f"{self.package_name}#{self.package_version}"

    def value_set(self, url: str) -> dict[str, Any] | None:
        member = self.index["valueSets"].get(url)
        return None if member is None else self._read(member)[url]

    def code_system(self, url: str) -> dict[str, Any] | None:
        member = self.index["codeSystems"].get(url)
        return None if member is None else self._read(member)[url]

    def value_set_urls(self) -> list[str]:
        return list(self.index["valueSets"])

    def code_system_urls(self) -> list[str]:
        return list(self.index["codeSystems"])

    def counts(self) -> int:
        index = self.index
        return len(index["structures"]) + len(index["valueSets"]) + len(index["codeSystems"])
