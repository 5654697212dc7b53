"""The package version, read once from the installed package's metadata.

A leaf module: it imports nothing from realpolitik, so every layer may read the
version without importing the package's top (``realpolitik/__init__.py`` imports
the API, the models and the scenario layer).
"""

from importlib.metadata import PackageNotFoundError, version as _metadata_version

try:
    __version__ = _metadata_version("realpolitik")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
