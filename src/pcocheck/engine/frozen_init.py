"""A cheaper ``__init__`` for the frozen, slotted dataclasses made once or more per resource.

The ``__init__`` that :mod:`dataclasses` writes for a frozen class sets each field with
``object.__setattr__(self, name, value)`` (a global lookup, an attribute lookup and a
generic setattr per field). A slotted class has a member descriptor per field whose
``__set__`` stores the value directly: :func:`quick_init` gives the class an ``__init__``
with the same parameters and defaults that calls those. The object is the same (frozen
afterwards: assigning a field still raises ``FrozenInstanceError``; equality, hash,
``repr`` and pickling are untouched). On ``--vary`` 10,000 records the run builds about
60,000 such objects (anchors, identities, resolutions, the PCO rules' facts).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

_C = TypeVar("_C", bound=type)


def quick_init(cls: _C) -> _C:
    """Class decorator (put it above ``@dataclass(frozen=True, slots=True)``): replace the
    generated ``__init__`` as described above. Only for classes whose fields are all plain
    ``__init__`` parameters (no ``default_factory``, no ``kw_only``; an ``InitVar`` is
    not a field and would be missed: none of these classes has one); anything else raises
    TypeError at import. A ``__post_init__`` is called last, as by the generated one."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen, slotted dataclasses")
    fields = dataclasses.fields(cls)
    if len(fields) != len(cls.__dict__["__dataclass_fields__"]):
        raise TypeError(f"{cls.__name__}: ClassVar and InitVar pseudo-fields are not supported")
    namespace: dict[str, Any] = {}
    arguments: list[str] = []
    body: list[str] = []
    for number, field in enumerate(fields):
        if not field.init or field.kw_only or field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{field.name}: not a plain __init__ parameter")
        setter = f"_set{number}"
        namespace[setter] = cls.__dict__[field.name].__set__
        if field.default is dataclasses.MISSING:
            arguments.append(field.name)
        else:
            default = f"_default{number}"
            namespace[default] = field.default
            arguments.append(f"{field.name}={default}")
        body.append(f"    {setter}(self, {field.name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")  # as the generated __init__ ends
    source = f"def __init__(self, {', '.join(arguments)}):\n" + ("\n".join(body) or "    pass")
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    setattr(cls, "__init__", init)  # noqa: B010 - mypy rejects assigning a method
    return cls


__all__ = ["quick_init"]
