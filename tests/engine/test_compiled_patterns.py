"""Compiled pattern matchers (engine/patterns.py) answer like the interpretive definition
on random patterns and instances (objects, arrays, strings, numbers, booleans)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from pcocheck.engine.patterns import _interpret, matches_pattern

LEAVES: list[Any] = ["a", "b", "http://loinc.org", 1, 2, Decimal("1.0"), 1.0, True, False, None]
KEYS = ["system", "code", "coding", "display"]


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.4:
        return rng.choice(LEAVES)
    if roll < 0.7:
        return {k: _value(rng, depth + 1) for k in rng.sample(KEYS, rng.randrange(1, 3))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(0, 3))]


def _near(rng: random.Random, pattern: Any) -> Any:
    """An instance made from the pattern with a few changes (so that some match)."""
    if isinstance(pattern, dict):
        out = {k: _near(rng, v) for k, v in pattern.items() if rng.random() > 0.1}
        if rng.random() < 0.3:
            out[rng.choice(KEYS)] = _value(rng, 2)
        return out
    if isinstance(pattern, list):
        items = [_near(rng, v) for v in pattern]
        if rng.random() < 0.3:
            items.append(_value(rng, 2))
        rng.shuffle(items)
        return items
    if rng.random() < 0.2:
        return [pattern]
    return pattern if rng.random() < 0.8 else rng.choice(LEAVES)


def test_compiled_patterns_answer_like_the_definition() -> None:
    rng = random.Random(3)
    matched = 0
    for _ in range(3000):
        pattern = _value(rng, 0)
        for _ in range(3):
            instance = _near(rng, pattern) if rng.random() < 0.8 else _value(rng, 0)
            expected = _interpret(instance, pattern)
            assert matches_pattern(instance, pattern) == expected, (instance, pattern)
            matched += expected
    assert matched > 1000
