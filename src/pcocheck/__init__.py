"""pcocheck: conformance checking for HL7 Person-Centered Outcomes (PCO) STU1 content."""

__version__ = "0.1.0"
