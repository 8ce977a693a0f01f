"""The parsed FHIRPath trees shipped in ``pcocheck/data/fhirpath-ast.zip``.

fhirpathpy's ANTLR parser needs a few hundred milliseconds to warm up, so the trees of
every constraint expression of the R4 core archive and of profiles/ are precompiled by
``tools/build_fhirpath_cache.py``. One zip member per expression, named by a hash of its
text: a run reads only the trees of the invariants it evaluates through fhirpathpy (one
JSON document holding all of them took about 25 ms to parse on every start).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from functools import cache
from typing import Any

from pcocheck.shipped import read_shipped

ARCHIVE_NAME = "fhirpath-ast.zip"


def member_name(expression: str) -> str:
    """The zip member holding the tree of ``expression``."""
    return hashlib.sha256(expression.encode("utf-8")).hexdigest()[:24] + ".json"


@cache
def _archive() -> zipfile.ZipFile | None:
    try:
        data = read_shipped("pcocheck.data", ARCHIVE_NAME)
        # In memory: no file handle whose offset a forked worker would share.
        return zipfile.ZipFile(io.BytesIO(data))
    except (OSError, zipfile.BadZipFile):
        return None


@cache
def shipped_tree(expression: str) -> Any | None:
    """The parsed tree of ``expression``, or None when it is not shipped (user profiles):
    the caller then parses it with fhirpathpy."""
    archive = _archive()
    if archive is None:
        return None
    try:
        found = json.loads(archive.read(member_name(expression)))
    except (KeyError, ValueError, zipfile.BadZipFile):
        return None
    if not isinstance(found, dict) or found.get("expression") != expression:
        return None  # a hash collision or a damaged member: parse at run time
    return found.get("tree")


def shipped_trees() -> dict[str, Any]:
    """Every shipped tree by expression (tests and the builder; runs use shipped_tree)."""
    archive = _archive()
    if archive is None:
        return {}
    trees: dict[str, Any] = {}
    for name in archive.namelist():
        found = json.loads(archive.read(name))
        trees[str(found["expression"])] = found["tree"]
    return trees
