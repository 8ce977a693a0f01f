"""pickled_by_fields: objects come back equal, of the same class, with every field, and the
decorator refuses classes it cannot rebuild."""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field

import pytest

from pcocheck.pickling import pickled_by_fields


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Three:
    name: str
    number: int | None = None
    path: tuple[object, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class One:
    value: object


@pytest.mark.parametrize(
    "item",
    [
        Three("a"),
        Three("b", 3, ("entry", 0, "resource")),
        Three("", None, ()),
        One(None),
        One(("tuple", 1)),
        One(One(Three("nested", 1))),
    ],
)
def test_round_trip(item: object) -> None:
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(item, protocol=protocol))
        assert back == item
        assert type(back) is type(item)
    assert copy.copy(item) == item
    assert copy.deepcopy(item) == item


def test_reduce_names_the_constructor_and_the_fields_in_order() -> None:
    assert Three("x", 2, (1,)).__reduce__() == (Three, ("x", 2, (1,)))
    assert One(5).__reduce__() == (One, (5,))


def test_shared_objects_stay_shared() -> None:
    shared = ("entry", 0)
    items = [Three("a", 1, shared), Three("b", 2, shared)]
    back = pickle.loads(pickle.dumps(items))
    assert back[0].path is back[1].path


def test_refuses_a_field_outside_init() -> None:
    @dataclass(frozen=True, slots=True)
    class Hidden:
        shown: int
        hidden: int = field(default=0, init=False)

    with pytest.raises(TypeError, match="every field must be an __init__ parameter"):
        pickled_by_fields(Hidden)


def _travelling() -> list[type]:
    """The frozen dataclasses a parallel run's helpers send back in bulk (a large Bundle's
    facts and what they hold)."""
    from pcocheck.rules import facts
    from pcocheck.rules.dates import When
    from pcocheck.rules.references import Target
    from pcocheck.view import Anchor

    names = ["Link", "PromTarget", "GoalFact", "GasScore", "PromScore", "ItemValue", "Panel"]
    return [Anchor, Target, When, facts.ResponseTotal, *(getattr(facts, n) for n in names)]


@pytest.mark.parametrize("cls", _travelling(), ids=lambda cls: cls.__name__)
def test_what_helpers_send_back_pickles_by_its_fields(cls: type) -> None:
    assert cls.__dict__.get("__reduce__") is not None, "not decorated with pickled_by_fields"


def test_anchors_targets_and_dates_come_back_equal() -> None:
    from datetime import date

    from pcocheck.rules.dates import When
    from pcocheck.rules.references import Target
    from pcocheck.view import Anchor

    items = [
        Anchor(None, "a.json", "Bundle", ("entry", 3, "resource"), 3, "Observation/o1"),
        Target("found", None, ("Patient/p1", None), "run"),
        When(date(2024, 5, 1), None, "2024-05-01"),
    ]
    back = pickle.loads(pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == items
    assert [item.__reduce__()[0] for item in items] == [Anchor, Target, When]
