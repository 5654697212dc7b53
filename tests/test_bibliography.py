"""Docstrings cite sources by the keys of docs/bibliography.md and name only files that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "realpolitik"
KEY = re.compile(r"\[([A-Za-z][A-Za-z0-9]+)\]")
#: a repository file named in a docstring: docs/..., tests/..., benchmarks/...
FILE = re.compile(r"\b((?:docs|tests|benchmarks)/[A-Za-z0-9_./-]+\.(?:md|py|csv|txt|yaml))")


def _docstrings():
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    yield path.relative_to(ROOT), getattr(node, "name", "<module>"), doc, type(node)


def _bibliography() -> set[str]:
    text = (ROOT / "docs" / "bibliography.md").read_text(encoding="utf-8")
    return set(re.findall(r"\*\*\[([A-Za-z0-9]+)\]\*\*", text))


def test_every_cited_key_is_in_the_bibliography():
    known = _bibliography()
    used: set[str] = set()
    for path, name, doc, kind in _docstrings():
        if "References" not in doc:
            continue
        refs = doc.split("References", 1)[1]
        for key in KEY.findall(refs):
            if key in ("V", "K", "D"):  # the war layer's honesty labels
                continue
            assert key in known, f"{path} {name}: [{key}] is not in docs/bibliography.md"
            used.add(key)
    assert used, "no docstring cites a key"


def test_module_and_class_references_start_with_a_key():
    for path, name, doc, kind in _docstrings():
        if kind not in (ast.Module, ast.ClassDef) or "\nReferences\n----------\n" not in doc:
            continue
        section = doc.split("\nReferences\n----------\n", 1)[1].split("\n\n", 1)[0]
        first = section.strip().splitlines()[0] if section.strip() else ""
        assert first.startswith("["), f"{path} {name}: the first reference has no key: {first!r}"


def test_no_docstring_names_a_file_that_does_not_exist():
    for path, name, doc, kind in _docstrings():
        for ref in FILE.findall(doc):
            assert (ROOT / ref).exists(), f"{path} {name} names {ref}, which does not exist"
        assert "../shared/" not in doc.replace("../shared/anchors/cases", ""), f"{path} {name} points into ../shared"
