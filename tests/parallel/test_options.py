"""The --jobs / --executor / --scheduler options and when a run stays in one process."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcocheck import parallel
from pcocheck.cli import app
from pcocheck.settings import default_jobs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BUNDLE = FIXTURES / "references" / "two-bundles"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--jobs", "0"], "--jobs must be 1 or more"),
        (["--executor", "spark"], "--executor must be local or dask"),
        (["--executor", "dask"], "--executor dask needs --scheduler"),
    ],
)
def test_bad_options_are_usage_errors(options: list[str], message: str) -> None:
    outcome = CliRunner().invoke(app, ["validate", str(BUNDLE), "--no-config", *options])
    assert outcome.exit_code == 2
    assert message in outcome.output and "Traceback" not in outcome.output


def test_the_default_is_one_job_per_core() -> None:
    assert default_jobs() >= 1


def test_stdin_is_read_once_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    forked: list[int] = []
    monkeypatch.setattr(parallel, "_forked", lambda *args: forked.append(1))
    monkeypatch.setattr(parallel, "_check_with_helpers", lambda *args: forked.append(1))
    text = (BUNDLE / "second.json").read_text("utf-8")
    outputs = []
    for jobs in ("1", "2"):
        outcome = CliRunner().invoke(
            app,
            ["validate", "-", str(BUNDLE / "first.json"), "-f", "json", "--no-config", "-j", jobs],
            input=text,
        )
        outputs.append((outcome.exit_code, outcome.output))
    assert outputs[0] == outputs[1] and outputs[0][0] in (0, 1)
    assert not forked


def test_a_small_run_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    forked: list[int] = []
    monkeypatch.setattr(parallel, "_forked", lambda *args: forked.append(1))
    monkeypatch.setattr(parallel, "_check_with_helpers", lambda *args: forked.append(1))
    outcome = CliRunner().invoke(app, ["validate", str(FIXTURES / "rules"), "--no-config"])
    assert outcome.exit_code in (0, 1) and not forked
