"""Cheap pickling for the frozen, slotted dataclasses that travel between processes.

A frozen dataclass with ``slots=True`` pickles through the ``__getstate__`` and
``__setstate__`` that :mod:`dataclasses` writes, and both call ``dataclasses.fields()``
for every object. A parallel run sends tens of thousands of such objects from its helpers
(the PCO rules' facts and their anchors of a large Bundle), so that cost was on the
helper's path and on the parent's serial merge. :func:`pickled_by_fields` gives the class
a ``__reduce__`` that rebuilds the object with its constructor from its field values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

_C = TypeVar("_C", bound=type)


def pickled_by_fields(cls: _C) -> _C:
    """Class decorator (put it above ``@dataclass``): pickle ``cls`` as a call of ``cls``
    with its field values in order. Only for dataclasses whose every field is an
    ``__init__`` parameter and whose ``__init__`` keeps the values it is given."""
    fields = dataclasses.fields(cls)
    if any(not field.init for field in fields):
        raise TypeError(f"{cls.__name__}: every field must be an __init__ parameter")
    names = tuple(field.name for field in fields)
    values: Callable[[Any], tuple[Any, ...]]
    if len(names) == 1:
        name = names[0]

        def values(item: Any) -> tuple[Any, ...]:
            return (getattr(item, name),)

    else:
        values = attrgetter(*names)

    def __reduce__(self: Any) -> tuple[Any, ...]:
        return (cls, values(self))

    cls.__reduce__ = __reduce__  # type: ignore[assignment, method-assign]
    return cls


__all__ = ["pickled_by_fields"]
