"""Estimation over a million activity rows: vectorised against a plain per-row loop.

Both sides compute the same releases from the same table in one run; the script checks
that they agree before it reports the ratio of their times.

    python benchmarks/estimation_benchmark.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from prtr.estimation import emission_factor, emission_factors, estimate_with_factors

RESULTS = Path(__file__).resolve().parent / "results"


def activity_table(rows: int, seed: int = 2026) -> pd.DataFrame:
    """Random activity rows over every factor of the data package, in mixed units."""
    generator = np.random.default_rng(seed)
    factors = emission_factors()
    units_for = {"kgal": ["kgal", "m^3", "L"], "TJ": ["TJ", "GJ"], "MMBtu": ["MMBtu"]}
    factor_ids = generator.choice(sorted(factors), size=rows)
    activity_units = [
        units_for.get(
            factors[factor_id].activity_unit, [factors[factor_id].activity_unit]
        )
        for factor_id in factor_ids
    ]
    picks = generator.integers(0, 3, size=rows)
    return pd.DataFrame(
        {
            "factor_id": factor_ids,
            "activity": generator.uniform(1, 1_000, size=rows),
            "activity_unit": [
                units[pick % len(units)]
                for units, pick in zip(activity_units, picks, strict=True)
            ],
            "scaled_by": generator.uniform(0.5, 3.5, size=rows),
        }
    )


def per_row_loop(activities: pd.DataFrame) -> np.ndarray:
    """The straightforward way: one call to emission_factor per row."""
    factors = emission_factors()
    releases = np.empty(len(activities))
    for index, row in enumerate(activities.itertuples(index=False)):
        factor = factors[row.factor_id]
        releases[index] = emission_factor(
            factor,
            (row.activity, row.activity_unit),
            scaled_by=row.scaled_by if factor.scaled_by else None,
            relative_uncertainty=0.3,
        ).value
    return releases


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    arguments = parser.parse_args()

    activities = activity_table(arguments.rows)
    emission_factors()  # load the data package outside the timings

    start = time.perf_counter()
    vectorised = estimate_with_factors(activities, relative_uncertainty=0.3)
    vectorised_seconds = time.perf_counter() - start

    start = time.perf_counter()
    looped = per_row_loop(activities)
    loop_seconds = time.perf_counter() - start

    if not np.allclose(vectorised["release"].to_numpy(), looped, rtol=1e-12):
        raise SystemExit("The vectorised and the per-row results differ.")
    result = {
        "rows": arguments.rows,
        "vectorised_seconds": vectorised_seconds,
        "loop_seconds": loop_seconds,
        "speed_up": loop_seconds / vectorised_seconds,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "estimation.json").write_text(json.dumps(result, indent=2))
    print(
        f"{arguments.rows:,} activity rows: vectorised {vectorised_seconds:.2f} s, "
        f"per-row loop {loop_seconds:.1f} s: {result['speed_up']:,.0f} times faster"
    )
    return result


if __name__ == "__main__":
    main()
