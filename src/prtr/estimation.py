"""The four release estimation techniques.

In the order of preference where the data allow it:

=======================  ====  ====================================================
technique                code  what it multiplies
=======================  ====  ====================================================
direct measurement       M     concentration x flow x operating time
mass balance             C     what goes in - what leaves in accounted streams
engineering calculation  C     activity x content x stoichiometry x (1 - control)
emission factor          E     activity x factor x (1 - control)
=======================  ====  ====================================================

Each function returns an :class:`Estimate`: the quantity in the substance's reporting
unit, the method code a facility writes on its form, and an uncertainty range.
Quantities are pint quantities or ``(value, unit)`` pairs, so that a unit mistake is an
error and not a wrong number.

:func:`estimate_with_factors` applies emission factors to a whole table of activity rows
at once; it converts units once per combination of units, not once per row.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pint

from prtr.datapackage import load_table
from prtr.errors import EstimationError, UnitError
from prtr.substances import find
from prtr.units import parse_unit, quantity, registry

__all__ = [
    "EmissionFactor",
    "Estimate",
    "direct_measurement",
    "emission_factor",
    "emission_factors",
    "engineering_calculation",
    "estimate_with_factors",
    "mass_balance",
]

MethodCode = Literal["M", "C", "E"]
QuantityLike = pint.Quantity | tuple[float, str]


@dataclass(frozen=True)
class Estimate:
    """A release or transfer estimate, as a facility reports it.

    Attributes:
        substance_id: the substance, from ``substances.csv``.
        medium: air, water, land or an off-site destination.
        value: the quantity in ``unit`` for the reporting year.
        unit: the substance's reporting unit (``kg`` or ``g TEQ``).
        method: the method code of the reporting form: M, C or E.
        technique: the technique's name.
        low, high: the uncertainty range, in ``unit``.
        description: how the number was obtained, for the form's method description.
    """

    substance_id: str
    medium: str
    value: float
    unit: str
    method: MethodCode
    technique: str
    low: float
    high: float
    description: str = ""

    @property
    def quantity(self) -> pint.Quantity:
        return quantity(self.value, self.unit)

    def __str__(self) -> str:
        return (
            f"{self.substance_id} to {self.medium}: {self.value:,.4g} {self.unit} "
            f"({self.low:,.3g} to {self.high:,.3g}), method {self.method} "
            f"({self.technique})"
        )


def _as_quantity(value: QuantityLike, what: str) -> pint.Quantity:
    if isinstance(value, pint.Quantity):
        return value
    try:
        magnitude, unit = value
    except (TypeError, ValueError):
        raise EstimationError(
            f"{what} must be a quantity with its unit, such as (12.5, 't'), "
            f"not {value!r}."
        ) from None
    return quantity(magnitude, unit)


def _finish(
    substance: str,
    medium: str,
    amount: pint.Quantity,
    method: MethodCode,
    technique: str,
    relative_uncertainty: float,
    description: str,
) -> Estimate:
    found = find(substance)
    try:
        value = float(amount.to(parse_unit(found.reporting_unit)).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"The {technique} for {found.name} gives {amount.units:~P}, which cannot "
            f"be expressed in its reporting unit {found.reporting_unit}. Check the "
            "units of the inputs."
        ) from None
    if relative_uncertainty < 0:
        raise EstimationError(
            "relative_uncertainty must be 0 or more, e.g. 0.2 for ±20 %."
        )
    if value < 0:
        raise EstimationError(
            f"The {technique} for {found.name} gives a negative release ({value:g} "
            f"{found.reporting_unit}). Check the inputs."
        )
    return Estimate(
        substance_id=found.substance_id,
        medium=medium,
        value=value,
        unit=found.reporting_unit,
        method=method,
        technique=technique,
        low=max(0.0, value * (1 - relative_uncertainty)),
        high=value * (1 + relative_uncertainty),
        description=description,
    )


def direct_measurement(
    substance: str,
    medium: str,
    concentration: QuantityLike,
    flow_rate: QuantityLike,
    operating_time: QuantityLike,
    *,
    relative_uncertainty: float,
    description: str = "",
) -> Estimate:
    """Release from a measured concentration in a measured flow (method M).

    ``release = concentration x flow_rate x operating_time``

    Args:
        substance: identifier, CAS number or name.
        medium: where the release goes.
        concentration: e.g. ``(350, "mg/m^3")`` in the stack gas or effluent.
        flow_rate: e.g. ``(120000, "m^3/h")``, at the same reference conditions as
            the concentration.
        operating_time: e.g. ``(7800, "h")`` in the year.
        relative_uncertainty: half-width of the range as a fraction of the value.
        description: how it was measured, for the reporting form.
    """
    amount = (
        _as_quantity(concentration, "concentration")
        * _as_quantity(flow_rate, "flow_rate")
        * _as_quantity(operating_time, "operating_time")
    )
    return _finish(
        substance,
        medium,
        amount,
        "M",
        "direct measurement",
        relative_uncertainty,
        description,
    )


def mass_balance(
    substance: str,
    medium: str,
    inputs: Mapping[str, QuantityLike],
    outputs: Mapping[str, QuantityLike] | None = None,
    *,
    relative_uncertainty: float,
    description: str = "",
) -> Estimate:
    """Release as what goes in less what leaves in accounted streams (method C).

    ``release = sum(inputs) - sum(outputs)``

    Args:
        inputs: the substance in each input stream, e.g.
            ``{"mercury in fuel": fuel_mass * mercury_content}``.
        outputs: the substance leaving in streams other than the release, e.g. in
            product, ash or captured dust.

    Raises:
        EstimationError: if the outputs exceed the inputs.
    """
    if not inputs:
        raise EstimationError("A mass balance needs at least one input stream.")
    total_in = sum(
        (_as_quantity(amount, f"input {name!r}") for name, amount in inputs.items()),
        start=0 * _as_quantity(next(iter(inputs.values())), "input"),
    )
    total_out = sum(
        (
            _as_quantity(amount, f"output {name!r}")
            for name, amount in (outputs or {}).items()
        ),
        start=0 * total_in,
    )
    try:
        difference = total_in - total_out
        if difference.magnitude < 0:
            raise EstimationError(
                f"The outputs ({total_out.to(total_in.units):~P}) exceed the inputs "
                f"({total_in:~P}). A mass balance cannot release less than nothing: "
                "check that every stream is in the same units and the same year."
            )
    except pint.errors.DimensionalityError:
        raise UnitError(
            "Every input and output of a mass balance must be a mass."
        ) from None
    return _finish(
        substance,
        medium,
        difference,
        "C",
        "mass balance",
        relative_uncertainty,
        description,
    )


def engineering_calculation(
    substance: str,
    medium: str,
    activity: QuantityLike,
    content: QuantityLike,
    *,
    stoichiometric_ratio: float = 1.0,
    control_efficiency: float = 0.0,
    relative_uncertainty: float,
    description: str = "",
) -> Estimate:
    """Release calculated from a material's composition (method C).

    ``release = activity x content x stoichiometric_ratio x (1 - control_efficiency)``

    For sulphur dioxide from fuel, ``content`` is the fuel's sulphur content and
    ``stoichiometric_ratio`` the ratio of the molar masses of SO2 and S.

    Args:
        activity: the amount of material, e.g. ``(42000, "t")`` of fuel burned.
        content: the mass fraction of the element in it, e.g. ``(2.5, "percent")``.
        stoichiometric_ratio: mass of the released compound per mass of the element.
        control_efficiency: the fraction removed by abatement, from 0 to 1.
    """
    if not 0 <= control_efficiency <= 1:
        raise EstimationError("control_efficiency is a fraction from 0 to 1, e.g. 0.9.")
    amount = (
        _as_quantity(activity, "activity")
        * _as_quantity(content, "content")
        * stoichiometric_ratio
        * (1 - control_efficiency)
    )
    return _finish(
        substance,
        medium,
        amount,
        "C",
        "engineering calculation",
        relative_uncertainty,
        description,
    )


@dataclass(frozen=True)
class EmissionFactor:
    """One row of ``emission_factors.csv``."""

    factor_id: str
    sector: str
    process: str
    technology: str
    substance_id: str
    medium: str
    value: float
    unit: str
    activity_unit: str
    rating: str
    scaled_by: str
    source: str
    source_table: str
    source_year: int

    @property
    def citation(self) -> str:
        return f"{self.source}, {self.source_table} ({self.source_year})"


@functools.cache
def emission_factors() -> dict[str, EmissionFactor]:
    """Return every emission factor of the data package by identifier."""
    table = load_table("emission_factors")
    names = EmissionFactor.__dataclass_fields__
    return {
        row["factor_id"]: EmissionFactor(**{name: row[name] for name in names})
        for row in table.to_dict("records")
    }


def _factor(factor: str | EmissionFactor) -> EmissionFactor:
    if isinstance(factor, EmissionFactor):
        return factor
    try:
        return emission_factors()[factor]
    except KeyError:
        raise EstimationError(
            f"{factor!r} is not an emission factor of datasets/emission_factors.csv."
        ) from None


def emission_factor(
    factor: str | EmissionFactor,
    activity: QuantityLike,
    *,
    scaled_by: float | None = None,
    control_efficiency: float = 0.0,
    relative_uncertainty: float,
    description: str = "",
) -> Estimate:
    """Release from an emission factor and the activity it multiplies (method E).

    ``release = activity x factor [x scaled_by] x (1 - control_efficiency)``

    Args:
        factor: a factor identifier of ``emission_factors.csv``, or the factor itself.
        activity: e.g. ``(5200, "m^3")`` of fuel; any unit convertible to the factor's
            ``activity_unit``.
        scaled_by: the value of the variable named in the factor's ``scaled_by``
            column (e.g. the fuel's sulphur content in weight percent); required
            when that column is set.
        control_efficiency: the fraction removed by abatement the factor does not
            already include, from 0 to 1.
    """
    chosen = _factor(factor)
    multiplier = _scaling(chosen, scaled_by)
    if not 0 <= control_efficiency <= 1:
        raise EstimationError("control_efficiency is a fraction from 0 to 1, e.g. 0.9.")
    activity_quantity = _as_quantity(activity, "activity")
    reporting_unit = find(chosen.substance_id).reporting_unit
    amount = quantity(
        activity_quantity.magnitude
        * _release_per_unit(chosen, f"{activity_quantity.units}")
        * multiplier
        * (1 - control_efficiency),
        reporting_unit,
    )
    text = description or f"Emission factor {chosen.factor_id}: {chosen.citation}"
    return _finish(
        chosen.substance_id,
        chosen.medium,
        amount,
        "E",
        "emission factor",
        relative_uncertainty,
        text,
    )


def _scaling(factor: EmissionFactor, scaled_by: float | None) -> float:
    if factor.scaled_by and scaled_by is None:
        raise EstimationError(
            f"Factor {factor.factor_id} is multiplied by {factor.scaled_by}; pass its "
            f"value as scaled_by= (for sulfur_wt_pct, 2.5 for 2.5 % sulphur)."
        )
    if not factor.scaled_by and scaled_by is not None:
        raise EstimationError(f"Factor {factor.factor_id} takes no scaled_by value.")
    return 1.0 if scaled_by is None else float(scaled_by)


@functools.cache
def _release_per_activity(
    factor_unit: str, factor_activity_unit: str, activity_unit: str, reporting_unit: str
) -> float:
    """How many reporting units one factor unit times one activity unit is."""
    units = registry()
    activity = units.Quantity(1.0, parse_unit(activity_unit))
    try:
        in_factor_terms = activity.to(parse_unit(factor_activity_unit))
        release = in_factor_terms * units.Quantity(1.0, parse_unit(factor_unit))
        return float(release.to(parse_unit(reporting_unit)).magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"An activity in {activity_unit!r} cannot be used with a factor in "
            f"{factor_unit!r} per {factor_activity_unit!r}; give the activity in "
            f"{factor_activity_unit} or a unit of the same kind."
        ) from None


def _release_per_unit(factor: EmissionFactor, activity_unit: str) -> float:
    """The release, in reporting units, of one ``activity_unit`` of activity."""
    return factor.value * _release_per_activity(
        factor.unit,
        factor.activity_unit,
        activity_unit,
        find(factor.substance_id).reporting_unit,
    )


def estimate_with_factors(
    activities: pd.DataFrame,
    *,
    relative_uncertainty: float | None = None,
) -> pd.DataFrame:
    """Apply emission factors to a table of activity rows, all at once.

    Args:
        activities: one row per activity with the columns ``factor_id``, ``activity``
            (a number) and ``activity_unit``; optionally ``scaled_by`` (needed for
            factors that name a variable), ``control_efficiency`` (0 to 1) and
            ``relative_uncertainty``. Other columns are kept.
        relative_uncertainty: used for every row when the table has no such column.

    Returns:
        The table with ``substance_id``, ``medium``, ``release``, ``unit``, ``method``
        (always E), ``low`` and ``high`` added, in the same row order.

    Raises:
        EstimationError: naming the first rows with an unknown factor, a missing
            ``scaled_by`` or a bad control efficiency.
        UnitError: if an activity unit does not fit its factor.
    """
    missing = {"factor_id", "activity", "activity_unit"} - set(activities.columns)
    if missing:
        raise EstimationError(
            f"The activity table lacks the columns {sorted(missing)}."
        )
    if relative_uncertainty is None and "relative_uncertainty" not in activities:
        raise EstimationError(
            "Give relative_uncertainty, or a relative_uncertainty column in the table."
        )

    # Strings are turned into small integer codes once; every per-row step after that is
    # array arithmetic, and units are converted once per (factor, unit) pair.
    factor_codes, factor_ids = pd.factorize(activities["factor_id"], sort=False)
    unit_codes, activity_units = pd.factorize(activities["activity_unit"], sort=False)
    known = emission_factors()
    unknown = [factor_id for factor_id in factor_ids if factor_id not in known]
    if unknown:
        rows = np.flatnonzero(activities["factor_id"].isin(unknown).to_numpy())[:5]
        raise EstimationError(
            f"Unknown factor_id in rows {rows.tolist()}: {sorted(unknown)[:5]}. "
            "See datasets/emission_factors.csv."
        )
    if (unit_codes < 0).any() or (factor_codes < 0).any():
        rows = np.flatnonzero((unit_codes < 0) | (factor_codes < 0))[:5]
        raise EstimationError(
            f"Rows {rows.tolist()} lack a factor_id or activity_unit."
        )

    factors = [known[factor_id] for factor_id in factor_ids]
    chosen = {
        name: np.array([getattr(factor, name) for factor in factors], dtype=object)[
            factor_codes
        ]
        for name in ("substance_id", "medium", "scaled_by")
    }
    chosen["unit"] = np.array(
        [find(factor.substance_id).reporting_unit for factor in factors], dtype=object
    )[factor_codes]

    # One unit conversion for each (factor, activity unit) pair that occurs.
    width = len(activity_units)
    pairs, pair_index = np.unique(
        factor_codes * width + unit_codes, return_inverse=True
    )
    per_pair = np.array(
        [
            _release_per_unit(factors[pair // width], activity_units[pair % width])
            for pair in pairs
        ]
    )

    scaling = _scaling_column(activities, chosen)
    control = (
        activities["control_efficiency"].to_numpy(dtype=float)
        if "control_efficiency" in activities
        else np.zeros(len(activities))
    )
    if ((control < 0) | (control > 1)).any():
        rows = np.flatnonzero((control < 0) | (control > 1))[:5]
        raise EstimationError(
            f"control_efficiency outside 0 to 1 in rows {rows.tolist()}."
        )
    uncertainty = (
        activities["relative_uncertainty"].to_numpy(dtype=float)
        if relative_uncertainty is None
        else np.full(len(activities), float(relative_uncertainty))
    )

    release = (
        activities["activity"].to_numpy(dtype=float)
        * per_pair[pair_index]
        * scaling
        * (1 - control)
    )
    result = activities.copy()
    result["substance_id"] = chosen["substance_id"]
    result["medium"] = chosen["medium"]
    result["release"] = release
    result["unit"] = chosen["unit"]
    result["method"] = "E"
    result["low"] = np.maximum(0.0, release * (1 - uncertainty))
    result["high"] = release * (1 + uncertainty)
    return result


def _scaling_column(
    activities: pd.DataFrame, chosen: dict[str, np.ndarray]
) -> np.ndarray:
    needs = chosen["scaled_by"] != ""
    if "scaled_by" in activities:
        given = activities["scaled_by"].to_numpy(dtype=float)
    else:
        given = np.full(len(activities), np.nan)
    lacking = needs & np.isnan(given)
    if lacking.any():
        rows = np.flatnonzero(lacking)[:5]
        raise EstimationError(
            f"Rows {rows.tolist()} use factors multiplied by a variable (such as "
            "sulfur_wt_pct) but give no scaled_by value."
        )
    return np.where(needs, given, 1.0)
