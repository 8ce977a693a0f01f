"""Precompile the FHIRPath invariants pcocheck ships into parsed syntax trees.

fhirpathpy's ANTLR parser needs a few hundred milliseconds to warm up, which would
dominate pcocheck's start-up; the parsed trees of every constraint expression in the
R4 core archive and in profiles/ are therefore stored in src/pcocheck/data/
fhirpath-ast.zip, one member per expression (see pcocheck.definitions.fhirpath_cache).
Expressions not in the file (user profiles) are parsed at run time. Regenerate after
changing profiles/ or the core archive (tests/test_startup.py checks it is current):

    python tools/build_fhirpath_cache.py
"""

from __future__ import annotations

import json
from pathlib import Path

from pcocheck.definitions.core import write_archive
from pcocheck.definitions.fhirpath_cache import ARCHIVE_NAME, member_name
from pcocheck.definitions.registry import default_registry
from pcocheck.engine.errata import ERRATA
from pcocheck.engine.invariants import check_syntax

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "pcocheck" / "data" / ARCHIVE_NAME
FIXED_TIME = (2019, 11, 1, 0, 0, 0)  # keeps the zip reproducible


def shipped_expressions() -> set[str]:
    """Every constraint and contextInvariant expression of the R4 core archive and of
    profiles/, and the corrections the engine evaluates instead of defective published ones
    (errata)."""
    registry = default_registry()
    expressions: set[str] = set()
    core = registry.core
    for url in core.structure_urls():
        sd = registry.structure(url)
        if sd is not None:
            expressions.update(
                c.expression for e in sd.elements for c in e.constraints if c.expression
            )
            expressions.update(sd.context_invariants)  # extensions' contextInvariant rules
    for sd in registry.structures():
        expressions.update(c.expression for e in sd.elements for c in e.constraints if c.expression)
        expressions.update(sd.context_invariants)
    expressions.update(erratum.corrected for erratum in ERRATA)
    return expressions


def build_trees(report: bool = False) -> dict[str, object]:
    """The parsed tree of every shipped expression that parses (what the zip must hold)."""
    import fhirpathpy

    trees = {}
    for expression in sorted(shipped_expressions()):
        try:
            check_syntax(expression)
            trees[expression] = fhirpathpy.compile(expression).parsedPath
        except Exception as error:
            if report:
                print(f"skipped (does not parse): {expression!r}: {error}")
    return trees


def main() -> None:
    trees = build_trees(report=True)
    blobs = {
        member_name(expression): json.dumps(
            {"expression": expression, "tree": tree}, separators=(",", ":"), sort_keys=True
        ).encode()
        for expression, tree in trees.items()
    }
    write_archive(OUT, blobs, FIXED_TIME)
    print(f"wrote {len(trees)} parsed expressions to {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
