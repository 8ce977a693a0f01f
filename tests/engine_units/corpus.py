"""Plausible FHIR JSON nodes for an invariant, generated from the R4 model.

For an invariant on element type ``T`` the generator fills in the children of ``T``
that the expression mentions (recursively, choice elements with a random allowed
type), with values drawn from the expression's own literals so that comparisons in
the expression go both ways. Seeded, so every run sees the same corpus.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from pcocheck.engine.fhirpath_model import CHOICE_TYPES, DEFINED_ELSEWHERE, PATH_TO_TYPE

DATA = Path(__file__).resolve().parent / "data"
XHTML = "http://www.w3.org/1999/xhtml"

_IDENT = re.compile(r"`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*)")
_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'")

_CHILDREN: dict[str, set[str]] = {}
for _path in PATH_TO_TYPE:
    _parent, _, _name = _path.rpartition(".")
    _CHILDREN.setdefault(_parent, set()).add(_name)
for _path in CHOICE_TYPES:
    _parent, _, _name = _path.rpartition(".")
    _CHILDREN.setdefault(_parent, set()).add(_name)
for _path in DEFINED_ELSEWHERE:
    _parent, _, _name = _path.rpartition(".")
    _CHILDREN.setdefault(_parent, set()).add(_name)
# Backbone elements have no path2Type entry of their own: register them as children.
for _path in list(PATH_TO_TYPE) + list(CHOICE_TYPES):
    _segments = _path.split(".")
    for _cut in range(2, len(_segments)):
        _CHILDREN.setdefault(".".join(_segments[: _cut - 1]), set()).add(_segments[_cut - 1])

PRIMITIVES = {
    "boolean",
    "integer",
    "positiveInt",
    "unsignedInt",
    "decimal",
    "string",
    "code",
    "id",
    "markdown",
    "uri",
    "url",
    "canonical",
    "oid",
    "uuid",
    "base64Binary",
    "date",
    "dateTime",
    "instant",
    "time",
    "xhtml",
    "System.String",
    "System.Boolean",
    "System.Integer",
    "System.Decimal",
    "System.Date",
    "System.DateTime",
    "System.Time",
}


_REPEATING: set[str] | None = None


def repeats(path: str) -> bool:
    global _REPEATING
    if _REPEATING is None:
        _REPEATING = set(json.loads((DATA / "r4_repeating.json").read_text(encoding="utf-8")))
    return path in _REPEATING


def r4_invariants() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(
        (DATA / "r4_invariants.json").read_text(encoding="utf-8")
    )
    return entries


def element_types(entry: dict[str, Any]) -> list[str]:
    """The types (or the backbone path) a constraint's node can have."""
    path: str = entry["path"]
    types: list[str] = entry["types"]
    if "." not in path:
        return [path]
    concrete = [t for t in types if t not in ("BackboneElement", "Element")]
    return concrete or [path]


class NodeFactory:
    def __init__(self, expression: str, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = {a or b for a, b in _IDENT.findall(_STRING.sub("", expression))}
        self.literals = [s for s in _STRING.findall(expression) if s]

    def node(self, type_path: str, depth: int = 0, fill: float = 0.6) -> Any:
        type_path = DEFINED_ELSEWHERE.get(type_path, type_path)
        if type_path in PRIMITIVES:
            return self.primitive(type_path)
        result: dict[str, Any] = {}
        if "." not in type_path and type_path[:1].isupper() and _is_resource(type_path):
            result["resourceType"] = type_path
        if depth > 3:
            return result or {"id": "x"}
        for name in sorted(_CHILDREN.get(type_path, set()) & self.names):
            if self.rng.random() > fill:
                continue
            path = f"{type_path}.{name}"
            choices = CHOICE_TYPES.get(path)
            if choices:
                suffix = self.rng.choice(choices)
                key = name + suffix
                child_type = PATH_TO_TYPE.get(path + suffix, suffix[0].lower() + suffix[1:])
            else:
                key = name
                child_type = "Extension" if name == "extension" else PATH_TO_TYPE.get(path, path)
            if child_type == "Resource":
                value: Any = self.contained(0)
                if repeats(path):
                    value = [self.contained(index) for index in range(self.rng.randint(1, 2))]
            else:
                value = self.node(child_type, depth + 1, fill)
                if isinstance(value, dict) and not value:
                    value = (
                        {"id": "x"}
                        if self.rng.random() < 0.3
                        else {"extension": [{"url": "http://example.org/e", "valueString": "e"}]}
                    )
                if repeats(path):
                    value = [value]
                    if self.rng.random() < 0.3:
                        value.append(self.node(child_type, depth + 1, fill))
            result[key] = value
        return result

    def contained(self, index: int) -> dict[str, Any]:
        resource: dict[str, Any] = {"resourceType": "Basic", "id": f"c{index}"}
        roll = self.rng.random()
        if roll < 0.2:
            resource["meta"] = {"versionId": "1"}
        elif roll < 0.3:
            resource["meta"] = {"security": [{"code": "x"}]}
        elif roll < 0.4:
            resource["contained"] = [{"resourceType": "Basic", "id": "inner"}]
        elif roll < 0.5:
            resource["subject"] = {"reference": "#"}
        return resource

    def primitive(self, type_name: str) -> Any:
        rng = self.rng
        if type_name in ("boolean", "System.Boolean"):
            return rng.choice([True, False])
        if type_name in ("integer", "positiveInt", "unsignedInt", "System.Integer"):
            return rng.choice([0, 1, 2, 5])
        if type_name in ("decimal", "System.Decimal"):
            return rng.choice([0.5, 1, 100, 150.5, -1])
        if type_name in ("date", "System.Date"):
            return rng.choice(["2020", "2020-01", "2020-01-01", "2021-03-04"])
        if type_name in ("dateTime", "instant", "System.DateTime"):
            return rng.choice(
                [
                    "2020-01-01",
                    "2020-01-01T10:00:00Z",
                    "2021-06-01T10:00:00+02:00",
                    "2019",
                    "2020-01-01T09:00:00-05:00",
                ]
            )
        if type_name in ("time", "System.Time"):
            return rng.choice(["10:00:00", "23:59:59"])
        if type_name == "xhtml":
            return rng.choice(
                [
                    f'<div xmlns="{XHTML}"><p>text</p></div>',
                    f'<div xmlns="{XHTML}"><script>x()</script></div>',
                ]
            )
        if type_name in ("uri", "url", "canonical"):
            options = [lit for lit in self.literals if ":" in lit] or ["http://example.org/x"]
            return rng.choice([*options, "http://example.org/x", "#c0", "#", "urn:uuid:1"])
        if self.literals and rng.random() < 0.7:
            return rng.choice(self.literals)
        return rng.choice(["a", "b", "1", "*", "a.b"])


def _is_resource(type_name: str) -> bool:
    from pcocheck.engine.fhirpath_model import is_subtype

    return is_subtype(type_name, "Resource") and type_name not in ("Resource", "DomainResource")


def nodes_for(entry: dict[str, Any], count: int) -> list[tuple[str, Any]]:
    """``count`` + 1 nodes as ``(type, node)``; the first one is as empty as possible."""
    factory = NodeFactory(entry["expression"], seed=hash_seed(entry["key"], entry["expression"]))
    types = element_types(entry)
    nodes: list[tuple[str, Any]] = [(types[0], factory.node(types[0], fill=0.0))]
    for index in range(count):
        type_path = types[index % len(types)]
        nodes.append((type_path, factory.node(type_path, fill=0.3 + 0.7 * (index % 4) / 3)))
    return nodes


def hash_seed(*parts: str) -> int:
    seed = 17
    for part in parts:
        for char in part:
            seed = (seed * 131 + ord(char)) % 2_147_483_647
    return seed
