"""Scenario file formats.  Importing this package registers every loader.

Each module registers a :class:`realpolitik.scenario.io.Format`.  A loader turns raw
bytes into ``(data, locate, problems)`` and never computes anything.
"""

import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")
