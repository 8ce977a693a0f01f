"""The exception FHIRPath functions raise when they cannot answer (kept free of
fhirpathpy so that the engine can catch it without importing fhirpathpy)."""

from __future__ import annotations


class UncertainResult(Exception):
    """A function could not give an answer (no terminology, no conformance check)."""
