"""The exceptions of the prtr package.

Every error a user can cause is a :class:`PrtrError`. Its message says what is wrong,
where, and how to fix it, so that the command line can print it as it is, without a
traceback.
"""

from __future__ import annotations

__all__ = [
    "DatasetError",
    "EstimationError",
    "PrtrError",
    "RegisterError",
    "UnitError",
    "UnknownSubstanceError",
]


class PrtrError(Exception):
    """Base class of every error the prtr package raises on purpose."""


class DatasetError(PrtrError):
    """A table of the data package does not match its schema."""


class UnitError(PrtrError):
    """A unit cannot be read, or cannot be converted to the unit asked for."""


class UnknownSubstanceError(PrtrError, LookupError):
    """No substance matches an identifier, CAS number or name."""


class EstimationError(PrtrError):
    """The inputs of an estimation technique are missing or inconsistent."""


class RegisterError(PrtrError):
    """The register cannot be reached, or does not hold what was asked for."""
