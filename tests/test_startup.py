"""Start-up cost: what the command line loads, and the precompiled FHIRPath cache.

Each check runs in a fresh interpreter (a subprocess), because this test process has
imported everything already. No timings here (the machine is shared): the tests pin
*what* is imported or parsed, which is what decides the cold start; bench/cold_start.py
measures the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_BUNDLE = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"

# Runs the command line in process, then reports what it left loaded and parsed.
_PROBE = """
import json, sys
from pcocheck.cli import main
sys.argv = ["pcocheck", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
report = {"modules": sorted(sys.modules)}
catalog = sys.modules.get("pcocheck.catalog")
if catalog is not None:
    report["whole_catalog_parsed"] = catalog.catalog.cache_info().currsize > 0
    report["family_files_parsed"] = catalog._family_file.cache_info().currsize
cache = sys.modules.get("pcocheck.definitions.fhirpath_cache")
if cache is not None:
    report["trees_read"] = cache.shipped_tree.cache_info().currsize
sys.stderr.write("\\n@@" + json.dumps(report))
"""

# Never needed to check local files with the console reporter.
NEVER_FOR_VALIDATE = (
    "pydantic",  # typer 0.29 coerces options through it: pyproject keeps typer below
    # The console report is laid out as rich would (pcocheck.reporting.plain) when it has
    # no colour; rich only for a terminal, or what only rich can measure.
    "rich",
    # The rule catalog's family files are read without it (pcocheck.catalog.plain_toml).
    "tomllib",
    # Every invariant of this bundle is native or compiled: fhirpathpy is not needed.
    "fhirpathpy",
    "requests",
    "jsonschema",
    "fhir",  # fhir.resources (the models extra)
    "xmlschema",
    "pcocheck.server",  # (the CLI runs through pcocheck.api, which is light)
    "pcocheck.models",
    "pcocheck.pytest_plugin",
    "pcocheck.reporting.json_report",
    "pcocheck.reporting.sarif",
    "pcocheck.reporting.junit",
    "pcocheck.reporting.github",
    "pcocheck.reporting.gitlab",
    "pcocheck.reporting.operationoutcome",
    "pcocheck.reporting.html",
    "pcocheck.reporting.diff",
    "pcocheck.reporting.definitions",
    "pcocheck.reporting.baseline",  # only with --baseline / --write-baseline
    "pcocheck.terminology.tx",  # only with --tx
    # Only runs that fork helpers (inputs of 1 MB and more) need these; the early exit of
    # pcocheck.parallel comes before they are imported.
    "multiprocessing",
    "pcocheck.parallel.team",
    "pcocheck.parallel.fanout",
    # In-memory sources of the Python API: the command line reads paths.
    "pcocheck.api.sources",
    # Shipped files are read from the package folder; hashes only for Attachments with
    # data, SARIF/GitLab fingerprints and the --tx cache; temporary files only for
    # reports written to files.
    "importlib.resources",
    "hashlib",
    "tempfile",
)


def _probe(*args: str, cwd: Path = ROOT) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )
    marker = done.stderr.rfind("\n@@")
    assert marker >= 0, done.stderr
    report: dict[str, object] = json.loads(done.stderr[marker + 3 :])
    return report


def _loaded(report: dict[str, object], name: str) -> bool:
    modules = report["modules"]
    assert isinstance(modules, list)
    return any(m == name or m.startswith(name + ".") for m in modules)


def _imports_of(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


def test_importing_the_cli_loads_no_checking_machinery() -> None:
    loaded = _imports_of("import pcocheck.cli")
    forbidden = (
        "pcocheck.engine",
        "pcocheck.definitions",
        "pcocheck.rules",
        "pcocheck.runner",
        "pcocheck.terminology",
        "fhirpathpy",
        "rich",
        "pydantic",
        "requests",
        "jsonschema",
    )
    assert sorted(m for m in loaded for f in forbidden if m == f or m.startswith(f + ".")) == []


def test_import_pcocheck_is_bare() -> None:
    loaded = _imports_of("import pcocheck")
    assert {m for m in loaded if m.startswith("pcocheck")} == {"pcocheck"}
    assert "typing" not in loaded


def test_version_and_help_load_no_checking_machinery() -> None:
    for args in (("--version",), ("--help",), ("validate", "--help")):
        report = _probe(*args)
        for name in ("pcocheck.engine", "pcocheck.definitions", "pcocheck.runner", "rich"):
            assert not _loaded(report, name), (args, name)


def test_a_small_validate_run_loads_only_what_it_uses(tmp_path: Path) -> None:
    # In a project without pcocheck configuration (this checkout's pyproject.toml names
    # pcocheck, so the configuration search parses it, with tomllib).
    report = _probe("validate", str(SMALL_BUNDLE), cwd=tmp_path)
    assert _loaded(report, "pcocheck.engine")  # the probe really ran a validation
    unexpected = [name for name in NEVER_FOR_VALIDATE if _loaded(report, name)]
    assert unexpected == []
    # The rule catalog: only the families of the codes the run emitted, never all 20 files.
    assert report["whole_catalog_parsed"] is False
    assert isinstance(report["family_files_parsed"], int)
    assert 0 < report["family_files_parsed"] < 5
    # The FHIRPath cache: only the trees of invariants that went through fhirpathpy (none
    # at all on this bundle, where every invariant is native or fast: then it is not even
    # imported).
    assert isinstance(report.get("trees_read", 0), int)
    assert report.get("trees_read", 0) < 10


def test_a_json_report_does_not_load_rich() -> None:
    report = _probe("validate", str(SMALL_BUNDLE), "--format", "json")
    assert _loaded(report, "pcocheck.reporting.json_report")
    assert not _loaded(report, "rich")
    assert not _loaded(report, "pcocheck.reporting.console")


def test_a_quiet_passing_console_run_does_not_load_rich() -> None:
    """Plain lines need no rich (tests/reporting/test_console_plain.py: same output)."""
    report = _probe("validate", str(SMALL_BUNDLE), "-q")
    assert _loaded(report, "pcocheck.reporting.console")
    assert not _loaded(report, "rich")


def test_typer_reads_no_string_annotations() -> None:
    """typer inspects every command's signature at each start; string annotations (from
    ``from __future__ import annotations``) would be compiled and evaluated twice per
    parameter there, about 10 ms of every run."""
    import inspect

    from pcocheck import cli

    commands = [info.callback for info in cli.app.registered_commands]
    assert cli.app.registered_callback is not None
    commands.append(cli.app.registered_callback.callback)
    assert len(commands) >= 6
    for command in commands:
        assert command is not None
        for name, parameter in inspect.signature(command).parameters.items():
            assert not isinstance(parameter.annotation, str), (command.__name__, name)


def test_a_pyproject_without_pcocheck_is_not_parsed(tmp_path: Path) -> None:
    """The configuration search does not parse (or import a parser for) a project's
    pyproject.toml that cannot hold [tool.pcocheck]; one that does is still found."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    code = (
        "import sys\nfrom pathlib import Path\nfrom pcocheck.configfile import find_config\n"
        f"found = find_config(Path({str(tmp_path)!r}))\n"
        "print(found, 'tomllib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["None", "False"]
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "pyproject.toml").write_text('[tool."pcocheck"]\nquiet = true\n', encoding="utf-8")
    from pcocheck.configfile import find_config

    assert find_config(ours) == ours / "pyproject.toml"
    escaped = tmp_path / "escaped"
    escaped.mkdir()  # a quoted key may spell the name with an escape: still parsed
    (escaped / "pyproject.toml").write_text('[tool."\\u0070cocheck"]\n', encoding="utf-8")
    assert find_config(escaped) == escaped / "pyproject.toml"
    assert find_config(tmp_path) is None


def test_the_shipped_fhirpath_cache_is_current() -> None:
    """Every constraint expression of the core archive and profiles/ is precompiled, with
    the tree fhirpathpy gives today: rerun tools/build_fhirpath_cache.py when this fails."""
    from pcocheck.definitions.fhirpath_cache import member_name, shipped_tree, shipped_trees

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import build_fhirpath_cache
    finally:
        sys.path.pop(0)
    expected = build_fhirpath_cache.build_trees()
    shipped = shipped_trees()
    assert sorted(set(expected) - set(shipped)) == []
    assert sorted(set(shipped) - set(expected)) == []
    stale = [expression for expression, tree in expected.items() if shipped[expression] != tree]
    assert stale == []
    some = next(iter(expected))
    assert shipped_tree(some) == expected[some]
    assert member_name(some) != member_name(some + " ")
    assert shipped_tree("1 = 1 and 'not shipped'") is None
