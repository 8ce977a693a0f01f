"""Property-based fuzzing of valid PCO resources and Bundles (see fuzz.py); the long run
(>= 100,000 inputs) is documented in the README."""

from __future__ import annotations

import os

from tests.robustness.fuzz import fuzz_property


def test_mutated_pco_content_never_raises() -> None:
    fuzz_property(int(os.environ.get("PCOCHECK_FUZZ_EXAMPLES", "200")))()
