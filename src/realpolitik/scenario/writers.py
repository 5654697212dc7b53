"""Write scenarios to files (the reverse of the loaders; used by ``realpolitik convert``).

Every writer returns bytes; :func:`write_scenario` writes them atomically.  A
target format that cannot hold some content (e.g. events in a flat CSV) raises a
:class:`ScenarioError` naming what would be lost, unless ``lossy=True``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from realpolitik.errors import ScenarioError
from realpolitik.scenario.model import Scenario

WriterFn = Callable[..., bytes]
_WRITERS: dict[str, tuple[tuple[str, ...], WriterFn]] = {}


def register_writer(name: str, extensions: tuple[str, ...], fn: WriterFn) -> None:
    _WRITERS[name] = (extensions, fn)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when available (~10x faster)
    pass


def _str_presenter(dumper, data: str):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def to_yaml(scenario: Scenario, **_: object) -> bytes:
    data = scenario.to_data()
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100).encode()


def to_json(scenario: Scenario, **_: object) -> bytes:
    return (json.dumps(scenario.to_data(), indent=2, ensure_ascii=False) + "\n").encode()


register_writer("yaml", ("yaml", "yml"), to_yaml)
register_writer("json", ("json",), to_json)


def to_decide(scenario: Scenario, **kw: object) -> bytes:
    """Decide ``#A/#P/#M/#D`` text (see :mod:`realpolitik.scenario.loaders.decide`)."""
    from realpolitik.scenario.loaders.decide import to_decide as _to_decide

    return _to_decide(scenario, **kw)


register_writer("decide", ("decide", "txt"), to_decide)


def to_csv(scenario: Scenario, **kw: object) -> bytes:
    """Flat long CSV with ``# key: value`` metadata (see :mod:`realpolitik.scenario.loaders.table`)."""
    from realpolitik.scenario.loaders.table import to_csv as _to_csv

    return _to_csv(scenario, **kw)


def to_xlsx(scenario: Scenario, **kw: object) -> bytes:
    """Whole-scenario Excel workbook (see :mod:`realpolitik.scenario.loaders.xlsx`)."""
    from realpolitik.scenario.loaders.xlsx import to_xlsx as _to_xlsx

    return _to_xlsx(scenario, **kw)


register_writer("csv", ("csv",), to_csv)
register_writer("xlsx", ("xlsx",), to_xlsx)


def to_ktab_csv(scenario: Scenario, **kw: object) -> bytes:
    """KTAB's SMP CSV (see :mod:`realpolitik.scenario.loaders.ktab`)."""
    from realpolitik.scenario.loaders.ktab import to_ktab_csv as _to_ktab_csv

    return _to_ktab_csv(scenario, **kw)


register_writer("ktab-csv", (), to_ktab_csv)  # no extension of its own: --to ktab-csv


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _cannot_write(path: Path, exc: OSError) -> ScenarioError:
    """One line for a file that cannot be written (the CLI prints it and exits 2)."""
    why = exc.strerror or str(exc)
    if isinstance(exc, (NotADirectoryError, FileExistsError)) or (exc.filename and Path(exc.filename) != path
                                                                   and Path(exc.filename).is_file()):  # fmt: skip
        why = f"{why}: a part of the path is a file, not a folder"
    return ScenarioError(f"cannot write the file: {why}", str(path))


def atomic_write(path: str | os.PathLike[str], content: bytes) -> None:
    """Write ``content`` to ``path`` so that the file is either complete or untouched.

    A path that cannot be written (no such folder that can be made, no permission, a
    folder in the way, a full disk) raises :class:`ScenarioError` naming the path in one
    line; an existing file is left as it was.
    """
    atomic_write_many({Path(path): content})


def atomic_write_many(files: dict[Path, bytes]) -> None:
    """Write several files all or nothing: each is written to a temporary file beside it
    first, and only when every one is complete are they moved into place (a failure
    leaves every existing file intact and no new one)."""
    pending: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path = Path(path)
            try:
                if path.is_dir():
                    raise ScenarioError("is a folder, expected a file name", str(path))
                if path.exists() and not path.resolve().is_file():
                    # a device or pipe (/dev/stdout, a fifo): write through, never replace it
                    with open(path, "wb") as fh:
                        fh.write(content)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                pending.append((tmp, path))
                # mkstemp makes the file private (0600); give it the mode a plain open() would
                # (the existing file's mode when replacing one, else 0666 less the umask)
                os.fchmod(fd, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
                with os.fdopen(fd, "wb") as fh:
                    fh.write(content)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise _cannot_write(path, exc) from None
        for tmp, path in pending:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise _cannot_write(path, exc) from None
        pending = []
    finally:
        for tmp, _ in pending:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def writer_formats() -> dict[str, tuple[str, ...]]:
    """Every format a scenario can be written in, with the extensions that choose it."""
    return {name: exts for name, (exts, _) in _WRITERS.items()}


def render_scenario(scenario: Scenario, fmt: str, lossy: bool = False) -> bytes:
    key = fmt.lower().lstrip(".")
    for name, (exts, fn) in _WRITERS.items():
        if key == name or key in exts:
            return fn(scenario, lossy=lossy)
    raise ScenarioError(
        f"cannot write format {fmt!r}: expected one of {', '.join(sorted(_WRITERS))}", "convert"
    )


def write_scenario(scenario: Scenario, path: str | os.PathLike[str], fmt: str | None = None, lossy: bool = False) -> None:
    """Write a scenario; the format follows ``fmt`` or the file extension."""
    fmt = fmt or Path(path).suffix.lstrip(".")
    if not fmt:
        raise ScenarioError("the output has no extension; give --to FORMAT", str(path))
    atomic_write(path, render_scenario(scenario, fmt, lossy=lossy))
