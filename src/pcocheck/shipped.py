"""Files shipped inside the pcocheck package (definition archives, the rule catalog,
``_profiles``), found without :mod:`importlib.resources` when the package lives in a
folder, as it does when installed from a wheel or in a checkout.

Every run reads such files; ``importlib.resources`` alone imports ``tempfile``,
``random`` and more, a couple of milliseconds of each start. A package imported some
other way (from a zip archive) has no such folder: then these functions return None and
the callers go through ``importlib.resources`` as before.
"""

from __future__ import annotations

import importlib
from pathlib import Path


def package_folder(package: str) -> Path | None:
    """The folder of ``package`` (a dotted name) on disk, or None."""
    module = importlib.import_module(package)
    location = getattr(module, "__file__", None)
    if not location:
        return None
    folder = Path(location).parent
    return folder if folder.is_dir() else None


def shipped_path(package: str, name: str) -> Path | None:
    """``name`` inside ``package``'s folder when it exists there, else None."""
    folder = package_folder(package)
    if folder is None:
        return None
    path = folder / name
    return path if path.exists() else None


def read_shipped(package: str, name: str) -> bytes:
    """The bytes of ``name`` shipped in ``package`` (OSError when it is missing)."""
    path = shipped_path(package, name)
    if path is not None:
        return path.read_bytes()
    from importlib import resources

    return resources.files(package).joinpath(name).read_bytes()
