"""Journey blocks and condition kinds, one module each, named after the kind's permanent slug.

Importing this package imports every module in it, and each block or condition class joins the registry
(engine.journey.registry) as it is defined. Adding a block: write `nodes/<slug>.py` (its config model, a BlockBase
subclass; its `run` step; its activities) and its test; nothing else lists it. Slugs (`type`, `kind`) never change:
stored journeys, plans and Temporal histories name them.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
    importlib.import_module(_module.name)
