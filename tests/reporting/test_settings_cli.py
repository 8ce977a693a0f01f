"""Configuration files, option precedence, --format/--output pairing, baselines and diff,
through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcocheck.cli import app
from pcocheck.settings import CliOptions, OutputSpec, SettingsError, pair_outputs, resolve

RUNNER = CliRunner()
NARRATIVE = (
    '{"status": "generated", "div": "<div xmlns=\\"http://www.w3.org/1999/xhtml\\">x</div>"}'
)
GOOD = f'{{"resourceType": "Basic", "id": "ok", "text": {NARRATIVE}, "code": {{"text": "fine"}}}}'
# A warning (trailing whitespace) and an error (unknown element) in one resource.
TWO = (
    f'{{"resourceType": "Basic", "id": "two", "text": {NARRATIVE}, "code": {{"text": "fine "}}, '
    '"colour": "red"}'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "two.json").write_text(TWO, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def codes(output: str) -> list[str]:
    return [issue["code"] for issue in json.loads(output)["issues"]]


def run(*args: str) -> tuple[int, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.output


# --- configuration files -------------------------------------------------------------


def test_pyproject_tool_table_is_found_upward(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pcocheck]\nignore = ["FHIR-STRUCT-001"]\n'
        'format = "json"\nfail-on = "warning"\n',
        encoding="utf-8",
    )
    sub = project / "data"
    import os

    os.chdir(sub)
    code, output = run("validate", "two.json")
    assert codes(output) == ["FHIR-STRUCT-011"]  # json by default, STRUCT-001 ignored
    assert code == 1  # fail-on warning from the file


def test_pcocheck_toml_wins_over_pyproject_in_the_same_folder(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pcocheck]\nformat = "sarif"\n')
    (project / "pcocheck.toml").write_text('format = "json"\nselect = ["FHIR-STRUCT-011"]\n')
    code, output = run("validate", "data/two.json")
    assert codes(output) == ["FHIR-STRUCT-011"]
    assert code == 0  # a warning does not fail at the default fail-on error


def test_command_line_wins_over_the_file(project: Path) -> None:
    (project / "pcocheck.toml").write_text(
        'format = "sarif"\nfail-on = "never"\nignore = ["FHIR-STRUCT"]\n'
    )
    code, output = run(
        "validate", "data/two.json", "-f", "json", "--fail-on", "error", "--ignore", "X"
    )
    assert sorted(codes(output)) == ["FHIR-STRUCT-001", "FHIR-STRUCT-011"]
    assert code == 1


def test_explicit_default_value_still_wins(project: Path) -> None:
    # "--fail-on error" equals the default, but was given: it must beat the file's "never".
    (project / "pcocheck.toml").write_text('fail-on = "never"\n')
    assert run("validate", "data/two.json", "--fail-on", "error")[0] == 1
    assert run("validate", "data/two.json")[0] == 0


def test_severity_overrides_from_the_file(project: Path) -> None:
    (project / "pcocheck.toml").write_text(
        'format = "json"\n[severity]\n"FHIR-STRUCT-001" = "information"\n"FHIR-STRUCT" = "error"\n'
    )
    code, output = run("validate", "data/two.json")
    severities = {i["code"]: i["severity"] for i in json.loads(output)["issues"]}
    # The exact code wins over the family prefix.
    assert severities == {"FHIR-STRUCT-001": "information", "FHIR-STRUCT-011": "error"}
    assert code == 1


def test_output_paths_in_the_file_are_relative_to_it(project: Path) -> None:
    (project / "pcocheck.toml").write_text(
        'format = ["sarif", "console"]\n[output]\nsarif = "reports/out.sarif"\n'
    )
    (project / "reports").mkdir()
    import os

    os.chdir(project / "data")
    code, output = run("validate", "two.json")
    assert code == 1
    assert "FAILED" in output
    assert json.loads((project / "reports/out.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('selec = ["PCO"]\n', "selec"),
        ('fail-on = "loud"\n', "fail-on"),
        ('format = "xml"\n', "format"),
        ('[severity]\n"NOPE-1" = "error"\n', "severity.NOPE-1"),
        ('[severity]\n"PCO-GAS" = "severe"\n', "severity.PCO-GAS"),
        ("must-support = 1\n", "must-support"),
        ("select = [1]\n", "select"),
        ("[output]\nxml = 'a'\n", "output.xml"),
    ],
)
def test_invalid_configuration_is_exit_2_naming_file_and_key(
    project: Path, text: str, key: str
) -> None:
    (project / "pcocheck.toml").write_text(text)
    code, output = run("validate", "data/two.json")
    assert code == 2
    assert "Traceback" not in output
    assert f"{project / 'pcocheck.toml'}: {key}" in output


def test_invalid_pyproject_key_is_named_with_its_table(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.pcocheck]\nbogus = true\n")
    code, output = run("validate", "data/two.json")
    assert code == 2 and "tool.pcocheck.bogus: unknown key" in output


def test_broken_toml_and_config_options(project: Path) -> None:
    (project / "pcocheck.toml").write_text("format = \n")
    code, output = run("validate", "data/two.json")
    assert code == 2 and "not valid TOML" in output
    assert run("validate", "data/two.json", "--no-config")[0] == 1
    other = project / "other.toml"
    other.write_text('format = "json"\n')
    code, output = run("validate", "data/two.json", "--config", str(other))
    assert json.loads(output)["summary"]["error"] == 1
    assert run("validate", "data/two.json", "--config", "missing.toml")[0] == 2


# --- formats and outputs -------------------------------------------------------------


def test_format_repeatable_with_output_per_format(project: Path) -> None:
    code, output = run(
        "validate", "data/two.json", "--format", "sarif", "--output", "out.sarif",
        "--format", "console", "--format", "junit", "-o", "out.xml",
    )  # fmt: skip
    assert code == 1
    assert "FAILED" in output  # console on stdout
    assert json.loads((project / "out.sarif").read_text())["version"] == "2.1.0"
    assert (project / "out.xml").read_text().startswith("<?xml")


def test_output_before_its_format_and_single_pairs(project: Path) -> None:
    run("validate", "data/two.json", "-o", "a.json", "-f", "json")
    assert json.loads((project / "a.json").read_text())["schema"] == "pcocheck-report/1"
    _code, output = run("validate", "data/two.json", "-o", "b.txt")
    assert output == "" and "FAILED" in (project / "b.txt").read_text()
    _code, output = run("validate", "data/two.json", "-f", "json", "-o", "-")
    assert json.loads(output)["summary"]["error"] == 1 and not (project / "-").exists()


def test_output_pairing_rules() -> None:
    ordered = (("format", "sarif"), ("output", "x"), ("format", "console"))
    assert pair_outputs(["sarif", "console"], ["x"], ordered) == [
        OutputSpec("sarif", "x"),
        OutputSpec("console", None),
    ]
    ordered = (("format", "console"), ("format", "sarif"), ("output", "x"))
    assert pair_outputs(["console", "sarif"], ["x"], ordered)[1] == OutputSpec("sarif", "x")
    with pytest.raises(SettingsError):
        pair_outputs(["json"], ["a", "b"], None)
    with pytest.raises(SettingsError):
        pair_outputs(["json", "sarif"], ["a", "b"], (("format", "json"), ("output", "a"),
                     ("output", "b"), ("format", "sarif")))  # fmt: skip


def test_same_output_twice_and_too_many_outputs_are_usage_errors(project: Path) -> None:
    args = ["validate", "data/two.json", "-f", "json", "-o", "x", "-f", "sarif", "-o", "x"]
    assert run(*args)[0] == 2
    assert run("validate", "data/two.json", "-o", "x", "-o", "y")[0] == 2


def test_github_format_is_chosen_in_github_actions(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, output = run("validate", "data/two.json")
    assert code == 1
    assert output.startswith("::warning file=data/two.json,line=1,")
    assert "::error file=data/two.json," in output
    assert "## pcocheck ❌ failed" in summary.read_text(encoding="utf-8")
    # An explicit format (or one from the config file) is kept.
    _code, output = run("validate", "data/two.json", "-f", "json")
    assert json.loads(output)["summary"]["error"] == 1


def test_resolve_keeps_defaults_when_nothing_is_given() -> None:
    config, report = resolve(CliOptions(paths=("x",)), None, {})
    assert report.outputs == (OutputSpec("console", None),)
    assert config.fail_on is not None and config.fail_on.label == "error"
    assert config.select == () and report.baseline is None


# --- baseline ------------------------------------------------------------------------


def test_baseline_round_trip_line_shifts_and_stale_entries(project: Path) -> None:
    code, _ = run("validate", "data", "--write-baseline", "baseline.json")
    assert code == 1
    baseline = json.loads((project / "baseline.json").read_text())
    assert baseline["schema"] == "pcocheck-baseline/1"
    assert {e["code"] for e in baseline["entries"]} == {"FHIR-STRUCT-001", "FHIR-STRUCT-011"}
    assert all("line" not in e for e in baseline["entries"])
    # Everything known is hidden: the build passes.
    code, output = run("validate", "data", "--baseline", "baseline.json", "-f", "json")
    assert code == 0 and codes(output) == []
    assert json.loads(output)["summary"]["baselined"] == 2
    assert (
        "2 known finding(s) hidden by the baseline"
        in run("validate", "data", "--baseline", "baseline.json")[1]
    )
    # Lines shift (pretty-printed, blank lines on top): still the same findings.
    pretty = json.dumps(json.loads(TWO), indent=4)
    (project / "data" / "two.json").write_text("\n\n\n" + pretty)
    code, output = run("validate", "data", "--baseline", "baseline.json", "-f", "json")
    assert code == 0 and codes(output) == []
    # A new problem appears, one is fixed: the new one is reported, the fixed one is stale.
    fixed = json.loads(TWO)
    del fixed["colour"]
    fixed["colur"] = "red"
    (project / "data" / "two.json").write_text(json.dumps(fixed))
    code, output = run("validate", "data", "--baseline", "baseline.json", "-f", "json")
    issues = json.loads(output)["issues"]
    assert code == 1
    assert sorted((i["code"], i["expression"]) for i in issues) == [
        ("FHIR-BASELINE-080", None),
        ("FHIR-STRUCT-001", "Basic.colur"),
    ]
    stale = next(i for i in issues if i["code"] == "FHIR-BASELINE-080")
    assert "Basic.colour" in stale["message"] and stale["file"] == "data/two.json"
    assert stale["severity"] == "information"
    code, output = run(
        "validate", "data", "--baseline", "baseline.json", "-f", "json",
        "--ignore", "FHIR-BASELINE",
    )  # fmt: skip
    assert codes(output) == ["FHIR-STRUCT-001"]


def test_baseline_is_found_from_another_folder(project: Path) -> None:
    run("validate", "data", "--write-baseline", "baseline.json")
    import os

    os.chdir(project / "data")
    code, output = run("validate", "two.json", "--baseline", "../baseline.json", "-f", "json")
    assert code == 0 and codes(output) == []


def test_baseline_counts_occurrences(project: Path) -> None:
    run("validate", "data", "--write-baseline", "baseline.json")
    (project / "data" / "copy.json").write_text(TWO)
    code, output = run("validate", "data", "--baseline", "baseline.json", "-f", "json")
    assert code == 1
    assert {i["file"] for i in json.loads(output)["issues"]} == {"data/copy.json"}


def test_baseline_from_the_config_file_and_bad_baselines(project: Path) -> None:
    run("validate", "data", "--write-baseline", "b.json")
    (project / "pcocheck.toml").write_text('baseline = "b.json"\n')
    assert run("validate", "data")[0] == 0
    (project / "b.json").write_text('{"schema": "other"}')
    code, output = run("validate", "data")
    assert code == 2 and "not a pcocheck-baseline/1 file" in output
    assert run("validate", "data", "--no-config", "--baseline", "nope.json")[0] == 2


# --- diff ----------------------------------------------------------------------------


def test_diff_new_fixed_unchanged(project: Path) -> None:
    run("validate", "data", "-f", "json", "-o", "old.json")
    fixed = json.loads(TWO)
    del fixed["colour"]
    fixed["status"] = "bogus"
    pretty = "\n\n" + json.dumps(fixed, indent=2)  # lines shift too
    (project / "data" / "two.json").write_text(pretty)
    run("validate", "data", "-f", "json", "-o", "new.json")
    code, output = run("diff", "old.json", "new.json", "-f", "json")
    document = json.loads(output)
    assert [i["code"] for i in document["new"]] == ["FHIR-STRUCT-001"]
    assert document["new"][0]["expression"] == "Basic.status"
    assert [i["expression"] for i in document["fixed"]] == ["Basic.colour"]
    assert document["summary"]["unchanged"] == 1  # the whitespace warning, moved
    assert code == 1
    code, output = run("diff", "old.json", "new.json", "--fail-on", "never")
    assert code == 0 and "New (1):" in output and "Fixed (1):" in output
    assert run("diff", "old.json", "old.json")[0] == 0


def test_diff_only_fails_at_or_above_fail_on(project: Path) -> None:
    (project / "data" / "two.json").write_text(GOOD)
    run("validate", "data", "-f", "json", "-o", "old.json")
    (project / "data" / "two.json").write_text(GOOD.replace('"fine"', '"fine "'))
    run("validate", "data", "-f", "json", "-o", "new.json")
    assert run("diff", "old.json", "new.json")[0] == 0  # a new warning only
    assert run("diff", "old.json", "new.json", "--fail-on", "warning")[0] == 1


def test_diff_rejects_what_is_not_a_report(project: Path) -> None:
    (project / "x.json").write_text("[]")
    code, output = run("diff", "x.json", "x.json")
    assert code == 2 and "not a pcocheck-report/1 report" in output
    assert run("diff", "missing.json", "x.json")[0] == 2
