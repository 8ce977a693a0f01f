"""Cold start, engine side: a run whose invariants are all native or fast never imports
fhirpathpy (its parser and models cost about 50 ms); one that needs it imports it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_startup import SMALL_BUNDLE, _loaded, _probe


def test_a_run_of_native_and_fast_invariants_does_not_import_fhirpathpy() -> None:
    report = _probe("validate", str(SMALL_BUNDLE), "-q")
    assert _loaded(report, "pcocheck.engine.core")  # it did validate
    assert not _loaded(report, "fhirpathpy")
    assert not _loaded(report, "antlr4")
    assert not _loaded(report, "pcocheck.engine.fhirpath_functions")


def test_an_invariant_that_needs_fhirpathpy_imports_it(tmp_path: Path) -> None:
    # app-2 (start.exists() = end.exists()) is neither native nor in the fast subset.
    appointment = {
        "resourceType": "Appointment",
        "id": "a",
        "status": "booked",
        "start": "2024-01-01T10:00:00Z",
        "participant": [{"status": "accepted", "actor": {"display": "X"}}],
    }
    path = tmp_path / "appointment.json"
    path.write_text(json.dumps(appointment), encoding="utf-8")
    report = _probe("validate", str(path), "-q")
    assert _loaded(report, "fhirpathpy")
