"""The quick pre-check of native and fast invariants (InvariantEvaluator.prepare) against
evaluate(): on every R4 invariant and the generated nodes of the invariant corpus, a
pre-check that says "passed" is never contradicted by evaluate()."""

from __future__ import annotations

from pcocheck.definitions.model import Constraint
from pcocheck.engine.invariants import InvariantEvaluator
from tests.engine_units.corpus import nodes_for, r4_invariants


def test_a_prepared_pass_is_a_pass() -> None:
    evaluator = InvariantEvaluator()
    prepared_passes = checked = 0
    for entry in r4_invariants():
        constraint = Constraint(entry["key"], entry["severity"], "", entry["expression"])
        for type_name, node in nodes_for(entry, 20):
            resource = (
                node
                if isinstance(node, dict) and "resourceType" in node
                else {"resourceType": "Basic", "id": "holder", "x": node}
            )
            path = type_name if "." in type_name else None
            quick = evaluator.prepare(constraint, type_name, path)
            if quick is None:
                continue
            checked += 1
            outcome = evaluator.evaluate(
                constraint, node, resource=resource, root=resource, type_name=type_name, path=path
            )
            if quick(node, resource, resource):
                prepared_passes += 1
                assert outcome.passed is True, (entry["key"], node)
    assert checked > 2000
    assert prepared_passes > 1000


def test_prepare_never_compiles_through_fhirpathpy() -> None:
    evaluator = InvariantEvaluator()
    constraint = Constraint("app-2", "error", "", "start.exists() = end.exists()")
    assert evaluator.prepare(constraint, "Appointment") is None
    assert evaluator._compiled == {}  # nothing compiled until evaluate() needs it
