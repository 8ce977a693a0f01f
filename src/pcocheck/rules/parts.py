"""The cross-resource phase of a large run, part by part.

Every cross-resource GAS and PROM-goal check joins scores with the goal they focus on.
When a run holds many facts, rebuilding all of them at once would take far more memory
than the compact facts themselves (see :mod:`pcocheck.rules.store`). So the scores are
first settled (their focus references resolved, in the run's order), then split into
parts by the key of the goal they join — each goal and all of its scores land in the
same part — and each part is checked on its own with the same functions as a small run.
Each finding carries its place in the run's order (the number of the score or of the
first score of its goal), so the findings come out exactly as one pass would give them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pcocheck.finding import Finding
from pcocheck.resolution import ResourceKey
from pcocheck.rules.facts import Link, PromScore
from pcocheck.rules.gas import Order, finish_gas
from pcocheck.rules.prom import finish_derived, finish_panels
from pcocheck.rules.references import Target
from pcocheck.rules.store import (
    FactLog,
    decode_gas,
    decode_prom,
    encode_gas,
    encode_prom,
    register,
)
from pcocheck.rules.targets import finish_goals

if TYPE_CHECKING:
    from pcocheck.rules import PcoRules

FACTS_PER_PART = 25_000  # goals and scores rebuilt at once, about (some 10 MB)
# Up to this many goals and scores a run is checked in one pass: rebuilding them all
# costs about 230 bytes each (100,000 records, 70,000 facts: +16 MB peak), while going
# part by part decodes every fact twice and re-encodes it (+1.2 s of CPU there).
ONE_PASS_FACTS = 150_000
CHUNK = 1000  # scores per call of the checks that need no join by goal

Settle = Callable[[Link], Target]
Tagged = tuple[tuple[int, int], Finding]


def part_of(key: ResourceKey, parts: int) -> int:
    """The part of a goal key: the same in every process and run."""
    return zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % parts


def _settled_plain(target: Target) -> tuple[Any, ...]:
    return (target.status, target.key, target.pending, target.how)


def _unsettled(plain: tuple[Any, ...]) -> Target:
    status, key, pending, how = plain
    return Target(status, key, pending, how)


# A score in a part: (its number in the run, its focus links settled, the score).
register(
    "gas-part",
    lambda e: (e[0], e[1], encode_gas(e[2])),
    lambda v: (v[0], v[1], decode_gas(v[2])),
)
register(
    "prom-part",
    lambda e: (e[0], e[1], encode_prom(e[2])),
    lambda v: (v[0], v[1], decode_prom(v[2])),
)


def _goal_of(targets: list[Target], goal_keys: set[ResourceKey], parts: int) -> int | None:
    """The part of the first focus that is a goal of the run (where the checks look)."""
    for target in targets:
        if target.key is not None and target.key in goal_keys:
            return part_of(target.key, parts)
    return None


def finish_in_parts(rules: PcoRules, settled: Settle, parts: int) -> list[Finding]:
    goal_keys = set(rules.goals.keys())
    goal_parts = [FactLog("goal", keyed=True) for _ in range(parts)]
    for key, goal in rules.goals.entries():
        goal_parts[part_of(key, parts)].add((key, goal))
    gas_parts = [FactLog("gas-part") for _ in range(parts)]
    for number, score in enumerate(rules.gas_scores.entries()):
        targets = [settled(link) for link in score.focus]
        part = _goal_of(targets, goal_keys, parts)
        plain = tuple(_settled_plain(t) for t in targets)
        gas_parts[part if part is not None else 0].add((number, plain, score))
    prom_parts = [FactLog("prom-part") for _ in range(parts)]
    for number, score in enumerate(rules.prom_scores.entries()):
        targets = [settled(link) for link in score.focus]
        part = _goal_of(targets, goal_keys, parts)
        if part is not None:  # a score focusing on no goal: nothing to check by goal
            plain = tuple(_settled_plain(t) for t in targets)
            prom_parts[part].add((number, plain, score))
    del goal_keys

    tagged: list[Tagged] = []
    for part in range(parts):
        goals = goal_parts[part].mapping()
        goal_parts[part] = FactLog("goal", keyed=True)
        gas = list(gas_parts[part].entries())
        gas_parts[part] = FactLog("gas-part")
        order = Order([number for number, _, _ in gas])
        found = finish_gas(goals, [s for _, _, s in gas], _settle_from(gas), order)
        tagged.extend(((phase, n), f) for (phase, n), f in zip(order.tags, found, strict=True))
        del gas, found
        prom = list(prom_parts[part].entries())
        prom_parts[part] = FactLog("prom-part")
        order = Order([number for number, _, _ in prom])
        out: list[Finding] = []
        finish_goals(goals, [s for _, _, s in prom], _settle_from(prom), out, order)
        # PROM goal findings come after the derived and panel checks (phases 2, 3).
        tagged.extend(((phase + 2, n), f) for (phase, n), f in zip(order.tags, out, strict=True))
    tagged.extend(_in_run_order(rules, settled))
    tagged.sort(key=lambda item: item[0])  # stable: a part's findings keep their order
    return [finding for _, finding in tagged]


def _settle_from(entries: list[tuple[int, tuple[Any, ...], Any]]) -> Settle:
    """The settled targets of the focus links of ``entries`` (scores rebuilt in a part)."""
    known: dict[int, Target] = {}
    for _, plain, score in entries:
        for link, target in zip(score.focus, plain, strict=True):
            known[id(link)] = _unsettled(target)

    def settle(link: Link) -> Target:
        return known[id(link)]

    return settle


def _in_run_order(rules: PcoRules, settled: Settle) -> list[Tagged]:
    """The checks that join by response or by panel member (phases 2 and 3), in chunks of
    scores in the run's order."""
    out: list[Tagged] = []
    if len(rules.responses):
        responses = rules.responses.mapping()
        chunk: list[PromScore] = []
        for score in rules.prom_scores.entries():
            chunk.append(score)
            if len(chunk) >= CHUNK:
                out.extend(_tag(2, out, _derived(chunk, responses, settled)))
                chunk = []
        out.extend(_tag(2, out, _derived(chunk, responses, settled)))
        del responses
    if len(rules.panels):
        items = rules.items.mapping()
        found: list[Finding] = []
        finish_panels(list(rules.panels.entries()), items, settled, found)
        out.extend(_tag(3, out, found))
    return out


def _derived(
    chunk: list[PromScore], responses: dict[ResourceKey, Any], settled: Settle
) -> list[Finding]:
    found: list[Finding] = []
    finish_derived(chunk, responses, settled, found)
    return found


def _tag(phase: int, before: list[Tagged], found: list[Finding]) -> list[Tagged]:
    start = len(before)
    return [((phase, start + i), f) for i, f in enumerate(found)]


__all__ = ["FACTS_PER_PART", "ONE_PASS_FACTS", "finish_in_parts", "part_of"]
