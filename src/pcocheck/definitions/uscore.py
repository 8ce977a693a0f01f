"""US Core 6.1.0 as published, compiled into ``pcocheck/data/uscore.zip``.

Built by ``tools/build_uscore.py`` from the official package ``hl7.fhir.us.core`` 6.1.0:
every profile and extension (from the package's own snapshots), value set, code system,
search parameter and both CapabilityStatements. The definition registry layers it
between the R4 core and the shipped PCO profiles (see
:func:`pcocheck.definitions.registry.default_registry`).

Server-side conformance (for server tests and anything else that needs it)::

    from pcocheck.definitions.uscore import capability_statement, search_parameters

    server = capability_statement("server")      # the US Core Server CapabilityStatement
    patient_params = search_parameters("Patient")  # US Core SearchParameters on Patient

Both return FHIR JSON exactly as published, minus the narrative (``text``); callers get
fresh copies they may modify. Nothing is read until first asked for.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pcocheck.definitions.core import CompiledArchive, CoreArchive
from pcocheck.definitions.model import DefinitionError

ARCHIVE_NAME = "uscore.zip"
CAPABILITY_STATEMENT_URLS = {
    "server": "http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server",
    "client": "http://hl7.org/fhir/us/core/CapabilityStatement/us-core-client",
}

JsonDict = dict[str, Any]

# Canonical namespaces of the packages US Core 6.1.0 depends on (package.json
# "dependencies"); none of them ships with pcocheck. A definition in one of these
# namespaces that is not loaded is "not available offline", not unknown. The extensions
# pack shares the core namespace: only what the R4 core lacks is attributed to it.
DEPENDENCY_NAMESPACES: dict[str, tuple[str, ...]] = {
    "hl7.terminology.r4": ("http://terminology.hl7.org/",),
    "hl7.fhir.uv.extensions.r4": (
        "http://hl7.org/fhir/StructureDefinition/",
        "http://hl7.org/fhir/ValueSet/",
        "http://hl7.org/fhir/CodeSystem/",
    ),
    "hl7.fhir.uv.bulkdata": ("http://hl7.org/fhir/uv/bulkdata/",),
    "hl7.fhir.uv.smart-app-launch": ("http://hl7.org/fhir/smart-app-launch/",),
    "us.nlm.vsac": ("http://cts.nlm.nih.gov/fhir/",),
    "hl7.fhir.uv.sdc": ("http://hl7.org/fhir/uv/sdc/",),
    "us.cdc.phinvads": ("http://phinvads.cdc.gov/fhir/",),
    "ihe.formatcode.fhir": ("http://ihe.net/fhir/ihe.formatcode.fhir/",),
}


class UsCoreArchive(CompiledArchive):
    """The compiled US Core package: the zip directory and ``index.json`` (a few kB) are
    read when it is first asked anything (the default registry does so at start-up),
    each member the first time a definition in it is needed."""

    archive_name = ARCHIVE_NAME
    description = "the compiled US Core definitions"
    builder = "tools/build_uscore.py"

    @property
    def base_archive(self) -> CoreArchive | None:
        from pcocheck.definitions.registry import shared_core

        return shared_core()

    @property
    def source(self) -> str:
        """Where the archive came from: the official package file, its sha256, licence."""
        source = self.index.get("source")
        if not isinstance(source, dict):
            return self.origin
        sha = source.get("sha256")
        digest = f", sha256 {sha}" if isinstance(sha, str) else ""
        package = self.index["package"]
        date = package.get("date")
        built = f" (built {date[:4]}-{date[4:6]}-{date[6:8]})" if isinstance(date, str) else ""
        licence = f", {package['license']}" if isinstance(package.get("license"), str) else ""
        return (
            f"{self.origin}, compiled by {self.builder} from the official package "
            f"{source.get('file')}{built}{digest}{licence}"
        )

    @property
    def dependencies(self) -> dict[str, str]:
        found = self.index["package"].get("dependencies")
        return dict(found) if isinstance(found, dict) else {}

    def dependency_for(self, url: str) -> str | None:
        """``id#version`` of the dependency whose namespace ``url`` is in, if any."""
        for name, version in self.dependencies.items():
            if url.startswith(DEPENDENCY_NAMESPACES.get(name, ())):
                return f"{name}#{version}"
        return None

    def differential(self, url: str) -> list[JsonDict] | None:
        """The published differential of a profile or extension (ElementDefinitions
        without their documentation), for regenerating and comparing snapshots."""
        member = self._section("differentials").get(url)
        return None if member is None else copy.deepcopy(self._read(member)[url])

    def search_parameter_urls(self) -> list[str]:
        return list(self._section("searchParameters"))

    def search_parameter(self, url: str) -> JsonDict | None:
        member = self._section("searchParameters").get(url)
        return None if member is None else copy.deepcopy(self._read(member)[url])

    def capability_statement(self, url: str) -> JsonDict | None:
        member = self._section("capabilityStatements").get(url)
        return None if member is None else copy.deepcopy(self._read(member)[url])


_SHARED: list[UsCoreArchive] = []


def shared_uscore() -> UsCoreArchive:
    """The US Core archive, one per process (members are read on first use)."""
    if not _SHARED:
        _SHARED.append(UsCoreArchive())
    return _SHARED[0]


def capability_statement(mode: Literal["server", "client"] = "server") -> JsonDict:
    """The US Core 6.1.0 Server (or Client) CapabilityStatement as published."""
    url = CAPABILITY_STATEMENT_URLS.get(mode)
    found = shared_uscore().capability_statement(url) if url else None
    if found is None:
        raise DefinitionError(f"no US Core {mode} CapabilityStatement in the shipped archive")
    return found


def search_parameters(resource_type: str | None = None) -> list[JsonDict]:
    """Every US Core 6.1.0 SearchParameter (those whose ``base`` includes
    ``resource_type`` when it is given), sorted by canonical URL."""
    archive = shared_uscore()
    found: list[JsonDict] = []
    for url in archive.search_parameter_urls():
        parameter = archive.search_parameter(url)
        if parameter is None:
            continue
        if resource_type is None or resource_type in (parameter.get("base") or []):
            found.append(parameter)
    return found
