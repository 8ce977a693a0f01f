"""Every code pcocheck can emit is documented once; no code is used undocumented."""

from __future__ import annotations

import re
from pathlib import Path

from pcocheck.catalog import CODE_PATTERN, catalog

SRC = Path(__file__).resolve().parent.parent / "src" / "pcocheck"
LITERAL = re.compile(r'"((?:FHIR|PCO|SRV|TX)-[A-Z]+(?:-[A-Z]+)?-\d{3})"')


def test_catalog_loads_and_every_entry_is_documented() -> None:
    specs = catalog()
    assert specs
    for spec in specs.values():
        assert CODE_PATTERN.match(spec.code)
        for text in (spec.summary, spec.what, spec.why, spec.example, spec.fix):
            assert text.strip(), spec.code
        assert "\n" not in spec.summary, f"{spec.code}: summary must be one line"


def test_every_code_used_in_the_source_is_in_the_catalog() -> None:
    used: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for code in LITERAL.findall(path.read_text(encoding="utf-8")):
            used.setdefault(code, str(path.relative_to(SRC)))
    missing = {code: where for code, where in used.items() if code not in catalog()}
    assert not missing, f"codes used but not documented: {missing}"
