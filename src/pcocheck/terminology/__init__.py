"""Terminology: value-set membership, code syntax, displays, optional terminology server.

The profile engine and the PCO rules use :class:`TerminologyService`; everything it
reports is a :class:`TermIssue` whose code is documented in ``catalog/fhir-bind.toml``
(and ``catalog/tx.toml`` for terminology-server problems).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcocheck.terminology.issue import TermIssue
from pcocheck.terminology.known_codes import STALE_CODES, STALE_IN_VALUE_SET, STALE_SYSTEMS
from pcocheck.terminology.service import Coding, DefinitionSource, TerminologyService
from pcocheck.terminology.valueset import Expansion, Verdict

if TYPE_CHECKING:
    from pcocheck.terminology.tx import TxClient, TxResult

__all__ = [
    "STALE_CODES",
    "STALE_IN_VALUE_SET",
    "STALE_SYSTEMS",
    "Coding",
    "DefinitionSource",
    "Expansion",
    "TermIssue",
    "TerminologyService",
    "TxClient",
    "TxResult",
    "Verdict",
]


def __getattr__(name: str) -> Any:
    # PEP 562: the terminology server client (pcocheck.terminology.tx) is imported only
    # by runs that ask a server (--tx), not by every start.
    if name in ("TxClient", "TxResult"):
        from pcocheck.terminology import tx

        return getattr(tx, name)
    raise AttributeError(f"module 'pcocheck.terminology' has no attribute {name!r}")
