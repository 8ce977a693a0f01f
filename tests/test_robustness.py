"""Malformed content must become findings, never exceptions: valid fixtures with random
values swapped in (wrong JSON types, nulls, empty containers, bad dates) go through every
checker. Deterministic (fixed seed); bad input found here was once a crash."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from pcocheck.config import RunConfig
from pcocheck.inputs.read import Document
from pcocheck.inputs.source import SourceText
from pcocheck.runner import Run, build_checkers
from tests.conftest import FIXTURES

BASES = [
    "journeys/gas-goal-journey.json",
    "journeys/prom-journey.json",
    "ig-examples/bundle-ig-examples.json",
    "engine/custom-base.json",
]
ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    " x ",
    [],
    {},
    [None],
    [1, "a"],
    {"a": 1},
    {"reference": 5},
    {"coding": "x"},
    {"coding": [None]},
    "2025-13-45",
    10**12,
    {"extension": []},
    {"url": None},
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _mutate(document: Any, rng: random.Random) -> Any:
    candidates = list(_paths(document))[1:]
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(candidates)
        parent = document
        try:
            for step in path[:-1]:
                parent = parent[step]
            if rng.random() < 0.2 and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
        except (KeyError, IndexError, TypeError):
            continue
    return document


@pytest.mark.parametrize("seed", range(4))
def test_mutated_fixtures_never_raise(seed: int) -> None:
    rng = random.Random(seed)
    config = RunConfig(paths=())
    checkers = build_checkers(config)
    bases = [json.loads((FIXTURES / b).read_text(encoding="utf-8")) for b in BASES]
    for _ in range(25):
        document = _mutate(copy.deepcopy(rng.choice(bases)), rng)
        text = json.dumps(document, indent=1)
        run = Run(config, checkers)
        run.check_document(Document(SourceText("fuzz.json", text), json.loads(text)))
        for checker in checkers:
            list(checker.finish())
        assert all(f.code and f.message for f in run.result.findings)
        assert run.result.incomplete is None, run.result.incomplete
