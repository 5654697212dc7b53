"""The package version: the one place it is written (``pyproject.toml`` reads it from here).

A leaf module: it imports nothing, so every layer may read the version without importing
the package's top, and ``realpolitik --version`` does not pay for ``importlib.metadata``.
``tests/test_cli_polish.py`` checks that the installed metadata agrees.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
