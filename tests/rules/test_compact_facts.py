"""PCO facts stay compact: a place of an NDJSON record keeps a small per-resource tuple, not
an Anchor with its source, and reports exactly where the anchor it came from would."""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from pcocheck.config import RunConfig
from pcocheck.inputs.source import RecordLine, SourceText
from pcocheck.rules import PcoRules
from pcocheck.rules.facts import ItemValue, Place, spot_of
from pcocheck.runner import run
from pcocheck.view import Anchor
from tests.rules.conftest import FIXTURES, questionnaire_lookup

PROFILE = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-score-observation"


def _record_anchor(line: int) -> Anchor:
    text = '{"resourceType":"Observation","id":"o1","valueInteger":1}'
    source = SourceText("export.ndjson", text, first_line=line, record=True)
    return Anchor(source, "export.ndjson", "Observation", (), None, "Observation/o1")


def test_a_record_place_keeps_a_tuple_and_reports_like_its_detached_anchor() -> None:
    anchor = _record_anchor(7)
    place = Place(anchor, ("valueInteger",), PROFILE)
    assert isinstance(place._spot, tuple)  # neither the record's text nor an Anchor
    assert isinstance(place.anchor.source, RecordLine)
    expected = anchor.detached().finding("PCO-GAS-005", "m", ("valueInteger",), profile=PROFILE)
    assert place.finding("PCO-GAS-005", "m") == expected
    assert expected.line == 7 and expected.expression == "Observation.valueInteger"
    deeper = place.at(0)
    assert deeper.path == ("valueInteger", 0) and deeper._spot is place._spot


def test_a_whole_file_place_keeps_its_anchor_and_its_positions() -> None:
    text = '{\n  "resourceType": "Goal",\n  "id": "g"\n}'
    source = SourceText("goal.json", text)
    anchor = Anchor(source, "goal.json", "Goal", (), None, "Goal/g")
    place = Place(anchor, ("id",))
    assert place.anchor is anchor
    assert place.finding("PCO-GAS-005", "m").line == 3


def test_places_pickle_compare_and_share_their_paths() -> None:
    spot = spot_of(_record_anchor(3))
    first = Place(spot, ("focus", 0))
    second = Place(spot, tuple(step for step in ("focus", 0)))  # another tuple object
    assert first == second and first.path is second.path
    assert first != Place(spot_of(_record_anchor(4)), ("focus", 0))
    copy = pickle.loads(pickle.dumps(first))
    assert copy == first
    assert copy.finding("PCO-GAS-005", "m") == first.finding("PCO-GAS-005", "m")


def test_equal_fact_values_are_shared_and_keep_their_exact_form() -> None:
    place = Place(spot_of(_record_anchor(1)), ("valueQuantity",))
    one = ItemValue("".join(["44249", "-1"]), Decimal("20"), place)
    two = ItemValue("".join(["44249", "-", "1"]), Decimal("20"), place)
    assert one.code is two.code and one.score is two.score
    other = ItemValue("44249-1", Decimal("20.0"), place)
    assert str(other.score) == "20.0"  # equal but written differently: not merged


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, Place):
        yield from _walk(value._spot)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name))
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _walk(item)


def test_facts_of_an_ndjson_export_keep_no_anchor_and_no_source(tmp_path: Path) -> None:
    resources = []
    for case in ("gas-level-not-defined", "prom-derived-mismatch"):
        bundle = json.loads((FIXTURES / case / "input.json").read_text(encoding="utf-8"))
        resources += [entry["resource"] for entry in bundle["entry"]]
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join(json.dumps(r) for r in resources) + "\n", encoding="utf-8")
    rules = PcoRules(questionnaires=questionnaire_lookup())
    run(RunConfig(paths=(str(export),)), [rules])
    facts = [*rules.goals.values(), *rules.gas_scores, *rules.prom_scores, *rules.items.values()]
    assert rules.goals and rules.gas_scores and rules.prom_scores
    places = [v for fact in facts for v in _walk(fact) if isinstance(v, Place)]
    assert places
    for value in (v for fact in facts for v in _walk(fact)):
        assert not isinstance(value, Anchor | SourceText | dict)
