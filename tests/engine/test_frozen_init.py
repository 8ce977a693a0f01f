"""engine/frozen_init.py: the quick ``__init__`` builds the same objects as the one
:mod:`dataclasses` writes (parameters, defaults, ``__post_init__``, still frozen)."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from pcocheck.engine.frozen_init import quick_init
from pcocheck.engine.references import ParsedReference
from pcocheck.resolution import Resolution
from pcocheck.resolution.bundle import LocalMatch
from pcocheck.resolution.identity import Identity
from pcocheck.rules.dates import When
from pcocheck.rules.facts import (
    GasScore,
    GoalFact,
    ItemValue,
    Link,
    Panel,
    PromScore,
    PromTarget,
    ResponseTotal,
)
from pcocheck.rules.gas import Scale
from pcocheck.rules.prom import ObservationFacts
from pcocheck.rules.references import Target
from pcocheck.view import Anchor

QUICK = [
    Anchor,
    Identity,
    Resolution,
    LocalMatch,
    ParsedReference,
    Link,
    PromTarget,
    GoalFact,
    GasScore,
    PromScore,
    ItemValue,
    Panel,
    ResponseTotal,
    ObservationFacts,
    Scale,
    Target,
    When,
]


def _generated(cls: type) -> type:
    """The same fields as a plain frozen slotted dataclass (the generated __init__)."""
    fields = [
        (f.name, Any, dataclasses.field(default=f.default))
        if f.default is not dataclasses.MISSING
        else (f.name, Any)
        for f in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass("Twin", fields, frozen=True, slots=True)


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_quick_init_is_in_place_with_the_generated_signature(cls: type) -> None:
    assert "_set0" in cls.__init__.__code__.co_names  # type: ignore[misc]
    expected = inspect.signature(_generated(cls).__init__)  # type: ignore[misc]
    actual = inspect.signature(cls.__init__)  # type: ignore[misc]
    assert _shape(actual) == _shape(expected)


def _shape(signature: inspect.Signature) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_every_field_is_stored_and_the_object_stays_frozen(cls: type) -> None:
    fields = dataclasses.fields(cls)
    # Distinct sentinel values (post_init hooks may share equal values: use str/ints).
    values = [f"v{i}" for i in range(len(fields))]
    if cls is PromTarget:
        values = [("a", "b"), None, Decimal("1"), "p"]
    made = cls(*values)
    by_name = cls(**{f.name: v for f, v in zip(fields, values, strict=True)})
    assert made == by_name
    for field, value in zip(fields, values, strict=True):
        assert getattr(made, field.name) == value
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, fields[0].name, "changed")
    assert pickle.loads(pickle.dumps(made)) == made


def test_defaults_are_those_of_the_fields() -> None:
    identity = Identity("Patient/1", "f.ndjson", 3, None)
    assert identity.full_url is None and identity.claims == ()
    anchor = Anchor(None, "f.json")
    assert (anchor.root, anchor.base_path, anchor.entry, anchor.resource) == ("", (), None, None)
    assert Resolution("run", "Patient/1").candidates == ()


def test_post_init_runs_last() -> None:
    text = "Goal/" + "g1"  # equal to the target, not the same object
    target = "Goal/g1"
    link = Link(target, None, text)  # type: ignore[arg-type]
    assert link.text is link.target  # Link.__post_init__ shares the target's string


def test_unsupported_classes_are_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithClassVar:
        kind: ClassVar[str] = "x"
        value: int = 0

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        value: int = 0

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        value: int = 0

    for cls in (WithFactory, WithClassVar, NotFrozen, KeywordOnly):
        with pytest.raises(TypeError):
            quick_init(cls)
