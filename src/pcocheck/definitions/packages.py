"""FHIR NPM packages: reading ``.tgz`` files safely, the local package cache, downloads.

A package is a gzipped tar whose members all live under ``package/``. pcocheck reads
members into memory and never extracts an archive blindly: a member with an absolute
path, a ``..`` component or a link makes the whole package unsafe. Only a download
into the package cache writes to disk, and only the members that passed those checks.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcocheck.definitions.model import DEFAULT_PACKAGE_REGISTRY, DefinitionError
from pcocheck.jsonutil import loads_bounded

MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_PACKAGE_BYTES = 512 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
# hl7.fhir.r4.core, one of the largest packages, has about 4,600 members; tarfile keeps
# every member header in memory, so an archive of millions of empty members is refused.
MAX_MEMBERS = 50_000
DOWNLOAD_DEADLINE_FACTOR = 5  # x the read timeout, for the whole download
_PACKAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PACKAGE_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

Reader = Callable[[], bytes]


class UnsafePackage(Exception):
    """The archive tries to reach outside its package folder (or is not a FHIR package)."""


@dataclass
class PackageContents:
    """The top-level files of a package's ``package/`` folder, read on demand.

    ``files`` maps a file name (``StructureDefinition-x.json``) to a reader; ``outside``
    lists members that were ignored because they are not under ``package/``.
    """

    origin: str
    files: dict[str, Reader]
    manifest: dict[str, Any]
    outside: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", ""))

    @property
    def version(self) -> str | None:
        version = self.manifest.get("version")
        return version if isinstance(version, str) else None

    @property
    def dependencies(self) -> dict[str, str]:
        deps = self.manifest.get("dependencies")
        if not isinstance(deps, dict):
            return {}
        return {str(k): str(v) for k, v in deps.items()}


def check_member_name(name: str) -> list[str]:
    """The path components of a tar member name; raises :class:`UnsafePackage` for names
    that could point outside the folder a package is read into."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        raise UnsafePackage(f"member {name!r} has an absolute or non-POSIX path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePackage(f"member {name!r} points outside the package ('..')")
    return parts


def _read_tar(fileobj: io.BufferedIOBase | io.BytesIO) -> tuple[dict[str, bytes], list[str]]:
    """All regular files under ``package/`` (relative names) and the names outside it."""
    files: dict[str, bytes] = {}
    outside: list[str] = []
    total = 0
    with tarfile.open(fileobj=fileobj, mode="r:*") as tar:
        for count, member in enumerate(tar, start=1):
            if count > MAX_MEMBERS:
                raise UnsafePackage(f"package has more than {MAX_MEMBERS:,} members")
            parts = check_member_name(member.name)
            if member.issym() or member.islnk():
                raise UnsafePackage(f"member {member.name!r} is a link; packages hold files only")
            if not member.isfile() or not parts:
                continue
            if parts[0] != "package" or len(parts) == 1:
                outside.append(member.name)
                continue
            if member.size > MAX_MEMBER_BYTES:
                raise UnsafePackage(f"member {member.name!r} is larger than 64 MB")
            total += member.size
            if total > MAX_PACKAGE_BYTES:
                raise UnsafePackage("package unpacks to more than 512 MB")
            handle = tar.extractfile(member)
            if handle is not None:
                files["/".join(parts[1:])] = handle.read()
    return files, outside


def _manifest(origin: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise UnsafePackage(f"{origin} has no package/package.json; it is not a FHIR package")
    try:
        manifest = loads_bounded(data)
    except ValueError as exc:
        raise UnsafePackage(f"{origin}: package/package.json is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("name"), str):
        raise UnsafePackage(f"{origin}: package/package.json has no package name")
    return manifest


def _constant(data: bytes) -> Reader:
    return lambda: data


def _top_level(files: dict[str, bytes]) -> dict[str, Reader]:
    # Examples and other subfolders are not definitions.
    return {
        name: _constant(data)
        for name, data in files.items()
        if "/" not in name and name.endswith(".json")
    }


def read_package_bytes(data: bytes, origin: str) -> tuple[PackageContents, dict[str, bytes]]:
    """Parse a package archive held in memory; returns its contents and all its files.

    Raises :class:`UnsafePackage` for unsafe or non-package archives and
    ``tarfile.TarError``/``OSError``/``EOFError``/``zlib.error`` for corrupt ones.
    """
    files, outside = _read_tar(io.BytesIO(data))
    manifest = _manifest(origin, files.get("package.json"))
    return PackageContents(origin, _top_level(files), manifest, outside), files


def read_package_tgz(path: Path) -> PackageContents:
    return read_package_bytes(path.read_bytes(), str(path))[0]


def read_package_folder(folder: Path) -> PackageContents:
    """A package already unpacked, as in the FHIR package cache (``.../package``)."""
    manifest_path = folder / "package.json"
    try:
        manifest_bytes = manifest_path.read_bytes()
    except OSError:
        manifest_bytes = None
    manifest = _manifest(str(folder), manifest_bytes)
    files: dict[str, Reader] = {
        path.name: path.read_bytes for path in sorted(folder.glob("*.json")) if path.is_file()
    }
    return PackageContents(str(folder), files, manifest)


CORRUPT_ARCHIVE_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


def package_cache_dir() -> Path:
    """The FHIR package cache: ``$FHIR_PACKAGE_CACHE`` or ``~/.fhir/packages``."""
    configured = os.environ.get("FHIR_PACKAGE_CACHE")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".fhir" / "packages"


def check_package_spec(package_id: str, version: str) -> None:
    if not _PACKAGE_ID.match(package_id):
        raise DefinitionError(f"{package_id!r} is not a valid FHIR package id")
    if not _PACKAGE_VERSION.match(version):
        raise DefinitionError(f"{version!r} is not a valid package version")


def cached_package_folder(cache: Path, package_id: str, version: str) -> Path:
    check_package_spec(package_id, version)
    return cache / f"{package_id}#{version}" / "package"


def download_package(
    package_id: str,
    version: str,
    cache: Path,
    registry_url: str = DEFAULT_PACKAGE_REGISTRY,
    timeout: float = 60.0,
) -> Path:
    """Download ``<registry>/<id>/<version>`` into the cache; returns its ``package`` folder.

    A package already in the cache is not downloaded again. Nothing is written unless
    the whole archive is a safe FHIR package with the requested name and version.
    """
    target = cached_package_folder(cache, package_id, version)
    if (target / "package.json").is_file():
        return target
    url = f"{registry_url.rstrip('/')}/{package_id}/{version}"
    limit = DOWNLOAD_DEADLINE_FACTOR * timeout
    data = _within(limit, lambda: _fetch(url, f"{package_id}#{version}", timeout))
    if data is None:
        # a registry that drips bytes never trips the read timeout: an overall deadline
        raise DefinitionError(f"{url}: the download took longer than {limit:g} s; abandoned")
    try:
        contents, files = read_package_bytes(data, url)
    except UnsafePackage as exc:
        raise DefinitionError(f"refusing the package downloaded from {url}: {exc}") from exc
    except CORRUPT_ARCHIVE_ERRORS as exc:
        raise DefinitionError(f"{url} did not return a readable package archive: {exc}") from exc
    if contents.name != package_id or contents.version != version:
        raise DefinitionError(
            f"{url} returned {contents.name}#{contents.version}, not {package_id}#{version}"
        )
    try:
        _write_cache(target.parent, files)
    except OSError as exc:
        raise DefinitionError(f"cannot write {package_id}#{version} to {cache}: {exc}") from exc
    return target


def _fetch(url: str, spec: str, timeout: float) -> bytes:
    import requests  # deferred: only downloads need it, and it is slow to import

    try:
        with requests.get(url, timeout=(10.0, timeout), stream=True) as response:
            if response.status_code == 404:
                raise DefinitionError(f"package {spec} not found at {url}")
            if response.status_code != 200:
                raise DefinitionError(
                    f"downloading {spec} from {url} failed: HTTP {response.status_code}"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(chunk_size=1 << 16):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise DefinitionError(f"{url}: the package is larger than 256 MB")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise DefinitionError(f"cannot download {spec} from {url}: {exc}") from exc
    return b"".join(chunks)


def _within(seconds: float, work: Callable[[], bytes]) -> bytes | None:
    """``work()`` in a daemon thread; None when it did not finish within ``seconds`` (the
    thread is abandoned: its download is bounded in size and ends with the process)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # re-raised in the caller's thread
            box["error"] = error

    worker = threading.Thread(target=run, name="pcocheck-download", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        return None
    if "error" in box:
        raise box["error"]
    value: bytes = box["value"]
    return value


def _write_cache(destination: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (names relative to ``package/``) as ``destination/package/...``,
    atomically: a half-written package never appears in the cache."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pcocheck-", dir=destination.parent))
    try:
        root = (staging / "package").resolve()
        for name, data in files.items():
            path = (root / name).resolve()
            if root not in path.parents:  # names were checked; this guards the join itself
                raise DefinitionError(f"package member {name!r} resolves outside the package")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            staging.rename(destination)
        except OSError as exc:
            if not (destination / "package" / "package.json").is_file():
                raise DefinitionError(f"cannot write {destination}: {exc}") from exc
            # Another process cached the same package meanwhile; keep theirs.
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
