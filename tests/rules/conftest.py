"""A tiny input loader for the PCO rule tests: JSON files (a Bundle or one resource) and
NDJSON exports become ResourceViews the way the real pipeline makes them, and the rules
run over all views of a case (``check`` each, then ``finish``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pcocheck.finding import Finding
from pcocheck.inputs.source import SourceText
from pcocheck.rules import PcoRules
from pcocheck.view import Anchor, ResourceView

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
QUESTIONNAIRE_DIR = FIXTURES / "questionnaires"


def _label(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    return (
        f"{resource.get('resourceType')}/{rid}"
        if isinstance(rid, str)
        else str(resource.get("resourceType"))
    )


def document_views(source: SourceText, value: Any) -> list[ResourceView]:
    """The document itself and, for a Bundle, one view per entry resource."""
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        return []
    root_type = value["resourceType"]
    file = source.file
    views = [
        ResourceView(
            resource=value,
            anchor=Anchor(source, file, root=root_type, base_path=(), resource=_label(value)),
        )
    ]
    if root_type != "Bundle":
        return views
    entries = value.get("entry")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        resource = entry["resource"]
        full_url = entry.get("fullUrl")
        views.append(
            ResourceView(
                resource=resource,
                anchor=Anchor(
                    source,
                    file,
                    root="Bundle",
                    base_path=("entry", index, "resource"),
                    entry=index,
                    resource=_label(resource),
                ),
                full_url=full_url if isinstance(full_url, str) else None,
                bundle=views[0],
            )
        )
    return views


def file_views(path: Path, name: str | None = None) -> list[ResourceView]:
    name = name or path.name
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ndjson":
        views: list[ResourceView] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                source = SourceText(name, line, first_line=number, record=True)
                views.extend(document_views(source, json.loads(line)))
        return views
    return document_views(SourceText(name, text), json.loads(text))


def case_views(folder: Path) -> list[ResourceView]:
    views: list[ResourceView] = []
    for path in sorted(folder.iterdir()):
        if path.name != "expected.json" and path.suffix in (".json", ".ndjson"):
            views.extend(file_views(path, f"{folder.name}/{path.name}"))
    return views


def questionnaire_lookup(
    extra: Iterable[dict[str, Any]] = (),
) -> Callable[[str], dict[str, Any] | None]:
    """A dict-backed stand-in for the definitions registry: the fixture Questionnaires by
    url and url|version."""
    table: dict[str, dict[str, Any]] = {}
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in QUESTIONNAIRE_DIR.glob("*.json")]
    for questionnaire in [*loaded, *extra]:
        url = questionnaire["url"]
        table[url] = questionnaire
        if "version" in questionnaire:
            table[f"{url}|{questionnaire['version']}"] = questionnaire
    return table.get


def run_rules(
    views: Iterable[ResourceView], lookup: Callable[[str], dict[str, Any] | None] | None = None
) -> list[Finding]:
    rules = PcoRules(questionnaires=lookup or questionnaire_lookup())
    found: list[Finding] = []
    for view in views:
        found.extend(rules.check(view))
    found.extend(rules.finish())
    return found
