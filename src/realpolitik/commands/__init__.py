"""CLI command groups, one module per layer.

Each module does ``from realpolitik.cli import app`` and decorates its commands
with ``@app.command()``; this package imports every module so that they register.
Keep imports of heavy libraries inside the command functions (fast ``--help``).
"""

import importlib
import pkgutil

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_mod.name}")
