"""Conformance definitions: the compiled R4 core, shipped profiles, packages, snapshots.

Typical use::

    registry = default_registry()          # core R4 + the shipped PCO/US Core profiles
    registry.add_package("hl7.fhir.us.pco#1.0.0")   # optional extras
    problems = registry.problems           # report these; never raised
    goal = registry.structure("http://hl7.org/fhir/us/pco/StructureDefinition/pco-goal-profile")
"""

from pcocheck.definitions.model import (
    Binding,
    Constraint,
    DefinitionError,
    DefinitionProblem,
    Discriminator,
    ElementDef,
    PackageInfo,
    ResourceSummary,
    Slicing,
    StructureDef,
    TypeRef,
)
from pcocheck.definitions.registry import DefinitionRegistry, default_registry

__all__ = [
    "Binding",
    "Constraint",
    "DefinitionError",
    "DefinitionProblem",
    "DefinitionRegistry",
    "Discriminator",
    "ElementDef",
    "PackageInfo",
    "ResourceSummary",
    "Slicing",
    "StructureDef",
    "TypeRef",
    "default_registry",
]
