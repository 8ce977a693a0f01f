"""Shipped package files (pcocheck.shipped): read in place from the package folder, and
through importlib.resources for a package that has no folder (imported from a zip)."""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pcocheck.catalog import _family_file, _files
from pcocheck.shipped import package_folder, read_shipped, shipped_path


def test_files_next_to_the_package_are_read_in_place() -> None:
    folder = package_folder("pcocheck.data")
    assert folder is not None and (folder / "r4core.zip").is_file()
    assert shipped_path("pcocheck.data", "r4core.zip") == folder / "r4core.zip"
    assert read_shipped("pcocheck.data", "r4core.zip")[:2] == b"PK"
    assert shipped_path("pcocheck.data", "no-such-file.zip") is None
    with pytest.raises(OSError):
        read_shipped("pcocheck.data", "no-such-file.zip")


def test_the_catalog_lists_and_reads_its_family_files() -> None:
    names = _files()
    assert "pco-gas.toml" in names and all(name.endswith(".toml") for name in names)
    assert all(spec.family_file == "pco-gas.toml" for spec in _family_file("pco-gas.toml"))


@pytest.fixture
def zipped_package(tmp_path: Path) -> Iterator[str]:
    archive = tmp_path / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("pcocheck_zipped_probe/__init__.py", "")
        handle.writestr("pcocheck_zipped_probe/payload.bin", b"\x00shipped\xff")
    sys.path.insert(0, str(archive))
    try:
        yield "pcocheck_zipped_probe"
    finally:
        sys.path.remove(str(archive))
        sys.modules.pop("pcocheck_zipped_probe", None)


def test_a_package_without_a_folder_goes_through_importlib_resources(
    zipped_package: str,
) -> None:
    assert package_folder(zipped_package) is None
    assert shipped_path(zipped_package, "payload.bin") is None
    assert read_shipped(zipped_package, "payload.bin") == b"\x00shipped\xff"
    with pytest.raises(OSError):
        read_shipped(zipped_package, "missing.bin")
