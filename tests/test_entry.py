"""The console-script entry point (``pcocheck.cli:entry``): the command line's exit codes,
output and atexit handlers as with a normal interpreter exit, without the teardown.

Every check runs the command line in a fresh interpreter, once through ``entry`` and once
through ``main`` (a normal exit), and compares what the two leave behind.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JOURNEY = ROOT / "fixtures" / "journeys" / "gas-goal-journey.json"
BROKEN = ROOT / "fixtures" / "broken"

_PRELUDE = """
import atexit, sys
atexit.register(lambda: sys.stdout.write("atexit ran\\n"))
"""


def _run(via: str, *args: str, prelude: str = _PRELUDE) -> subprocess.CompletedProcess[bytes]:
    code = f"{prelude}\nfrom pcocheck.cli import {via}\n{via}()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )


CASES = [
    ("--version",),
    ("validate", str(JOURNEY)),  # passes: 0
    ("validate", str(JOURNEY), "-q", "--fail-on", "information"),  # 1
    ("validate", str(BROKEN), "--no-progress"),  # 1, a long report
    ("validate", str(BROKEN), "-f", "json"),
    ("validate", str(JOURNEY), "--format", "nonsense"),  # usage: 2
    ("validate",),  # click's usage error: 2
    ("explain", "PCO-GAS-001"),
    ("explain", "NOPE-001"),
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a)[-40:] for a in CASES])
def test_entry_exits_as_main_does(args: tuple[str, ...]) -> None:
    quick, normal = _run("entry", *args), _run("main", *args)
    assert quick.returncode == normal.returncode
    assert quick.stdout == normal.stdout  # every byte written, flushed
    assert quick.stderr == normal.stderr
    assert quick.stdout.endswith(b"atexit ran\n")  # the handlers ran, after the report


def test_exit_codes_are_those_of_the_command_line() -> None:
    assert _run("entry", "validate", str(JOURNEY)).returncode == 0
    failing = _run("entry", "validate", str(JOURNEY), "--fail-on", "information")
    assert failing.returncode == 1
    assert _run("entry", "validate", str(JOURNEY), "-f", "nonsense").returncode == 2


def test_a_running_non_daemon_thread_gets_the_normal_exit() -> None:
    prelude = (
        _PRELUDE
        + "import threading, time\n"
        + "threading.Thread(target=lambda: (time.sleep(0.5), print('thread done'))).start()\n"
    )
    done = _run("entry", "--version", prelude=prelude)
    assert done.returncode == 0
    assert done.stdout.splitlines()[-2:] == [b"thread done", b"atexit ran"]


def test_an_uncaught_exception_is_reported_as_usual() -> None:
    prelude = _PRELUDE + "import pcocheck.cli as c\nc.main = lambda: 1 / 0\n"
    done = _run("entry", prelude=prelude)
    assert done.returncode == 1
    assert b"ZeroDivisionError" in done.stderr


def test_a_reader_that_stops_early_is_not_a_failure() -> None:
    """``pcocheck validate ... | head -1``: the same exit code as a normal exit."""
    codes = []
    for via in ("entry", "main"):
        code = f"from pcocheck.cli import {via}\n{via}()\n"
        with subprocess.Popen(
            [sys.executable, "-c", code, "validate", str(BROKEN), "--no-progress"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            process.stdout.readline()
            process.stdout.close()
            errors = process.stderr.read()
            codes.append((process.wait(timeout=300), errors))
    assert codes[0] == codes[1]


def test_the_console_script_and_python_m_use_entry() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["pcocheck"] == "pcocheck.cli:entry"
    main_module = (ROOT / "src" / "pcocheck" / "__main__.py").read_text(encoding="utf-8")
    assert "entry()" in main_module
    done = subprocess.run(
        [sys.executable, "-m", "pcocheck", "validate", str(JOURNEY), "--fail-on", "information"],
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stdout.rstrip().endswith(b"fail-on information)")
