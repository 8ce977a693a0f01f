"""The packed run-wide index gives back exactly what was added: every place of a key in the
order added, each once, with its claims and fullUrl, across table growth and keys that
share a hash slot."""

from __future__ import annotations

import itertools
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


def _random_rows(
    chance: random.Random, files: list[str], count: int
) -> list[tuple[str, str, int | None, int | None, str | None, tuple[str, ...]]]:
    """Rows as the first pass of NDJSON chunks and whole files gives them: every row of a
    file at its own line or entry (a part never repeats another part's place)."""
    rows = []
    for number in range(count):
        file = files[number * len(files) // count]
        ndjson = file.endswith(".ndjson")
        rows.append(
            (
                f"{chance.choice(['Goal', 'Patient', 'Observation'])}/x{chance.randint(0, 3_000)}é",
                file,
                number + 1 if ndjson else None,
                None if ndjson else number,
                None if ndjson else chance.choice([None, f"http://x/fhir/Goal/{number}"]),
                chance.choice([(), ("http://x/p",), ("http://x/p", "http://x/q"), ("http://x/q",)]),
            )
        )
    return rows


def test_parts_appended_in_order_are_the_index_one_pass_builds() -> None:
    """A parallel first pass: each shard's rows in an index of its own, exported (and
    pickled, as workers send them), then appended in shard order — the same rows, hash
    slots and answers as adding every row to one index."""
    chance = random.Random(5)
    rows = _random_rows(chance, ["b.json", "a.ndjson", "a.ndjson", "c.ndjson"], 9_000)
    whole = RunIndex()
    for row in rows:
        whole.add_row(*row)
    whole.canonicals["http://x/vs"] = "ValueSet"
    merged = RunIndex()
    cuts = [0, 1, 700, 700, 2_500, 2_501, 6_000, 9_000]  # parts of every size, one empty
    for number, (start, end) in enumerate(itertools.pairwise(cuts)):
        part = RunIndex()  # numbers files and claim lists as it meets them (the whole too)
        for row in rows[start:end]:
            part.add_row(*row)
        if number == 2:
            part.canonicals["http://x/vs"] = "ValueSet"
        merged.extend(pickle.loads(pickle.dumps(part.export_part())))
    assert len(merged) == len(whole) == len(rows)
    assert list(merged.export_part().rows()) == rows
    assert merged.canonicals == whole.canonicals
    assert merged._slots == whole._slots and merged._places == whole._places
    for key in {row[0] for row in rows}:
        assert merged.candidates(key) == whole.candidates(key)
        assert [c.claims for c in merged.candidates(key)] == [
            c.claims for c in whole.candidates(key)
        ]


def test_a_part_added_to_an_index_that_may_hold_its_rows_adds_each_once() -> None:
    chance = random.Random(6)
    rows = _random_rows(chance, ["a.ndjson"], 500)
    index, part = RunIndex(), RunIndex()
    for row in rows[:300]:
        index.add_row(*row)
    for row in rows:
        part.add_row(*row)
    index.extend(part.export_part(), disjoint=False)
    assert list(index.export_part().rows()) == rows
