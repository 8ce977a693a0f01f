"""The fullUrl check's shortcut (an entry whose fullUrl ends with its own ``/Type/id`` is
not parsed) never hides a fullUrl that names another resource (FHIR-BUNDLE-001)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pcocheck.engine.bundle import _ends_with_own_key, _names_other

_SEGMENTS = st.sampled_from(
    ["Patient", "Observation", "_history", "1", "a.b-c", "bad id", "x" * 65, "", "Patient:1"]
)
_BASES = st.sampled_from(["http://x/fhir", "https://h", "urn:uuid:1", "resource:0", "", "a"])


@settings(max_examples=400, deadline=None)
@given(_BASES, st.lists(_SEGMENTS, max_size=5), _SEGMENTS, _SEGMENTS)
def test_a_full_url_ending_with_its_own_key_names_no_other_resource(
    base: str, middle: list[str], rtype: str, rid: str
) -> None:
    for full_url in ("/".join([base, *middle, rtype, rid]), f"{base}/{rtype}/{rid}"):
        if _ends_with_own_key(full_url, rtype, rid):
            assert not _names_other(full_url, rtype, rid)


def test_the_shortcut_applies_to_the_usual_entry_only() -> None:
    assert _ends_with_own_key("http://x/fhir/Patient/1", "Patient", "1")
    assert not _ends_with_own_key("http://x/fhir/Patient/1/_history/2", "Patient", "1")
    assert not _ends_with_own_key("http://x/fhir/Patient/2", "Patient", "1")
    assert not _ends_with_own_key("http://x/fhir/Patient/bad id", "Patient", "bad id")
    assert _names_other("http://x/fhir/Patient/2", "Patient", "1")
