"""Property-based mutation of valid PCO content (hypothesis), shared by the in-suite test
and the long run (``python -m tests.robustness.fuzz N``).

A valid resource or Bundle from the fixtures is mutated a few times — wrong JSON types,
deleted keys, duplicated or unwrapped arrays, odd unicode (lone surrogates, controls,
bidi marks), extreme numbers written as raw literals (``1e400``, 5,000-digit integers,
``-0``), deep nesting — then read, checked by every checker, finished and rendered in
every report format. The property: no exception, and every finding is well formed.
"""

from __future__ import annotations

import copy
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcocheck.catalog import catalog
from pcocheck.config import RunConfig
from pcocheck.finding import Finding
from pcocheck.inputs.discover import InputFile
from pcocheck.inputs.read import read_documents
from pcocheck.reporting import ReportOptions, reporters
from pcocheck.runner import Checker, Run, build_checkers
from tests.conftest import FIXTURES

BUNDLES = ["journeys/gas-goal-journey.json", "journeys/prom-journey.json"]


def _bases() -> list[Any]:
    """The journeys' Bundles and each of their entry resources on its own."""
    found: list[Any] = []
    for name in BUNDLES:
        bundle = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        found.append(bundle)
        found.extend(e["resource"] for e in bundle.get("entry", []) if "resource" in e)
    return found


BASES = _bases()

RAW_NUMBERS = [
    "1e400",
    "-1e400",
    "1e-400",
    "-0",
    "0.0000000000000000000000000001",
    "15.000000000000001",
    "15.0000000000000001",
    "123456789012345678901234567890.123456789",
    "9" * 1200,
    "2147483648",
    "-2147483649",
]
_RAW = "@@RAW{}@@"


def _nested(depth: int, as_object: bool) -> Any:
    node: Any = "leaf"
    for _ in range(depth):
        node = {"extension": [node]} if as_object else [node]
    return node


odd_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3),  # surrogates
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), max_size=6),
    st.sampled_from(["", " ", "\u202e", "\x1b[2J", "NaN", "true", "2025-02-30", "urn:uuid:x"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
    st.sampled_from(range(len(RAW_NUMBERS))).map(lambda i: _RAW.format(i)),
)
odd_values = st.one_of(
    scalars,
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_text, inner, max_size=3),
        max_leaves=6,
    ),
    st.builds(_nested, st.integers(min_value=40, max_value=160), st.booleans()),
)


@dataclass(frozen=True)
class Mutation:
    where: int  # index into the document's paths, modulo their number
    operation: str
    value: Any


mutations = st.builds(
    Mutation,
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["replace", "delete", "duplicate", "unwrap", "wrap", "stringify", "odd-key"]),
    odd_values,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    stack = [(node, path)]
    while stack:
        current, here = stack.pop()
        items: Any = (
            current.items()
            if isinstance(current, dict)
            else enumerate(current)
            if isinstance(current, list)
            else ()
        )
        for key, child in items:
            out.append((*here, key))
            if len(here) < 60:
                stack.append((child, (*here, key)))
    return out


def apply(document: Any, mutation: Mutation) -> Any:
    paths = _paths(document)[1:]
    if not paths:
        return mutation.value
    path = paths[mutation.where % len(paths)]
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    current = parent[key]
    operation = mutation.operation
    if operation == "delete":
        del parent[key]
    elif operation == "duplicate":
        parent[key] = [*current, *current] if isinstance(current, list) else [current, current]
    elif operation == "unwrap":
        parent[key] = current[0] if isinstance(current, list) and current else current
    elif operation == "wrap":
        parent[key] = [current]
    elif operation == "stringify":
        parent[key] = json.dumps(current)[:200]
    elif operation == "odd-key" and isinstance(current, dict):
        name = mutation.value if isinstance(mutation.value, str) else "_odd"
        current[name] = copy.deepcopy(current)
    else:
        parent[key] = copy.deepcopy(mutation.value)
    return document


def serialise(document: Any, indent: int | None) -> bytes:
    """JSON text with the raw number placeholders replaced by their literals; lone
    surrogates are written as JSON escapes (``\\ud800``), as a hostile producer would."""
    text = json.dumps(document, indent=indent, ensure_ascii=True)
    for index, literal in enumerate(RAW_NUMBERS):
        text = text.replace(f'"{_RAW.format(index)}"', literal)
    return text.encode("utf-8")


SEVERITIES = {"fatal", "error", "warning", "information"}


def check_once(
    checkers: list[Checker], data: bytes, ndjson: bool, formats: tuple[str, ...] | None = None
) -> list[Finding]:
    """Read, check, finish and render one input; the assertions of the property."""
    run = Run(RunConfig(paths=()), checkers)
    item = InputFile("fuzz.ndjson" if ndjson else "fuzz.json", None, ndjson, False)
    for produced in read_documents(item, io.BytesIO(data)):
        if isinstance(produced, Finding):
            run.result.findings.append(produced)
        else:
            run.check_document(produced)
    for checker in checkers:
        run.result.findings.extend(checker.finish())
    known = catalog()
    for finding in run.result.findings:
        assert finding.code in known, finding.code
        assert finding.severity.label in SEVERITIES
        assert finding.message
        assert finding.line is None or finding.line >= 1
    assert run.result.resources > 0 or run.result.findings, "nothing checked and nothing said"
    for name, render in reporters().items():
        if formats is None or name in formats:
            render(run.result, io.StringIO(), ReportOptions())
    return run.result.findings


def fuzz_property(
    max_examples: int, *, seed: int | None = None, console_every: int = 1
) -> Callable[[], None]:
    """The hypothesis test, with one set of checkers reused across examples. The console
    report costs two thirds of an example; the long run renders it for every
    ``console_every``-th example (the JSON report always)."""
    checkers: list[Checker] = build_checkers(RunConfig(paths=()))
    counter = [0]

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=seed is None and max_examples <= 1000,  # the in-suite run is reproducible
        suppress_health_check=list(HealthCheck),
    )
    @given(
        base=st.sampled_from(range(len(BASES))),
        changes=st.lists(mutations, min_size=1, max_size=4),
        indent=st.sampled_from([None, 1]),
        ndjson=st.booleans(),
    )
    def property_holds(
        base: int, changes: list[Mutation], indent: int | None, ndjson: bool
    ) -> None:
        document = copy.deepcopy(BASES[base])
        for change in changes:
            document = apply(document, change)
        data = serialise(document, None if ndjson else indent)
        counter[0] += 1
        every_format = counter[0] % console_every == 0
        check_once(checkers, data, ndjson, None if every_format else ("json",))

    runner: Any = property_holds
    if seed is not None:
        from hypothesis import seed as with_seed

        runner = with_seed(seed)(property_holds)
    runner.executed = counter  # how many inputs really ran (for the long run's log)
    return runner  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    """Long run: ``python -m tests.robustness.fuzz TOTAL [BATCH]``, in batches with their
    own seeds so that progress is logged as it goes (hypothesis reports at the end)."""
    import time

    total = int(argv[1]) if len(argv) > 1 else 100_000
    batch = int(argv[2]) if len(argv) > 2 else 5_000
    started = time.monotonic()
    done = 0
    for index in range(0, total, batch):
        size = min(batch, total - index)
        run = fuzz_property(size, seed=index + 1, console_every=20)
        run()
        done += run.executed[0]
        elapsed = time.monotonic() - started
        print(f"{done} inputs checked, no exception, {elapsed:.0f} s wall", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
