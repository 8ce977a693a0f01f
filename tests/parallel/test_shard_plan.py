"""How a large NDJSON file is cut into chunks: contiguous, at line ends, with the right
first line numbers, and finer at the end of the run (guided scheduling)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pcocheck.inputs.discover import discover
from pcocheck.parallel import shards


def _write(path: Path, lines: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    data = b"".join(
        b'{"resourceType":"Basic","id":"b%d","note":"%s"}\n' % (n, b"x" * rng.randrange(0, 400))
        for n in range(lines)
    )
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("fine_from", [None, 0, 60_000, 10**9])
def test_ranges_are_contiguous_cut_at_line_ends_with_their_first_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fine_from: int | None
) -> None:
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 1000)
    data = _write(tmp_path / "a.ndjson", 600)
    ranges = shards.ndjson_ranges(str(tmp_path / "a.ndjson"), 8000, fine_from)
    assert ranges[0][0] == 0 and ranges[-1][1] is None
    for (start, end, first_line), following in zip(ranges, [*ranges[1:], None], strict=True):
        assert first_line == data.count(b"\n", 0, start) + 1
        assert start == 0 or data[start - 1 : start] == b"\n"
        if following is not None:
            assert end == following[0]
            size = end - start
            longest = 500
            wanted = 2000 if fine_from is not None and start >= fine_from else 8000
            assert wanted <= size < wanted + longest


def test_the_run_ends_in_finer_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 1000)
    monkeypatch.setattr(shards, "MAX_CHUNK_BYTES", 8000)
    _write(tmp_path / "a.ndjson", 1500)
    _write(tmp_path / "b.ndjson", 1500, seed=8)
    planned = shards.plan_shards(discover([str(tmp_path)])[0], 2)
    sizes = {
        name: [(s.end or 0) - s.start for s in planned if s.item.display.endswith(name)][:-1]
        for name in ("a.ndjson", "b.ndjson")
    }
    assert min(sizes["a.ndjson"]) >= 8000  # not the last file: even chunks
    b_sizes = sizes["b.ndjson"]
    first_fine = next(i for i, size in enumerate(b_sizes) if size < 8000)
    assert min(b_sizes[:first_fine]) >= 8000 and max(b_sizes[first_fine:]) < 8000
    # The last 2 jobs x TAIL_CHUNKS_PER_JOB chunks' worth of bytes, cut about 4 times finer.
    assert len(b_sizes) - first_fine >= 2 * shards.TAIL_CHUNKS_PER_JOB * 2
    assert max(b_sizes[first_fine:]) < 8000 // shards.TAIL_DIVISOR + 500


def test_a_small_file_ends_in_chunks_below_the_chunk_minimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose chunks are all of the minimum size (e.g. 10,000 records) still ends in
    finer ones: what the other jobs wait for at the end of the run is a quarter chunk."""
    monkeypatch.setattr(shards, "MIN_CHUNK_BYTES", 16_000)
    _write(tmp_path / "a.ndjson", 1500)  # about 360 kB: the plan wants 11 kB chunks
    planned = shards.plan_shards(discover([str(tmp_path)])[0], 2)
    sizes = [(s.end or 0) - s.start for s in planned][:-1]
    assert min(sizes[:4]) >= 16_000  # the minimum
    assert max(sizes[-4:]) < 16_000 // shards.TAIL_DIVISOR + 500
