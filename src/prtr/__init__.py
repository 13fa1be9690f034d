"""Tools for a Pollutant Release and Transfer Register (PRTR).

The package is organised one concern per module:

- :mod:`prtr.datapackage` loads the open datasets and checks them against their schemas;
- :mod:`prtr.units` converts every quantity through pint;
- :mod:`prtr.substances` looks substances up by identifier, CAS number or name;
- :mod:`prtr.thresholds` decides whether a facility must report a substance;
- :mod:`prtr.estimation` holds the four estimation techniques;
- :mod:`prtr.teq` turns a congener profile into toxic equivalents.
"""

from prtr.errors import PrtrError

__all__ = ["PrtrError", "__version__"]

__version__ = "0.1.0"
