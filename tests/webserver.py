"""A ``realpolitik serve`` process on loopback for tests that need a real server
(tests/test_web_hardening.py, tests/test_web_browser.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

EXE = Path(sys.executable).with_name("realpolitik")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    """Start the server with a run history at ``db``; return the process and its base URL once /healthz answers."""
    port = free_port()
    proc = subprocess.Popen([str(EXE), "serve", "--port", str(port), "--db", f"sqlite:///{db}", *flags],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
