"""The pytest plugin, through pytest's own ``pytester``: real test sessions with passing
and failing tests, and the failure text users read."""

from __future__ import annotations

import shutil
from importlib.metadata import entry_points

import pytest

from tests.conftest import FIXTURES

pytest_plugins = ["pytester"]

JOURNEY = FIXTURES / "journeys" / "gas-goal-journey.json"
PATTERN_MISMATCH = FIXTURES / "engine" / "cases" / "pattern-mismatch.json"
NDJSON = FIXTURES / "rules" / "gas-across-files" / "scores.ndjson"
ENGINE_PROFILES = FIXTURES / "engine" / "profiles"
# The strict settings of this project's own pytest configuration.
INI = """
[pytest]
addopts = -p no:cacheprovider --strict-markers --strict-config
filterwarnings = error
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    data = pytester.mkdir("data")
    shutil.copy(JOURNEY, data / "gas-goal-journey.json")
    shutil.copy(PATTERN_MISMATCH, data / "pattern-mismatch.json")
    shutil.copy(NDJSON, data / "scores.ndjson")
    return pytester


def test_the_plugin_is_registered_for_pytest() -> None:
    [plugin] = [e for e in entry_points(group="pytest11") if e.name == "pcocheck"]
    assert plugin.value == "pcocheck.pytest_plugin"


def test_assert_valid_passes_and_fails_with_the_findings_listed(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_goals="""
        GOOD = {"resourceType": "Basic", "id": "ok", "code": {"text": "fine"}}

        def test_good(pcocheck):
            report = pcocheck.assert_valid(GOOD, fail_on="error")
            assert report.passed

        def test_journey_file(pcocheck):
            pcocheck.assert_valid("data/gas-goal-journey.json")

        def test_bare_goal(pcocheck):
            pcocheck.assert_valid({"resourceType": "Goal", "id": "bare"})
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*def test_bare_goal(pcocheck):",
            '>       pcocheck.assert_valid({"resourceType": "Goal", "id": "bare"})',
            "E       AssertionError: pcocheck found 3 problem(s) at or above 'error' "
            "in the dict given:",
            "E         FHIR-CARD-001 error at Goal (<input 1>:1:1): Goal: description: "
            "minimum cardinality 1 required by Goal, found 0",
            "E         FHIR-CARD-001 error at Goal (<input 1>:1:1): Goal: lifecycleStatus: "
            "minimum cardinality 1 required by Goal, found 0",
            "E         FHIR-CARD-001 error at Goal (<input 1>:1:1): Goal: subject: "
            "minimum cardinality 1 required by Goal, found 0",
            "E       (1 finding(s) below 'error' not listed)",
            "FAILED test_goals.py::test_bare_goal - AssertionError*",
        ]
    )


def test_assert_valid_with_a_profile_and_a_threshold(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_profile="""
        import json

        GOAL = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-gas-goal-profile"
        PLAIN = {
            "resourceType": "Goal", "id": "g", "lifecycleStatus": "active",
            "description": {"text": "walk"}, "subject": {"reference": "Patient/p"},
        }

        def test_plain_goal_is_not_a_gas_goal(pcocheck):
            pcocheck.assert_valid(PLAIN, profile=GOAL)

        def test_plain_goal_without_a_profile(pcocheck):
            pcocheck.assert_valid(PLAIN)

        def test_warnings_fail_when_asked(pcocheck):
            pcocheck.assert_valid(PLAIN, fail_on="warning")
        """
    )
    result = project.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*at or above 'error' in the dict given:",
            "E         FHIR-CARD-001 error at Goal (<input 1>:1:1): Goal: start[[]x[]]: minimum "
            "cardinality 1 required by pco-gas-goal-profile, found 0",
            "*at or above 'warning' in the dict given:",
            "E         FHIR-INV-002 warning at Goal (<input 1>:1:1): Goal: invariant dom-6 failed*",
        ]
    )


def test_pcocheck_files_makes_one_test_per_file(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_files="""
        from pcocheck.pytest_plugin import pcocheck_files

        test_examples = pcocheck_files("data/*.json")
        """
    )
    result = project.runpytest("-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines_random(
        [
            "test_files.py::test_examples[[]data/gas-goal-journey.json[]] PASSED*",
            "test_files.py::test_examples[[]data/pattern-mismatch.json[]] FAILED*",
        ]
    )
    path = project.path / "data" / "pattern-mismatch.json"
    result.stdout.fnmatch_lines(
        [
            f"E   AssertionError: pcocheck found 1 problem(s) at or above 'error' in {path}:",
            "      FHIR-FIXED-002 error at Bundle.entry[[]3[]].resource.target[[]0[]].measure "
            f"({path}:269:13): Goal.target[[]0[]].measure: does not match the pattern LOINC "
            "107332-9 required by pco-gas-goal-profile (found LOINC 70274-6)",
        ]
    )


def test_the_marker_form_with_recursive_globs_and_ndjson(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_marker="""
        import pytest

        @pytest.mark.pcocheck_files("**/*.ndjson", "data/gas-*.json")
        def test_each(pcocheck, pcocheck_file):
            report = pcocheck.assert_valid(
                pcocheck_file, select="FHIR-JSON,FHIR-STRUCT", fail_on="warning"
            )
            assert report.summary["files"] == 1
        """
    )
    result = project.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines_random(
        [
            "test_marker.py::test_each[[]data/scores.ndjson[]] PASSED*",
            "test_marker.py::test_each[[]data/gas-goal-journey.json[]] PASSED*",
        ]
    )


def test_a_pattern_that_matches_nothing_is_an_error_not_a_skip(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_empty="""
        from pcocheck.pytest_plugin import pcocheck_files

        test_none = pcocheck_files("nowhere/*.json")
        """
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [f"test_empty.py::test_none: no file matches nowhere/*.json (relative to {project.path})"]
    )


def test_the_marker_needs_the_file_argument(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_wrong="""
        import pytest

        @pytest.mark.pcocheck_files("data/*.json")
        def test_each(pcocheck):
            pass
        """
    )
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*needs a test that takes the pcocheck_file argument"])


def test_ini_options_load_extra_definitions(project: pytest.Pytester) -> None:
    shutil.copytree(ENGINE_PROFILES, project.path / "profiles")
    project.makeini(INI + "pcocheck_profile_dirs = profiles\n")
    project.makepyfile(
        test_custom="""
        PROFILE = "http://example.org/fhir/StructureDefinition/pcocheck-test-observation"

        OBSERVATION = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}

        def test_custom_profile_is_applied(pcocheck):
            report = pcocheck.validate(OBSERVATION, profile=PROFILE)
            assert {f.code for f in report.failures} == {"FHIR-SLICE-002"}
            assert all(f.profile.startswith(PROFILE + "|") for f in report.failures)
        """
    )
    project.runpytest().assert_outcomes(passed=1)
