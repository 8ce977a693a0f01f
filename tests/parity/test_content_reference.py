"""Every R4 element defined by ``contentReference`` is validated like the element it names.

``Questionnaire.item.item`` and its 54 peers have no type of their own; they used to be
planned with an empty type and skipped. This test walks every such element of every R4
resource, builds an instance that puts an unknown property inside it, and asserts that
the unknown property is reported there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pcocheck.config import RunConfig
from pcocheck.definitions.model import StructureDef
from pcocheck.definitions.registry import shared_core
from pcocheck.runner import validate_config


def _content_reference_paths() -> list[tuple[StructureDef, str]]:
    core = shared_core()
    found = []
    for url in core.structure_urls():
        sd = core.structure(url)
        if sd is None or sd.kind != "resource" or sd.derivation != "specialization":
            continue
        found.extend((sd, e.path) for e in sd.elements if e.content_reference)
    return found


def _instance(sd: StructureDef, path: str) -> tuple[dict[str, Any], str]:
    """A resource with ``{"unknownProbe": 1}`` at ``path``, and its FHIRPath expression."""
    segments = path.split(".")
    resource: dict[str, Any] = {"resourceType": sd.type}
    node = resource
    expression = sd.type
    for depth in range(1, len(segments)):
        element = sd.by_id.get(".".join(segments[: depth + 1]))
        if element is None:  # below a content reference: follow it
            element = next(e for e in sd.elements if e.path == ".".join(segments[: depth + 1]))
        child: dict[str, Any] = {}
        name = segments[depth]
        if element.max != "1":
            node[name] = [child]
            expression += f".{name}[0]"
        else:
            node[name] = child
            expression += f".{name}"
        node = child
    node["unknownProbe"] = 1
    return resource, expression + ".unknownProbe"


def test_every_content_reference_element_is_validated(tmp_path: Path) -> None:
    paths = _content_reference_paths()
    assert len(paths) >= 50  # R4 4.0.1 has 55; fewer means the core archive is broken
    expected = {}
    lines = []
    for sd, path in paths:
        resource, expression = _instance(sd, path)
        expected[expression] = path
        lines.append(json.dumps(resource))
    data = tmp_path / "content-references.ndjson"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = validate_config(RunConfig(paths=(str(data),))).sorted_findings()
    reported = {f.expression for f in findings if f.code == "FHIR-STRUCT-001"}
    missing = sorted(path for expression, path in expected.items() if expression not in reported)
    assert missing == []
