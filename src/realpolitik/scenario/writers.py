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


register_writer("ktab-csv", ("ktab-csv",), to_ktab_csv)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], content: bytes) -> None:
    """Write ``content`` to ``path`` so that the file is either complete or untouched."""
    path = Path(path)
    if path.exists() and not path.resolve().is_file():
        # a device or pipe (/dev/stdout, a fifo): write through, never replace it
        if path.is_dir():
            raise ScenarioError("is a directory, expected a file name", str(path))
        with open(path, "wb") as fh:
            fh.write(content)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        # (the existing file's mode when replacing one, else 0666 less the umask)
        os.fchmod(fd, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
