"""prom_observation picks, among the LOINC codes of Observation.code in their order, the
first PROM measure, the first panel and the first item or total (one loop over the codes):
checked against the definition on every ordering of a few codes of each kind."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from pcocheck.rules.access import loinc_codes
from pcocheck.rules.codes import PROM_TARGET_MEASURES
from pcocheck.rules.facts import Subject
from pcocheck.rules.instruments import BY_ITEM, BY_PANEL, BY_TOTAL
from pcocheck.rules.prom import prom_observation
from pcocheck.rules.references import Scope
from pcocheck.view import Anchor, ResourceView

POOL = ["44261-6", "70274-6", "44249-1", "69737-5", "44250-9", "92418-3", "1234-5"]


def _first(codes: list[str], wanted: Any) -> str | None:
    return next((c for c in codes if wanted(c)), None)


@pytest.mark.parametrize("codes", list(itertools.permutations(POOL, 3)), ids="-".join)
def test_first_code_of_each_kind(codes: tuple[str, ...]) -> None:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "o",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": c} for c in codes]},
        "valueQuantity": {"value": 5, "system": "http://unitsofmeasure.org", "code": "1"},
        "hasMember": [{"reference": "Observation/item"}],  # a panel's fact needs members
    }
    view = ResourceView(resource, Anchor(source=None, file="f.json", root="Observation"))
    scope = Scope(lambda: None, ("f.json", None, None, None), True, bundled=False)  # type: ignore[arg-type,return-value]
    found = prom_observation(Subject(view, resource, (), scope), [])
    listed = loinc_codes(resource["code"])
    measure = _first(listed, PROM_TARGET_MEASURES.__contains__)
    panel = _first(listed, BY_PANEL.__contains__)
    item = _first(listed, lambda c: c in BY_ITEM or c in BY_TOTAL)
    assert (found.score.code if found.score else None) == measure
    assert (found.panel.instrument if found.panel else None) == (
        BY_PANEL[panel].name if panel else None
    )
    assert (found.item.code if found.item else None) == item
