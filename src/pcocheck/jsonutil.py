"""Defensive access to parsed JSON: input is never trusted to have the right shape."""

from __future__ import annotations

from typing import Any


def listed(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list (wrong shapes are reported by
    the structural checks, not by crashing the rules that read them)."""
    return value if isinstance(value, list) else []
