"""Read scenario files: format detection, the generic checks, and the loader registry.

:func:`load_scenario` accepts ``None`` (the built-in default scenario), the name of
a built-in scenario, or a path.  Each format has a loader ``text/bytes -> (data,
locate, problems)`` registered with :func:`register_loader`; the builder does the
validation.  Loaders never compute anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from realpolitik.errors import Problem, ScenarioError
from realpolitik.scenario.build import Locator, build_scenario
from realpolitik.scenario.model import Scenario

MAX_BYTES = 50 * 1024 * 1024
DEFAULT_SCENARIO = "russia-ukraine-2024"

# loader(raw_bytes, display_name, **options) -> (data, locate, problems)
LoaderFn = Callable[..., tuple[dict[str, Any], Locator, list[Problem]]]


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    load: LoaderFn
    sniff: Callable[[bytes], bool] | None = None
    binary: bool = False
    description: str = ""


_FORMATS: dict[str, Format] = {}


def register_loader(fmt: Format) -> Format:
    _FORMATS[fmt.name] = fmt
    return fmt


def formats() -> dict[str, Format]:
    _ensure_loaders()
    return dict(_FORMATS)


def _ensure_loaders() -> None:
    # Importing the loader modules registers them.
    from realpolitik.scenario import loaders  # noqa: F401


# ------------------------------------------------------------------ built-ins
def builtin_names() -> list[str]:
    """Names of the scenarios shipped in ``realpolitik/scenarios/``."""
    root = resources.files("realpolitik") / "scenarios"
    names = []
    for entry in root.iterdir():
        name = entry.name
        if name.startswith(("_", ".")) or name.endswith(".md"):
            continue
        stem, _, ext = name.partition(".")
        if ext in ("yaml", "yml", "csv", "json", "xlsx", "xml", "txt"):
            names.append(stem)
    return sorted(set(names))


def builtin_path(name: str) -> Path | None:
    root = resources.files("realpolitik") / "scenarios"
    for entry in root.iterdir():
        if entry.name.partition(".")[0] == name and not entry.name.endswith(".md"):
            return Path(str(entry))
    return None


# ------------------------------------------------------------------ checks
def _looks_binary(raw: bytes) -> bool:
    head = raw[:8192]
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the 8 KiB boundary is not garbage
        if exc.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return True
            # text in a legacy encoding: control characters betray garbage
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(4, len(head) // 100)


def decode_text(raw: bytes, name: str) -> str:
    """Decode text as UTF-8 (BOM allowed), falling back to Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ScenarioError(f"cannot decode the file as text: {exc}", name) from None


def detect_format(raw: bytes, name: str, fmt: str | None = None) -> Format:
    _ensure_loaders()
    if fmt is not None:
        key = fmt.lower().lstrip(".")
        if key in _FORMATS:  # a format's name wins over another format's extension
            return _FORMATS[key]
        for f in _FORMATS.values():
            if key in f.extensions:
                return f
        raise ScenarioError(f"unknown format {fmt!r}: expected one of {', '.join(sorted(_FORMATS))}", name)
    ext = Path(name).suffix.lower().lstrip(".")
    candidates = [f for f in _FORMATS.values() if ext in f.extensions]
    # several formats share .csv/.txt: sniff the content
    for f in candidates:
        if f.sniff is not None and f.sniff(raw):
            return f
    plain = [f for f in candidates if f.sniff is None]
    if plain:
        return plain[0]
    if candidates:
        return candidates[-1]
    known = sorted({e for f in _FORMATS.values() for e in f.extensions})
    raise ScenarioError(
        f"unknown file type {('.' + ext) if ext else '(no extension)'}: expected one of "
        + ", ".join("." + e for e in known),
        name,
    )


# ------------------------------------------------------------------ entry points
def load_bytes(raw: bytes, name: str, fmt: str | None = None, **options: Any) -> Scenario:
    """Validate a scenario from raw file content; ``name`` is used in messages."""
    if len(raw) > MAX_BYTES:
        raise ScenarioError(
            f"file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB", name
        )
    if not raw.strip():
        raise ScenarioError("file is empty", name)
    f = detect_format(raw, name, fmt)
    if not f.binary and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 with a byte-order mark (Excel's "Unicode text" export): re-encode
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError("file starts like UTF-16 text but does not decode as UTF-16", name) from None
    if not f.binary and _looks_binary(raw):
        raise ScenarioError(f"file is not text (binary content); expected a {f.name} file", name)
    data, locate, problems = f.load(raw, name, **options)
    return build_scenario(data, locate, problems)


def load_scenario(source: str | os.PathLike[str] | None = None, fmt: str | None = None, **options: Any) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source
        ``None`` for the default scenario, the name of a built-in scenario
        (see :func:`builtin_names`), or a path to a file.
    fmt
        Force a format (``yaml``, ``csv``, ``ktab-csv``, ``decide``, ``xlsx``, ``json``);
        by default it is inferred from the extension and content.
    """
    if source is None:
        source = DEFAULT_SCENARIO
    text = str(source)
    path = Path(text)
    if not path.exists():
        builtin = builtin_path(text)
        if builtin is None:
            raise ScenarioError(
                f"no such file or built-in scenario (built-ins: {', '.join(builtin_names())})", text
            )
        path = builtin
        display = f"{text} (built-in)"
    else:
        display = text
    if path.is_dir():
        raise ScenarioError("is a directory, expected a scenario file", display)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError(f"file is {size / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB", display)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", display) from None
    # messages name the file as the user gave it, with the real extension for detection
    name = display if display == text else str(path.name)
    if display != text:
        name = f"{text}{path.suffix}"
    return load_bytes(raw, name, fmt, **options)
