"""The layers of docs/architecture.md, checked: import-linter contracts in pyproject.toml.

A new upward import (a model importing the analysis layer, the scenario layer importing a
model, a loader importing another loader ...) fails here, naming the import and its line.
Imports inside functions count.  Alone: ``.venv/bin/lint-imports`` at the repository root.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["tool"]["importlinter"]["contracts"]


def test_contracts_cover_every_layer():
    ids = {c["id"] for c in _contracts()}
    assert {"layers", "loaders", "models"} <= ids
    layers = next(c for c in _contracts() if c["id"] == "layers")["layers"]
    named = {p.strip() for row in layers for p in row.replace(":", "|").split("|")}
    pkg = ROOT / "src" / "realpolitik"
    subpackages = {f"realpolitik.{d.name}" for d in pkg.iterdir() if (d / "__init__.py").is_file()}
    modules = {f"realpolitik.{f.stem}" for f in pkg.glob("*.py") if f.stem not in ("__init__", "__main__")}
    # every code folder and top-level module has its place in the layers
    assert (subpackages | modules) - named == set()


def test_import_contracts_hold(capsys):
    from importlinter.cli import lint_imports

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = lint_imports(no_cache=True, no_logo=True)
    finally:
        os.chdir(cwd)
    report = capsys.readouterr().out
    if code != 0:
        pytest.fail("import contracts broken:\n" + report[report.find("Broken contracts"):])
