"""Every example in README.md and docs/*.md runs (issue 15): the docs cannot drift from the code.

Each fenced block is one of:

* ``sh``/``bash``: a shell example, run with ``bash -e`` in a temporary folder per document
  (blocks of one document run in order, sharing the folder and a fresh run history), with
  the installed ``realpolitik`` first on PATH and ``../shared`` reachable as in the clone;
  it must exit 0 and print no traceback;
* ``python``: run in-process in the same folder, blocks of one document sharing a namespace;
* ``yaml``/``json``/``csv``: data, written to a file when a directive names one;
* no language: output or a layout, never run - and a block without a language may not hold
  a ``realpolitik`` command line (that would be an example nobody runs).

A directive in an HTML comment right above a block says more (each is visible in the source):

* ``<!-- docs-test: file NAME -->`` writes the block to NAME before the next blocks run
  (e.g. the README's YAML example becomes ``my-scenario.yaml`` for ``validate``);
* ``<!-- docs-test: with NAME=PATH ... -->`` copies files of the repository (``tests/data``) into
  the folder as NAME before the block runs (the data an example names, e.g. ``data.csv``);
* ``<!-- docs-test: run-by tests/FILE.py::TEST -->`` the block is run by that test (which must
  exist), e.g. the backtests whose printed tables other tests compare with the docs;
* ``<!-- docs-test: shape-of COMMAND -->`` a JSON block shows the shape of what COMMAND prints:
  the same keys at every level (a ``"..."`` key stands for keys not shown; lists compare
  their first items), so the README's keys match the output;
* ``<!-- docs-test: skip REASON -->`` the block cannot run here (``serve`` runs until stopped;
  DEU III cannot be shipped); used sparingly, each with its reason.

The README's ``ledger-example`` marker is a run-by of ``tests/test_ledger.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHARED = ROOT.parent / "shared"
FENCE = re.compile(r"(?:<!--\s*(?P<kind>docs-test|ledger-example):\s*(?P<arg>.*?)\s*-->\s*\n)?"
                   r"^```(?P<lang>[A-Za-z0-9_-]*)[^\n]*\n(?P<body>.*?)^```\s*$", re.M | re.S)  # fmt: skip
SHELL = ("sh", "bash", "shell")
DATA = ("yaml", "yml", "json", "csv")


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    body: str
    directive: str  # "" | "file NAME" | "run-by TEST" | "skip REASON"

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        directive = ""
        if m.group("kind") == "ledger-example":
            directive = "run-by tests/test_ledger.py::test_readme_ledger_example_runs"
        elif m.group("kind"):
            directive = m.group("arg")
        line = text.count("\n", 0, m.start("lang")) + 1
        out.append(Block(path.relative_to(ROOT).as_posix(), line, m.group("lang").lower(), m.group("body"), directive))
    return out


ALL = {p.relative_to(ROOT).as_posix(): blocks(p) for p in DOCS}


def _commands(body: str) -> list[str]:
    return [ln.strip() for ln in body.splitlines() if re.match(r"\s*(\$\s*)?realpolitik\s", ln)]


# ------------------------------------------------------------------ the rules of the docs
def test_every_example_is_run_or_says_why_not():
    """A command in a block without a language would never run; directives must be known."""
    problems = []
    for blist in ALL.values():
        for b in blist:
            if not b.lang and _commands(b.body):
                problems.append(f"{b.where}: a realpolitik command in a block without a language ({_commands(b.body)[0]!r})")
            verb = b.directive.split(" ", 1)[0] if b.directive else ""
            if verb == "with":
                for pair in b.directive.split()[1:]:
                    name, _, src = pair.partition("=")
                    if not name or not ((ROOT / src).is_file() or src.startswith("../shared/")):
                        problems.append(f"{b.where}: with {pair}: no such file in the repository")
            if verb not in ("", "file", "run-by", "skip", "shape-of", "with"):
                problems.append(f"{b.where}: unknown directive {b.directive!r}")
            if verb == "skip" and len(b.directive.split()) < 3:
                problems.append(f"{b.where}: a skipped block must say why")
            if verb == "run-by":
                target = b.directive.split(" ", 1)[1]
                file, _, test = target.partition("::")
                src = ROOT / file
                if not src.is_file() or f"def {test}(" not in src.read_text(encoding="utf-8"):
                    problems.append(f"{b.where}: run-by names no existing test ({target})")
    assert not problems, "\n".join(problems)


def test_skips_are_few():
    skipped = [b.where for bl in ALL.values() for b in bl if b.directive.startswith("skip")]
    runnable = [b for bl in ALL.values() for b in bl if b.lang in SHELL + ("python",)]
    assert len(skipped) <= max(3, len(runnable) // 10), skipped


# ------------------------------------------------------------------ running them
@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A folder per document, ``../shared`` beside it (as in the clone), a fresh run history."""
    work = tmp_path / "work"
    work.mkdir()
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "REALPOLITIK_DB": f"sqlite:///{tmp_path / 'runs.sqlite'}",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "COLUMNS": "80",
        "MPLBACKEND": "Agg",
        "PYTHONWARNINGS": "ignore",
    }
    for k in ("REALPOLITIK_DB", "HOME", "XDG_DATA_HOME", "MPLBACKEND"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.chdir(work)
    return work, env


def same_shape(doc, out, path: str = "") -> list[str]:
    """Where the JSON ``out`` differs in keys from the documented ``doc``."""
    if isinstance(doc, dict):
        if not isinstance(out, dict):
            return [f"{path or '.'}: documented an object, got {type(out).__name__}"]
        shown = set(doc) - {"..."}
        problems = [f"{path}.{k}: documented but not in the output" for k in sorted(shown - set(out))]
        if "..." not in doc:
            problems += [f"{path}.{k}: in the output but not documented" for k in sorted(set(out) - shown)]
        for k in sorted(shown & set(out)):
            problems += same_shape(doc[k], out[k], f"{path}.{k}")
        return problems
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        if not isinstance(out, list) or not out:
            return [f"{path}: documented a list of objects, got {out!r:.40}"]
        return same_shape(doc[0], out[0], f"{path}[0]")
    return []


def run_block(b: Block, work: Path, env: dict[str, str], namespace: dict) -> None:
    import json

    verb, _, arg = b.directive.partition(" ")
    if verb in ("skip", "run-by", "file"):
        return  # files are written before a document's blocks run
    if verb == "with":
        import shutil

        for pair in arg.split():
            name, _, src = pair.partition("=")
            shutil.copyfile(ROOT / src, work / name)
    if verb == "shape-of":
        proc = subprocess.run(["bash", "-e", "-c", arg], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{b.where}: {arg} failed\n{proc.stderr[-2000:]}"
        problems = same_shape(json.loads(b.body), json.loads(proc.stdout))
        assert not problems, f"{b.where}: the documented JSON differs from what `{arg}` prints:\n" + "\n".join(problems)
        return
    if b.lang in SHELL:
        proc = subprocess.run(["bash", "-e", "-c", b.body], cwd=work, env=env, capture_output=True, text=True,
                              timeout=900)  # fmt: skip
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, (
            f"{b.where}: the example failed (exit {proc.returncode})\n{b.body}\n--- stderr\n{proc.stderr[-3000:]}")
    elif b.lang == "python":
        try:
            exec(compile(b.body, b.where, "exec"), namespace)  # noqa: S102 - the docs' own examples
        except Exception as exc:  # noqa: BLE001 - report which example failed
            pytest.fail(f"{b.where}: the Python example raised {type(exc).__name__}: {exc}\n{b.body}")


@pytest.mark.slow
@pytest.mark.parametrize("doc", list(ALL))
def test_examples_of_the_document_run(doc, sandbox):
    work, env = sandbox
    namespace: dict = {"__name__": "__docs__"}
    todo = [b for b in ALL[doc] if b.lang in SHELL + ("python",) or b.directive.startswith(("file", "shape-of"))]
    if not todo:
        pytest.skip(f"{doc} has no examples")
    if not SHARED.is_dir() and any("../shared" in b.body for b in todo):
        if os.environ.get("CI"):
            pytest.fail(f"{doc} reads ../shared, which is missing")
        pytest.skip(f"{doc} reads ../shared, which is missing")
    for b in todo:  # data files first: an example may use a file shown further down
        if b.directive.startswith("file "):
            (work / b.directive.split(" ", 1)[1]).write_text(b.body, encoding="utf-8")
    for b in todo:
        run_block(b, work, env, namespace)
    if doc == "README.md":  # what the tour writes in a clone is git-ignored (inputs the reader brings are not)
        given = {b.directive.split(" ", 1)[1] for b in todo if b.directive.startswith("file ")}
        tops = {p.relative_to(work).parts[0] for p in work.rglob("*") if p.is_file()} - given
        written = sorted(t + "/" if (work / t).is_dir() else t for t in tops)
        assert written, "the README's tour wrote no file"
        proc = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "--no-index", "--verbose", "--non-matching",
                               *written], capture_output=True, text=True)  # fmt: skip
        kept = [ln.split("\t")[-1] for ln in proc.stdout.splitlines() if ln.startswith("::")]
        assert not kept, f"the README's tour leaves files git does not ignore: {kept}"


SERVE_TEST = "run-by tests/test_docs_examples.py::test_the_serve_examples_start_the_workbench"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_serve_examples_start_the_workbench(tmp_path):
    """``realpolitik serve`` runs until it is stopped, so the docs' serve lines run here: each as
    written but on a free port and a fresh history, until the workbench answers on 127.0.0.1;
    then it is stopped (SIGTERM) and must end cleanly."""
    import shlex
    import signal
    import time
    import urllib.request

    lines = [c for bl in ALL.values() for b in bl if b.directive == SERVE_TEST for c in _commands(b.body)]
    assert lines, "no serve example in the docs"
    exe = Path(sys.executable).with_name("realpolitik")
    for line in lines:
        args = shlex.split(line, comments=True)
        assert args[:2] == ["realpolitik", "serve"], line
        port = _free_port()
        if "--port" in args:
            args[args.index("--port") + 1] = str(port)
        else:
            args += ["--port", str(port)]
        if "--db" not in args:
            args += ["--db", f"sqlite:///{tmp_path / f'runs-{port}.sqlite'}"]
        proc = subprocess.Popen([str(exe), *args[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=tmp_path)  # fmt: skip
        try:
            deadline = time.time() + 90
            while True:
                try:
                    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                    break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        pytest.fail(f"{line!r} did not start: {proc.stderr.read().decode()[-2000:]}")
                    time.sleep(0.3)
            assert b"realpolitik" in page.lower(), line
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        assert code in (0, -signal.SIGTERM), f"{line!r} ended with {code}: {proc.stderr.read().decode()[-2000:]}"
