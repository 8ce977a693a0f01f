"""The progress bar: drawn on a terminal once a run lasts, nothing otherwise."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from pcocheck.config import RunConfig
from pcocheck.parallel import shards
from pcocheck.parallel.progress import ProgressBar, terminal_progress
from pcocheck.runner import validate_config

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_nothing_when_stderr_is_not_a_terminal() -> None:
    assert terminal_progress(io.StringIO()) is None


def test_a_quick_run_draws_nothing_even_on_a_terminal() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100)
    bar = ProgressBar(console)  # shows after a second: this run is quicker
    result = validate_config(RunConfig(paths=(str(FIXTURES / "journeys"),)), progress=bar)
    assert result.resources > 0 and bar.resources == result.resources
    assert stream.getvalue() == ""


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_resources_rate_and_eta_on_a_terminal(
    jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shards, "MIN_PARALLEL_BYTES", 0)  # small inputs in workers too
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 1024)  # NDJSON files in several chunks
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, color_system=None, width=120)
    bar = ProgressBar(console, show_after=0.0)
    config = RunConfig(paths=(str(FIXTURES / "references"),), jobs=jobs)
    result = validate_config(config, progress=bar)
    drawn = stream.getvalue()
    assert (bar.files, bar.resources) == (result.files, result.resources)
    assert f"{result.files}/{result.files} files · {result.resources} resources · " in drawn
    assert "/s" in drawn and "ETA" in drawn


def test_the_cli_draws_nothing_when_stderr_is_captured(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pcocheck.cli import app

    outcome = CliRunner().invoke(
        app, ["validate", str(FIXTURES / "journeys"), "--no-config", "--jobs", "2"]
    )
    assert outcome.exit_code in (0, 1), outcome.output
    assert "files ·" not in outcome.output and "ETA" not in outcome.output
