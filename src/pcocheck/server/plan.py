"""The server test plan as data: the US Core server expectations (built by
``tools/build_server_plan.py`` from the official package) plus the PCO additions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

PLAN_FILE = "plan-us-core-6.1.0.json"
ADDITIONS_FILE = "pco-additions.json"


@dataclass(frozen=True, slots=True)
class SearchParam:
    name: str
    type: str
    paths: tuple[str, ...]
    expectation: str
    comparators: dict[str, str]
    multiple_or: str
    target: tuple[str, ...]

    def shall_comparators(self) -> list[str]:
        return [c for c, e in sorted(self.comparators.items()) if e == "SHALL"]


@dataclass(frozen=True, slots=True)
class ResourcePlan:
    type: str
    expectation: str
    profiles: dict[str, str]
    interactions: dict[str, str]
    params: dict[str, SearchParam]
    combinations: tuple[tuple[tuple[str, ...], str], ...]
    revincludes: dict[str, str]


@dataclass(frozen=True, slots=True)
class Plan:
    source: dict[str, Any]
    fhir_version: str
    formats: dict[str, str]
    instantiates: str
    resources: dict[str, ResourcePlan]
    additions: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.source.get('package')}#{self.source.get('version')}"

    def first_searches(self) -> list[tuple[str, tuple[str, ...], list[dict[str, Any]]]]:
        """(type, parameters, fixed values per search) of the first searches."""
        out = []
        for item in self.additions["firstSearches"]:
            fixed: list[dict[str, Any]] = list(item.get("fixed", []))
            extra = [p for p in item["params"] if p != "patient"]
            for source in item.get("fixedFrom", []):
                for value in self._values(source):
                    fixed.append({extra[0]: value})
            out.append((str(item["type"]), tuple(item["params"]), fixed))
        return out

    def _values(self, source: str) -> list[Any]:
        if source == "questionnaires":
            return [q["canonical"] for q in self.additions["questionnaires"]]
        return list(self.additions["codes"][source])

    def status_param(self, resource_type: str) -> str:
        return str(self.additions.get("statusParams", {}).get(resource_type, "status"))


def _param(name: str, body: dict[str, Any]) -> SearchParam:
    return SearchParam(
        name=name,
        type=str(body.get("type") or "token"),
        paths=tuple(body.get("paths") or ()),
        expectation=str(body.get("expectation", "MAY")),
        comparators=dict(body.get("comparators") or {}),
        multiple_or=str(body.get("multipleOr", "MAY")),
        target=tuple(body.get("target") or ()),
    )


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def load_plan() -> Plan:
    data = _read(PLAN_FILE)
    additions = _read(ADDITIONS_FILE)
    plans = {}
    for rtype, body in data["resources"].items():
        plans[rtype] = ResourcePlan(
            type=rtype,
            expectation=str(body["expectation"]),
            profiles=dict(body.get("profiles", {})),
            interactions=dict(body.get("interactions", {})),
            params={n: _param(n, p) for n, p in body.get("searchParams", {}).items()},
            combinations=tuple(
                (tuple(c["params"]), str(c["expectation"])) for c in body.get("combinations", [])
            ),
            revincludes=dict(body.get("revincludes", {})),
        )
    return Plan(
        source=dict(data["source"]),
        fhir_version=str(data["fhirVersion"]),
        formats=dict(data["formats"]),
        instantiates=str(data["instantiates"]),
        resources=plans,
        additions=additions,
    )
