"""pcocheck: conformance checking for HL7 Person-Centered Outcomes (PCO) STU1 content.

The Python API (``pcocheck.validate``, ``pcocheck.Validator``, ``pcocheck.Report``) lives
in :mod:`pcocheck.api` and is imported on first use, so ``import pcocheck`` (and the
command line's start-up) stays fast.
"""

__version__ = "0.1.0"

# Not ``from typing import TYPE_CHECKING``: importing typing alone would cost several
# times what ``import pcocheck`` costs now (mypy recognises the name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from pcocheck.api import (
        ConfigurationError,
        NamedInput,
        Report,
        Validator,
        formats,
        validate,
    )
    from pcocheck.finding import Finding, Severity

_API = frozenset({"ConfigurationError", "NamedInput", "Report", "Validator", "formats", "validate"})
_FINDING = frozenset({"Finding", "Severity"})

__all__ = [
    "ConfigurationError",
    "Finding",
    "NamedInput",
    "Report",
    "Severity",
    "Validator",
    "__version__",
    "formats",
    "validate",
]


def __getattr__(name: str) -> "Any":
    # PEP 562: the API (definitions, engine) is imported only when it is used.
    if name in _API:
        from pcocheck import api

        return getattr(api, name)
    if name in _FINDING:
        from pcocheck import finding

        return getattr(finding, name)
    raise AttributeError(f"module 'pcocheck' has no attribute {name!r}")
