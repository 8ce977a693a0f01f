"""The packed run-wide index gives back exactly what was added: every place of a key in the
order added, each once, with its claims and fullUrl, across table growth and keys that
share a hash slot."""

from __future__ import annotations

import pickle
import random

from pcocheck.resolution import RunIndex
from pcocheck.resolution.identity import Identity


def test_the_index_agrees_with_a_plain_dict_of_lists() -> None:
    chance = random.Random(12)
    index = RunIndex()
    expected: dict[str, list[tuple[Identity, tuple[str, ...]]]] = {}
    for number in range(20_000):  # the table grows several times
        key = f"Goal/g{chance.randint(0, 8_000)}é"  # repeats, and a non-ASCII id
        identity = Identity(
            key,
            f"run/f{chance.randint(0, 5)}.ndjson",
            chance.choice([None, 3, 70_000]),
            chance.choice([None, 0, 5]),
            chance.choice([None, "http://x/fhir/Goal/1"]),
            ("http://x/p",) if number % 3 else (),
        )
        index.add(identity)
        known = expected.setdefault(key, [])
        if (identity, identity.claims) not in known:  # the same place twice is one row
            known.append((identity, identity.claims))
    assert len(index) == sum(len(v) for v in expected.values())
    copy = pickle.loads(pickle.dumps(index))  # the index travels to Dask workers
    for key, known in expected.items():
        assert [(c, c.claims) for c in index.candidates(key)] == known
        assert copy.candidates(key) == index.candidates(key)
    assert index.candidates("Goal/none") == []
