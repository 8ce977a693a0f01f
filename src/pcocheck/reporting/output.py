"""Writing reports without destroying what they are written to.

- A regular file (or a path that does not exist yet) is replaced atomically — a CI step
  never reads half a report — keeping the existing file's permission bits, and through
  a symbolic link the link stays and its target is replaced.
- Anything else (``/dev/null``, ``/dev/stdout``, a pipe, a terminal) is written through,
  never replaced by a regular file.
- A failed write (a full disk, ``/dev/full``) is an :class:`OutputError` with one line.
- An output that is one of the run's inputs is refused before the run.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pcocheck.reporting.text import printable


class OutputError(Exception):
    """The report could not be written (exit code 3)."""


class OutputRefused(Exception):
    """An output path that cannot be used, found before the run (exit code 2)."""


class PipeClosed(Exception):
    """The reader of standard output went away (``| head``): not an error."""


def _describe(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    return error.strerror or str(error)


def _status(path: str) -> os.stat_result | None:
    """What ``path`` is, following links the way the kernel does (``/dev/stdout`` is a
    link to ``/proc/self/fd/1``, which :func:`os.path.realpath` cannot follow)."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def check_output_path(path: str, inputs: Iterable[Path]) -> None:
    """Refuse, before any work, an output that cannot be written or is an input."""
    shown = printable(path)
    try:
        status = _status(path)
    except OSError as error:
        raise OutputRefused(f"cannot write {shown}: {_describe(error)}") from None
    if status is None:
        folder = Path(os.path.realpath(path)).parent
        if not folder.is_dir():
            raise OutputRefused(
                f"cannot write {shown}: folder {printable(str(folder))} does not exist"
            )
        return
    if stat.S_ISDIR(status.st_mode):
        raise OutputRefused(f"cannot write {shown}: it is a folder")
    if not stat.S_ISREG(status.st_mode):
        return  # a device or pipe: written through, it cannot be an input we re-read
    for item in inputs:
        try:
            same = os.path.samefile(item, path)
        except OSError:
            continue
        if same:
            raise OutputRefused(f"--output {shown} is one of the inputs; refusing to overwrite it")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace_atomically(target: Path, data: bytes, mode: int | None) -> None:
    import tempfile  # only reports written to a file need it

    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # mkstemp creates 0600: keep an existing report's mode, or honour the umask.
        os.chmod(temp_name, mode if mode is not None else 0o666 & ~_umask())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_file(path: str, data: bytes) -> None:
    """Write a whole report to ``path`` (see the module docstring for the rules)."""
    shown = printable(path)
    try:
        status = _status(path)
        if status is not None and not stat.S_ISREG(status.st_mode):
            if stat.S_ISDIR(status.st_mode):
                raise OutputError(f"cannot write {shown}: it is a folder")
            # A device, pipe or terminal: write through, never replace it.
            with open(path, "wb") as stream:
                stream.write(data)
            return
        # Through symbolic links: the link stays and its target is replaced.
        target = Path(os.path.realpath(path))
        mode = stat.S_IMODE(status.st_mode) if status is not None else None
        _replace_atomically(target, data, mode)
    except OSError as error:
        raise OutputError(f"cannot write {shown}: {_describe(error)}") from None


def write_stream(stream: BinaryIO, data: bytes) -> None:
    """Write to standard output; a closed pipe becomes :class:`PipeClosed`."""
    try:
        stream.write(data)
        stream.flush()
    except BrokenPipeError:
        raise PipeClosed from None
    except OSError as error:
        if error.errno == errno.EPIPE:
            raise PipeClosed from None
        raise OutputError(f"cannot write the report: {_describe(error)}") from None


def silence_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the exit flush stays quiet."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
