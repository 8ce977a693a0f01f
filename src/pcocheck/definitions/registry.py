"""The definition registry: every StructureDefinition, ValueSet, CodeSystem and
Questionnaire a run can use, by canonical URL.

Sources, lowest priority first: the compiled R4 core archive, then compiled IG archives
(the shipped US Core 6.1.0), then each folder or package in the order it was added; when
two sources define the same canonical URL the later one wins (a user's ``--package``
overrides the shipped definitions). Everything is lazy: archive members and JSON from
packages are parsed, and snapshots are generated, the first time a definition is asked
for.

Returned objects are shared between callers and must be treated as read-only.
Nothing here raises for bad definitions: problems are collected in
:attr:`DefinitionRegistry.problems` for the caller to report. Only a configuration
that cannot work at all (missing core archive, a package that is not there, a failed
download) raises :class:`DefinitionError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcocheck.definitions.compile import (
    JsonDict,
    compact_structure,
    element_from_compact,
    normalise_code_system,
    normalise_value_set,
    strip_version,
    structure_from_compact,
)
from pcocheck.definitions.core import CompiledArchive, CoreArchive
from pcocheck.definitions.model import (
    DEFAULT_PACKAGE_REGISTRY,
    DefinitionError,
    DefinitionProblem,
    PackageInfo,
    ResourceSummary,
    StructureDef,
)
from pcocheck.definitions.snapshot import expand_differential
from pcocheck.jsonutil import loads_bounded
from pcocheck.shipped import package_folder

if TYPE_CHECKING:
    from pcocheck.definitions.packages import PackageContents

# pcocheck.definitions.packages (tarfile, tempfile, shutil) is imported only when a
# package is actually added: most runs use the core and the shipped folder alone.

KINDS = ("StructureDefinition", "ValueSet", "CodeSystem", "Questionnaire")
CORE_CANONICAL = "http://hl7.org/fhir/StructureDefinition/"
SHIPPED_PROFILES_LABEL = "pcocheck:profiles"
_SKIPPED_FILES = {"package.json", ".index.json", "ig.json"}


@dataclass(eq=False)
class _Entry:
    """One conformance resource from a folder or package; parsed and compiled lazily."""

    resource_type: str
    url: str
    version: str | None
    package: str
    origin: str
    reader: Callable[[], Any]
    raw: JsonDict | None = None
    compiled: StructureDef | None = None
    normalised: JsonDict | None = None
    failed: bool = False
    base_checked: bool = False


def _version_matches(wanted: str, actual: str | None) -> bool:
    # "1.0" asks for the 1.0 line and accepts 1.0.0, 1.0.1 ...
    return actual is not None and (actual == wanted or actual.startswith(wanted + "."))


class DefinitionRegistry:
    """Resolves canonical URLs and type names to definitions."""

    def __init__(self, core: CoreArchive | None = None, package_cache: Path | None = None) -> None:
        self.core = core if core is not None else shared_core()
        self.package_cache = package_cache
        self._entries: dict[str, dict[str, list[_Entry]]] = {kind: {} for kind in KINDS}
        self._packages: list[PackageInfo] = [
            PackageInfo(
                name=self.core.package_name,
                version=self.core.package_version,
                origin="builtin",
                resources=self.core.counts(),
                contents=self.core.contents(),
            )
        ]
        self._archives: list[CompiledArchive] = []
        self._problems: list[DefinitionProblem] = []
        self._pending_dependencies: list[tuple[str, str, str]] = []
        self._building: set[int] = set()
        # ImplementationGuide.global of every loaded guide: (resource type, profile, guide
        # url, origin). R4: "A set of profiles that all resources covered by this
        # implementation guide must conform to".
        self._globals: list[tuple[str, str, str, str]] = []

    # -- problems -------------------------------------------------------------------------

    @property
    def problems(self) -> list[DefinitionProblem]:
        """Problems found so far. Reading this also checks what can only be judged once
        every source is in: unresolvable base definitions and missing dependencies."""
        self._check_dependencies()
        self._check_bases()
        self._check_globals()
        return list(self._problems)

    def _check_globals(self) -> None:
        for rtype, profile, guide, origin in self._globals:
            if self._find_structure(profile) is None:
                self._problem(
                    origin,
                    f"implementation guide {guide} makes {profile} a global profile for "
                    f"{rtype}, but that profile is not loaded; {rtype} resources are not "
                    "checked against it (load it with --profiles or --package)",
                    "missing-dependency",
                    "warning",
                )

    def _problem(
        self, source: str, message: str, kind: str = "bad-definition", severity: str = "error"
    ) -> None:
        problem = DefinitionProblem(source, message, kind, severity)
        if problem not in self._problems:
            self._problems.append(problem)

    def _check_bases(self) -> None:
        for entry in self._all_entries("StructureDefinition"):
            # Package members not parsed yet are checked when first compiled: parsing a
            # whole package here would cost more than the run it serves.
            if entry.base_checked or entry.failed or entry.raw is None:
                continue
            entry.base_checked = True
            raw = entry.raw
            if _has_snapshot(raw):
                continue
            base = raw.get("baseDefinition")
            if not isinstance(base, str):
                self._problem(
                    entry.origin,
                    f"{entry.url} has neither a snapshot nor a baseDefinition",
                    "unknown-base",
                )
            elif self._find_structure(base) is None:
                self._problem(entry.origin, _unknown_base(entry.url, base), "unknown-base")

    def _check_dependencies(self) -> None:
        still_missing: list[tuple[str, str, str]] = []
        for origin, name, version in self._pending_dependencies:
            loaded = [p for p in self._packages if p.name == name]
            if not loaded:
                still_missing.append((origin, name, version))
                self._problem(
                    origin,
                    f"depends on {name}#{version}, which is neither loaded nor in the FHIR "
                    f"package cache ({self._cache()}); definitions it provides will be "
                    "unresolved",
                    "missing-dependency",
                    "warning",
                )
            elif not any(p.version == version for p in loaded):
                versions = ", ".join(sorted({str(p.version) for p in loaded}))
                self._problem(
                    origin,
                    f"depends on {name}#{version}, but {name} {versions} is loaded",
                    "missing-dependency",
                    "warning",
                )
        self._pending_dependencies = still_missing

    # -- lookups --------------------------------------------------------------------------

    def structure(self, ref: str) -> StructureDef | None:
        """A StructureDefinition with a full snapshot, by canonical URL (optionally
        ``|version``) or by type name (``Goal``, ``CodeableConcept``, ``string``)."""
        found = self._find_structure(ref)
        if found is None:
            return None
        if isinstance(found, _Entry):
            return self._compile(found)
        archive, url = found
        return archive.structure(url)

    def unusable_reason(self, ref: str) -> str | None:
        """Why ``ref`` is loaded but :meth:`structure` cannot compile it (a cyclic or
        missing base, a broken file), or None when it is usable or simply not loaded."""
        found = self._find_structure(ref)
        if not isinstance(found, _Entry) or self._compile(found) is not None:
            return None
        reasons = [p.message for p in self._problems if p.source == found.origin]
        return "; ".join(reasons[:2]) or "its definition could not be compiled"

    def _find_structure(self, ref: str) -> _Entry | tuple[CompiledArchive, str] | None:
        """The entry defining ``ref``, or the compiled archive (and URL) that has it."""
        url, _, version = ref.partition("|")
        if "/" not in url and ":" not in url:
            url = self.core.type_url(url) or CORE_CANONICAL + url
        entry = self._find("StructureDefinition", url, version or None)
        if entry is not None:
            return entry
        for archive in self._layers():
            if archive.has_structure(url) and (
                not version or _version_matches(version, archive.package_version)
            ):
                return archive, url
        return None

    def _layers(self) -> Iterable[CompiledArchive]:
        """Compiled archives, highest priority first (the core last)."""
        yield from reversed(self._archives)
        yield self.core

    def value_set(self, url: str) -> JsonDict | None:
        """A ValueSet (FHIR JSON, normalised: compose and expansion, concepts with code,
        display and designations, no narrative), by canonical URL with optional
        ``|version``."""
        return self._terminology("ValueSet", url)

    def code_system(self, url: str) -> JsonDict | None:
        """A CodeSystem (FHIR JSON, normalised: all concepts in one flat ``concept`` list,
        hierarchy as ``parent`` properties), by canonical URL with optional ``|version``."""
        return self._terminology("CodeSystem", url)

    def questionnaire(self, url: str) -> JsonDict | None:
        """A Questionnaire as loaded (FHIR JSON), by canonical URL with optional ``|version``."""
        plain, _, version = url.partition("|")
        entry = self._find("Questionnaire", plain, version or None)
        return None if entry is None else self._raw(entry)

    def _terminology(self, kind: str, url: str) -> JsonDict | None:
        plain, _, version = url.partition("|")
        entry = self._find(kind, plain, version or None)
        if entry is not None:
            if entry.normalised is None:
                raw = self._raw(entry)
                if raw is None:
                    return None
                normalise = normalise_value_set if kind == "ValueSet" else normalise_code_system
                entry.normalised = normalise(raw)
            return entry.normalised
        for archive in self._layers():
            if version and not _version_matches(version, archive.package_version):
                continue
            found = archive.value_set(plain) if kind == "ValueSet" else archive.code_system(plain)
            if found is not None:
                return found
        return None

    def unavailable_dependency(self, url: str) -> str | None:
        """For a canonical that is not loaded: the package (``id#version``) a shipped
        archive depends on whose namespace it is in and which is not loaded either, so
        the definition is "not available offline" rather than unknown. ``None`` when the
        canonical is loaded or belongs to no such package."""
        plain = url.partition("|")[0]
        for archive in reversed(self._archives):
            dependency = archive.dependency_for(plain)
            if dependency is not None:
                name = dependency.partition("#")[0]
                loaded = any(p.name == name for p in self._packages)
                return None if loaded else dependency
        return None

    def resource_types(self) -> frozenset[str]:
        return self.core.resource_types

    def is_resource_type(self, name: str) -> bool:
        return name in self.core.resource_types

    def packages(self) -> list[PackageInfo]:
        """Every loaded source; for compiled archives, ``not_loaded`` names the
        dependencies whose definitions are therefore not available offline."""
        loaded = {p.name for p in self._packages}
        for info in self._packages:
            if info.contents is not None:
                info.not_loaded = tuple(
                    f"{name}#{version}"
                    for name, version in info.dependencies.items()
                    if name not in loaded
                )
        return list(self._packages)

    def structures(self) -> list[StructureDef]:
        """Every loaded (non-core) profile and extension, compiled; for listings. A
        definition overridden by a later source is listed once, as overridden."""
        found: dict[str, StructureDef] = {}
        for archive in self._archives:
            for url in archive.structure_urls():
                sd = archive.structure(url)
                if sd is not None:
                    found[sd.canonical] = sd
        for entry in self._all_entries("StructureDefinition"):
            sd = self._compile(entry)
            if sd is not None:
                found[sd.canonical] = sd
        return list(found.values())

    def value_sets(self, include_core: bool = False) -> list[ResourceSummary]:
        """Loaded ValueSets and CodeSystems (and, on request, the core ones)."""
        found: list[ResourceSummary] = []
        for kind in ("ValueSet", "CodeSystem"):
            for entry in self._all_entries(kind):
                raw = self._raw(entry)
                name = raw.get("name") if raw else None
                found.append(
                    ResourceSummary(
                        kind,
                        entry.url,
                        entry.version,
                        name if isinstance(name, str) else None,
                        entry.package,
                    )
                )
        for archive in self._archives:
            label = archive.package_label
            for url in archive.value_set_urls():
                found.append(_archive_summary("ValueSet", archive.value_set(url), url, label))
            for url in archive.code_system_urls():
                found.append(_archive_summary("CodeSystem", archive.code_system(url), url, label))
        if include_core:
            # URLs only: naming the 2,400 core resources would read every member.
            label = self.core.package_label
            version = self.core.package_version
            found.extend(
                ResourceSummary("ValueSet", u, version, None, label)
                for u in self.core.value_set_urls()
            )
            found.extend(
                ResourceSummary("CodeSystem", u, version, None, label)
                for u in self.core.code_system_urls()
            )
        return found

    def questionnaires(self) -> list[ResourceSummary]:
        found: list[ResourceSummary] = []
        for entry in self._all_entries("Questionnaire"):
            raw = self._raw(entry)
            name = raw.get("name") if raw else None
            found.append(
                ResourceSummary(
                    "Questionnaire",
                    entry.url,
                    entry.version,
                    name if isinstance(name, str) else None,
                    entry.package,
                )
            )
        return found

    def _find(self, kind: str, url: str, version: str | None) -> _Entry | None:
        candidates = self._entries[kind].get(url)
        if not candidates:
            return None
        if version is None:
            return candidates[-1]
        for entry in reversed(candidates):
            if _version_matches(version, entry.version):
                return entry
        return None

    def _all_entries(self, kind: str) -> Iterable[_Entry]:
        for candidates in self._entries[kind].values():
            yield from candidates

    # -- compiling ------------------------------------------------------------------------

    def _raw(self, entry: _Entry) -> JsonDict | None:
        if entry.raw is None and not entry.failed:
            try:
                data = entry.reader()
            except OSError as exc:
                self._problem(entry.origin, f"cannot read: {exc}", "unreadable")
                data = None
            if isinstance(data, bytes):
                data = _parse_json(data, entry.origin, self._problem)
            if isinstance(data, dict):
                entry.raw = data
            else:
                entry.failed = True
        return entry.raw

    def _compile(self, entry: _Entry) -> StructureDef | None:
        if entry.compiled is not None or entry.failed:
            return entry.compiled
        raw = self._raw(entry)
        if raw is None:
            return None
        if id(entry) in self._building:
            self._problem(
                entry.origin, f"{entry.url}: its baseDefinition chain is a cycle", "unknown-base"
            )
            entry.failed = True
            return None
        self._building.add(id(entry))
        try:
            entry.compiled = self._build(entry, raw)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            # Malformed JSON shapes (a string where a list belongs ...) end up here.
            self._problem(entry.origin, f"{entry.url} is malformed: {exc!r}", "bad-definition")
        finally:
            self._building.discard(id(entry))
        if entry.compiled is None:
            entry.failed = True
        return entry.compiled

    def _build(self, entry: _Entry, raw: JsonDict) -> StructureDef | None:
        header = compact_structure(raw, with_snapshot=False)
        if _has_snapshot(raw):
            # Official packages ship generated snapshots: used as they are.
            compact = compact_structure(raw)
            elements = [element_from_compact(e) for e in compact["elements"]]
            return structure_from_compact(header, elements, package=entry.package)
        base = raw.get("baseDefinition")
        if not isinstance(base, str):
            self._problem(
                entry.origin,
                f"{entry.url} has neither a snapshot nor a baseDefinition",
                "unknown-base",
            )
            return None
        parent = self.structure(base)
        if parent is None:
            if entry.failed:  # a cycle through this entry, already reported
                return None
            if self._find_structure(base) is None:
                self._problem(entry.origin, _unknown_base(entry.url, base), "unknown-base")
            else:
                self._problem(
                    entry.origin,
                    f"{entry.url}: base definition {base} could not be compiled",
                    "unknown-base",
                )
            return None
        differential = raw.get("differential")
        diff_elements = differential.get("element") if isinstance(differential, dict) else None
        elements, messages = expand_differential(
            diff_elements if isinstance(diff_elements, list) else [], parent, self.structure
        )
        for severity, message in messages:
            self._problem(entry.origin, f"{entry.url}: {message}", "snapshot", severity)
        return structure_from_compact(header, elements, package=entry.package)

    # -- adding sources -------------------------------------------------------------------

    def _register(
        self, resource: Any, package: str, origin: str, reader: Callable[[], Any] | None = None
    ) -> int:
        """Index one resource (or a Bundle of them); returns how many were added."""
        if not isinstance(resource, dict):
            return 0
        kind = resource.get("resourceType")
        if kind == "Bundle":
            count = 0
            for i, item in enumerate(resource.get("entry") or []):
                if isinstance(item, dict):
                    count += self._register(item.get("resource"), package, f"{origin}#entry[{i}]")
            return count
        if kind == "ImplementationGuide":
            return self._register_globals(resource, origin)
        if kind not in KINDS:
            return 0
        url = resource.get("url")
        if not isinstance(url, str) or not url:
            self._problem(origin, f"{kind} {resource.get('id', '')} has no canonical url")
            return 0
        version = resource.get("version")
        entry = _Entry(
            resource_type=str(kind),
            url=strip_version(url),
            version=version if isinstance(version, str) else None,
            package=package,
            origin=origin,
            reader=reader if reader is not None else (lambda: resource),
            raw=resource if reader is None else None,
        )
        self._entries[str(kind)].setdefault(entry.url, []).append(entry)
        return 1

    def _register_globals(self, guide: JsonDict, origin: str) -> int:
        url = guide.get("url")
        name = url if isinstance(url, str) else str(guide.get("id", "?"))
        count = 0
        for item in guide.get("global") or []:
            if not isinstance(item, dict):
                continue
            rtype, profile = item.get("type"), item.get("profile")
            if isinstance(rtype, str) and isinstance(profile, str):
                self._globals.append((rtype, profile, name, origin))
                count += 1
        return 1 if count else 0

    def global_profiles(self, resource_type: str) -> list[tuple[str, str]]:
        """(profile, implementation guide) of every loaded guide's global profile for
        ``resource_type``: all resources of that type must conform to it."""
        return [(p, guide) for rtype, p, guide, _ in self._globals if rtype == resource_type]

    def add_archive(self, archive: CompiledArchive, origin: str | None = None) -> PackageInfo:
        """Layer a compiled IG archive (such as the shipped US Core) over the core: it wins
        over the core and loses to every folder or package added later. Its own package
        dependencies are not loaded: what they define is reported as not available
        offline where content needs it."""
        self._archives.append(archive)
        dependencies = archive.index["package"].get("dependencies")
        info = PackageInfo(
            name=archive.package_name,
            version=archive.package_version,
            origin=origin or archive.origin,
            resources=archive.counts(),
            dependencies=dict(dependencies) if isinstance(dependencies, dict) else {},
            contents=archive.contents(),
        )
        self._packages.append(info)
        return info

    def add_resource(
        self, resource: JsonDict, label: str = "memory", origin: str = "memory"
    ) -> int:
        """Add one in-memory conformance resource (or a Bundle of them); returns how many
        were indexed. For tests and callers that build definitions themselves."""
        count = self._register(resource, label, origin)
        if not any(p.name == label for p in self._packages):
            self._packages.append(PackageInfo(name=label, version=None, origin=origin))
        for info in self._packages:
            if info.name == label:
                info.resources += count
        return count

    def add_folder(self, path: Path | str, label: str | None = None) -> PackageInfo:
        """Load every ``*.json`` conformance resource (or Bundle of them) under ``path``
        (recursively; a single file works too). Files holding other resources are
        ignored. A missing path raises :class:`DefinitionError`."""
        folder = Path(path)
        if not folder.exists():
            raise DefinitionError(f"definitions folder {folder} does not exist")
        files = (
            [folder]
            if folder.is_file()
            else sorted(
                p
                for p in folder.rglob("*.json")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(folder).parts)
            )
        )
        manifest = _folder_manifest(folder)
        name = label or (manifest.get("name") if manifest else None) or f"folder:{folder}"
        version = manifest.get("version") if manifest else None
        count = 0
        for file in files:
            if file.name in _SKIPPED_FILES:
                continue
            try:
                data = file.read_bytes()
            except OSError as exc:
                self._problem(str(file), f"cannot read: {exc}", "unreadable")
                continue
            resource = _parse_json(data, str(file), self._problem)
            count += self._register(resource, str(name), str(file))
        info = PackageInfo(
            name=str(name),
            version=version if isinstance(version, str) else None,
            origin=str(folder),
            resources=count,
        )
        self._packages.append(info)
        return info

    def add_package_tgz(
        self, path: Path | str, load_dependencies: bool = True
    ) -> PackageInfo | None:
        """Load an NPM FHIR package (``.tgz``). An unsafe or corrupt archive is rejected
        as a whole (a problem, ``None`` returned); a missing file raises."""
        from pcocheck.definitions.packages import (
            CORRUPT_ARCHIVE_ERRORS,
            UnsafePackage,
            read_package_tgz,
        )

        file = Path(path)
        if not file.is_file():
            raise DefinitionError(f"package file {file} does not exist")
        try:
            contents = read_package_tgz(file)
        except UnsafePackage as exc:
            self._problem(str(file), f"package rejected: {exc}", "unsafe-path")
            return None
        except CORRUPT_ARCHIVE_ERRORS as exc:
            self._problem(str(file), f"not a readable package archive: {exc}", "unreadable")
            return None
        for name in contents.outside:
            self._problem(
                str(file), f"ignored member {name!r}: outside package/", "unsafe-path", "warning"
            )
        return self._add_package(contents, load_dependencies)

    def add_cached_package(
        self, package_id: str, version: str, load_dependencies: bool = True
    ) -> PackageInfo:
        """Load ``<cache>/<id>#<version>/package``; raises if it is not in the cache."""
        from pcocheck.definitions.packages import (
            UnsafePackage,
            cached_package_folder,
            read_package_folder,
        )

        folder = cached_package_folder(self._cache(), package_id, version)
        if not folder.is_dir():
            raise DefinitionError(
                f"package {package_id}#{version} is not in the FHIR package cache "
                f"({self._cache()}); download it or pass the .tgz file"
            )
        try:
            contents = read_package_folder(folder)
        except UnsafePackage as exc:
            raise DefinitionError(str(exc)) from exc
        return self._add_package(contents, load_dependencies)

    def fetch_package(
        self,
        package_id: str,
        version: str,
        registry_url: str = DEFAULT_PACKAGE_REGISTRY,
        timeout: float = 60.0,
    ) -> PackageInfo:
        """Download a package into the cache (unless it is there already) and load it.
        Only ever called on the user's explicit request; errors raise DefinitionError."""
        from pcocheck.definitions.packages import download_package

        download_package(package_id, version, self._cache(), registry_url, timeout)
        return self.add_cached_package(package_id, version)

    def add_package(
        self,
        spec: str,
        version: str | None = None,
        *,
        fetch: bool = False,
        registry_url: str = DEFAULT_PACKAGE_REGISTRY,
    ) -> PackageInfo | None:
        """``--package`` semantics: a ``.tgz`` path, ``id#version``, or an id with
        ``version``, loaded from the package cache. Only with ``fetch`` is a package
        missing from the cache downloaded from ``registry_url``; otherwise it raises
        :class:`DefinitionError`, so runs stay offline unless the user asks."""
        from pcocheck.definitions.packages import cached_package_folder

        if version is None and (Path(spec).is_file() or spec.endswith((".tgz", ".tar.gz"))):
            return self.add_package_tgz(spec)
        package_id = spec
        if version is None:
            package_id, _, version = spec.partition("#")
        if not package_id or not version:
            raise DefinitionError(f"{spec!r} is neither a package file nor id#version")
        if fetch and not cached_package_folder(self._cache(), package_id, version).is_dir():
            return self.fetch_package(package_id, version, registry_url)
        return self.add_cached_package(package_id, version)

    def _add_package(self, contents: PackageContents, load_dependencies: bool) -> PackageInfo:
        label = f"{contents.name}#{contents.version}" if contents.version else contents.name
        count = self._register_package_files(contents, label)
        info = PackageInfo(
            name=contents.name,
            version=contents.version,
            origin=contents.origin,
            resources=count,
            dependencies=contents.dependencies,
        )
        self._packages.append(info)
        for dep_name, dep_version in contents.dependencies.items():
            if dep_name == self.core.package_name:
                if not _version_matches(dep_version, self.core.package_version):
                    self._problem(
                        contents.origin,
                        f"depends on {dep_name}#{dep_version}; pcocheck validates FHIR R4 "
                        f"({self.core.package_version})",
                        "missing-dependency",
                        "warning",
                    )
                continue
            if any(p.name == dep_name for p in self._packages):
                self._pending_dependencies.append((contents.origin, dep_name, dep_version))
                continue
            if load_dependencies:
                try:
                    self.add_cached_package(dep_name, dep_version)
                    continue
                except DefinitionError:
                    pass  # not cached: reported below unless another source provides it
            self._pending_dependencies.append((contents.origin, dep_name, dep_version))
        return info

    def _register_package_files(self, contents: PackageContents, label: str) -> int:
        index = _package_index(contents, self._problem)
        count = 0
        if index is not None:
            # .index.json names each file's type and URL: parse files only when used.
            for file_name, kind, url, version in index:
                reader = contents.files.get(file_name)
                if reader is not None and kind == "ImplementationGuide":
                    # Small and rare: read now for its global profiles.
                    origin = f"{contents.origin}:{file_name}"
                    guide = _parse_json(reader(), origin, self._problem)
                    if isinstance(guide, dict):
                        self._register_globals(guide, origin)
                    continue
                if reader is None or kind not in KINDS:
                    continue
                stub = {"resourceType": kind, "url": url, "version": version}
                origin = f"{contents.origin}:{file_name}"
                count += self._register(stub, label, origin, reader)
            return count
        for file_name, reader in sorted(contents.files.items()):
            if file_name in _SKIPPED_FILES:
                continue
            origin = f"{contents.origin}:{file_name}"
            try:
                data = reader()
            except OSError as exc:
                self._problem(origin, f"cannot read: {exc}", "unreadable")
                continue
            resource = _parse_json(data, origin, self._problem)
            count += self._register(resource, label, origin)
        return count

    def _cache(self) -> Path:
        if self.package_cache is not None:
            return self.package_cache
        from pcocheck.definitions.packages import package_cache_dir

        return package_cache_dir()


def _unknown_base(url: str, base: str) -> str:
    return (
        f"{url}: base definition {base} is not loaded (add the package or folder that defines it)"
    )


def _has_snapshot(raw: JsonDict) -> bool:
    snapshot = raw.get("snapshot")
    return isinstance(snapshot, dict) and bool(snapshot.get("element"))


def _archive_summary(
    kind: str, resource: JsonDict | None, url: str, package: str
) -> ResourceSummary:
    raw = resource or {}
    version, name = raw.get("version"), raw.get("name")
    return ResourceSummary(
        kind,
        url,
        version if isinstance(version, str) else None,
        name if isinstance(name, str) else None,
        package,
    )


ProblemSink = Callable[..., None]


def _parse_json(data: bytes, origin: str, problem: ProblemSink) -> Any:
    try:
        return loads_bounded(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        problem(origin, f"not UTF-8 text: {exc}", "bad-json")
    except ValueError as exc:
        problem(origin, f"not valid JSON: {exc}", "bad-json")
    return None


def _folder_manifest(folder: Path) -> dict[str, Any] | None:
    manifest = folder / "package.json" if folder.is_dir() else None
    if manifest is None or not manifest.is_file():
        return None
    try:
        data = loads_bounded(manifest.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _package_index(
    contents: PackageContents, problem: ProblemSink
) -> list[tuple[str, str, str, str | None]] | None:
    reader = contents.files.get(".index.json")
    if reader is None:
        return None
    try:
        index = loads_bounded(reader())
        rows = [
            (
                str(f["filename"]),
                str(f.get("resourceType")),
                str(f["url"]),
                f.get("version") if isinstance(f.get("version"), str) else None,
            )
            for f in index["files"]
            if isinstance(f, dict) and isinstance(f.get("url"), str)
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem(
            f"{contents.origin}:.index.json",
            f"unusable package index ({exc!r}); reading every file instead",
            "bad-json",
            "warning",
        )
        return None
    return rows


_SHARED_CORE: list[CoreArchive] = []


def shared_core() -> CoreArchive:
    """The core archive, opened once per process and shared by every registry."""
    if not _SHARED_CORE:
        _SHARED_CORE.append(CoreArchive())
    return _SHARED_CORE[0]


def shipped_profiles_dir() -> Path | None:
    """``profiles/`` as installed (``pcocheck/_profiles`` in a wheel) or in the repository
    next to ``src/`` (editable install)."""
    folder = package_folder("pcocheck")
    if folder is not None:  # the common case: no importlib.resources needed
        if (folder / "_profiles").is_dir():
            return folder / "_profiles"
    else:
        try:
            from importlib import resources

            installed = resources.files("pcocheck").joinpath("_profiles")
            if installed.is_dir():
                return Path(str(installed))
        except (ModuleNotFoundError, OSError):
            pass
    repository = Path(__file__).resolve().parents[3] / "profiles"
    return repository if repository.is_dir() else None


def default_registry(package_cache: Path | None = None) -> DefinitionRegistry:
    """Core R4, US Core 6.1.0 (the official package, compiled) and the PCO STU1
    definitions pcocheck ships in ``profiles/``."""
    from pcocheck.definitions.uscore import shared_uscore

    registry = DefinitionRegistry(package_cache=package_cache)
    uscore = shared_uscore()
    registry.add_archive(uscore, origin=f"builtin: {uscore.source}")
    folder = shipped_profiles_dir()
    if folder is not None:
        registry.add_folder(folder, label=SHIPPED_PROFILES_LABEL)
    return registry
