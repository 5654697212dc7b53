"""The workbench against hostile input and long jobs, on a real server (issue 16).

A ``realpolitik serve`` process on loopback: every hostile file of tests/hostile.py ends
in a 4xx within seconds while /healthz keeps answering in well under a second; other
origins and unknown Host names are refused; ids of 2**63 and deep JSON are 4xx; a job
is watched through server-sent events and cancelled; the time budget stops a job; the
queue is bounded; SIGTERM stops the server within 5 s with its jobs recorded as cancelled.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import hostile as H
from webserver import EXE, start_server, stop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("hard") / "runs.sqlite"
    proc, base = start_server(db, "--workers", "1", "--queue", "1", "--job-timeout", "6", "--parse-timeout", "5")
    try:
        yield base, db
    finally:
        stop(proc)


HOSTILE = {
    "dimension.xlsx": H.xlsx_huge_dimension,
    "far-cell.xlsx": H.xlsx_far_cell,
    "zip-bomb.xlsx": H.xlsx_zip_bomb,
    "huge-cell.xlsx": H.xlsx_huge_cell,
    "long-cell.xlsx": H.xlsx_long_cell,
    "actors.csv": H.csv_many_actors,
    "alias-bomb.yaml": H.yaml_alias_bomb,
    "extensions-bomb.yaml": lambda: H.yaml_alias_bomb(under_extensions=True),
    "deep.json": H.json_deep,
}


def measure_upload(base: str, name: str, raw: bytes) -> tuple[httpx.Response, float, float]:
    """Upload ``raw`` while a second client polls /healthz; (response, upload seconds, slowest /healthz)."""
    out: dict = {}

    def upload():
        t0 = time.perf_counter()
        out["r"] = httpx.post(base + "/api/scenarios", files={"file": (name, raw)}, timeout=60)
        out["t"] = time.perf_counter() - t0

    th = threading.Thread(target=upload)
    th.start()
    worst = 0.0
    with httpx.Client(timeout=5) as c:
        while th.is_alive():
            t0 = time.perf_counter()
            assert c.get(base + "/healthz").status_code == 200
            worst = max(worst, time.perf_counter() - t0)
            time.sleep(0.05)
    th.join()
    return out["r"], out["t"], worst


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_upload_is_a_4xx_within_seconds_while_healthz_answers(server, name):
    base, _ = server
    r, seconds, worst = measure_upload(base, name, HOSTILE[name]())
    print(f"\n{name}: {r.status_code} in {seconds:.2f} s; slowest /healthz meanwhile {worst * 1000:.0f} ms")
    assert 400 <= r.status_code < 500, r.text[:300]
    body = r.json()
    assert body["problems"] and "Traceback" not in r.text
    assert seconds < 5.0
    assert worst < 1.0
    lib = httpx.get(base + "/api/scenarios").json()["library"]
    assert all(e["name"] != name for e in lib)  # nothing stored


def test_unicode_file_name_is_kept(server):
    base, _ = server
    from realpolitik.scenario import load_scenario
    from realpolitik.scenario.writers import to_yaml

    r = httpx.post(base + "/api/scenarios", files={"file": ("Переговоры 2024 – ü.yaml", to_yaml(load_scenario("ec-emissions")))})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "Переговоры 2024 – ü.yaml"


def test_other_origins_and_hosts_are_refused(server):
    base, _ = server
    body = {"model": "weighted-mean", "scenario": "builtin:ec-emissions"}
    assert httpx.post(base + "/api/runs", json=body, headers={"Origin": "http://evil.example"}).status_code == 403
    assert httpx.post(base + "/api/runs", json=body, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert httpx.post(base + "/api/runs", json=body, headers={"Origin": "null"}).status_code == 403
    # a page elsewhere posting a form (no-cors multipart) into the library
    r = httpx.post(base + "/api/scenarios", files={"file": ("x.csv", b"Actor,Capability,Position,Salience\nA,1,2,3\nB,1,5,3\n")},
                   headers={"Origin": "https://evil.example", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert r.status_code == 403
    # DNS rebinding: a name that resolves here but is not ours reads nothing
    r = httpx.get(base + "/api/runs", headers={"Host": "evil.example"})
    assert r.status_code == 400 and "unknown Host" in r.json()["detail"]
    # the same origin may write
    same = base.replace("http://", "")
    assert httpx.post(base + "/api/runs", json=body, headers={"Origin": base, "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert httpx.get(base + "/", headers={"Host": f"localhost:{same.split(':')[1]}"}).status_code == 200


def test_security_headers_and_local_assets(server):
    base, _ = server
    for path in ("/", "/workbench", "/api/docs", "/runs", "/healthz", "/api/models"):
        h = httpx.get(base + path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"] and "script-src 'self'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
    docs = httpx.get(base + "/api/docs").text
    import re

    for src in re.findall(r'(?:src|href)="([^"]+)"', docs):
        assert src.startswith("/"), src
        assert httpx.get(base + src).status_code == 200
    assert "<script>" not in docs


def test_big_ids_and_deep_json_are_4xx(server):
    base, _ = server
    for path in (f"/api/runs/{2**63}", f"/api/runs/{2**64}/result.json", f"/api/runs/diff?a={2**63}&b=1",
                 f"/runs/{2**63}", f"/api/scenarios/lib:{10**12 - 1}"):  # fmt: skip
        r = httpx.get(base + path)
        assert 400 <= r.status_code < 500, (path, r.status_code)
    r = httpx.post(base + "/api/runs", json={"model": "weighted-mean", "seed": 2**64})
    assert r.status_code == 422
    deep = b'{"model": "weighted-mean", "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    r = httpx.post(base + "/api/runs", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested" in r.json()["detail"]
    r = httpx.delete(base + f"/api/library/{2**63}")
    assert r.status_code == 422


def _events(base: str, job_id: str, until) -> list[tuple[str, dict]]:
    seen = []
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", timeout=30) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                seen.append((event, json.loads(line[6:])))
                if until(seen):
                    break
    return seen


def test_a_job_is_watched_and_cancelled(server):
    base, db = server
    runs_before = len(httpx.get(base + "/api/runs").json())
    job = httpx.post(base + "/api/jobs", json={"kind": "run", "model": "expected-utility", "draws": 50_000, "spread": 0.1, "seed": 1})
    assert job.status_code == 202, job.text
    jid = job.json()["id"]
    # /healthz answers while the job runs
    t0 = time.perf_counter()
    assert httpx.get(base + "/healthz").status_code == 200 and time.perf_counter() - t0 < 1.0
    seen = _events(base, jid, lambda s: s[-1][1]["progress"]["done"] > 0)
    assert seen[-1][0] == "progress" and seen[-1][1]["state"] == "running"
    assert 0 < seen[-1][1]["progress"]["fraction"] < 1
    t0 = time.perf_counter()
    r = httpx.post(f"{base}/api/jobs/{jid}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert time.perf_counter() - t0 < 2.0
    end = _events(base, jid, lambda s: s[-1][0] == "end")
    assert end[-1][1]["state"] == "cancelled"
    hist = {j["id"]: j for j in httpx.get(base + "/api/jobs/history").json()}
    assert hist[jid]["state"] == "cancelled" and hist[jid]["run_ids"] == []
    assert len(httpx.get(base + "/api/runs").json()) == runs_before  # nothing half-stored
    # the worker was replaced: the next job runs
    r = httpx.post(base + "/api/runs", json={"model": "weighted-mean", "scenario": "builtin:ec-emissions"})
    assert r.status_code == 200 and r.json()["run_id"]


def test_time_budget_and_bounded_queue(server):
    base, _ = server
    long = {"kind": "run", "model": "expected-utility", "draws": 100_000, "spread": 0.1, "seed": 2}
    a = httpx.post(base + "/api/jobs", json=long).json()
    b = httpx.post(base + "/api/jobs", json=long).json()  # waits (one worker, one place in the queue)
    c = httpx.post(base + "/api/jobs", json=long)
    assert c.status_code == 429 and "waiting" in c.json()["detail"]
    httpx.post(f"{base}/api/jobs/{b['id']}/cancel")
    end = _events(base, a["id"], lambda s: s[-1][0] == "end")
    assert end[-1][1]["state"] == "timeout" and "time budget of 6 s" in end[-1][1]["message"]
    assert end[-1][1]["elapsed"] < 10


def _budgeted_run(draws: int, memory_mb: int, cache: Path) -> dict:
    """``tasks.execute`` of an expected-utility Monte Carlo in a fresh process under a memory
    budget, with numba's cache in ``cache``."""
    code = ("import json,sys; from realpolitik.web import tasks; from realpolitik.scenario import load_scenario;"
            "d=load_scenario(None).to_data();"
            f"print(json.dumps(tasks.execute('run', {{'model': 'expected-utility', 'data': d, 'draws': {draws},"
            f" 'spread': 0.1, 'seed': 1}}, None, {memory_mb})))")  # fmt: skip
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0 and out.stdout.strip(), f"the worker died (exit {out.returncode}): {out.stderr[-2000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_memory_budget_is_a_job_failure_not_a_crash(tmp_path):
    from realpolitik.web import tasks

    # an empty numba cache: the job's first call compiles the kernels; under the cap that
    # compile once aborted the worker inside LLVM with nothing printed (CI), or ended as a
    # MemoryError charged to the job.  numba compiles off the budget (tasks._CompilingOffBudget)
    small = _budgeted_run(200, 40, tmp_path)
    assert small["ok"] is True and small["results"][0]["details"]["draws"] == 200
    # the kernels now load from the cache: a job that needs more than its budget fails as data
    res = _budgeted_run(20000, 16, tmp_path)
    assert res["ok"] is False and "memory budget of 16 MB" in res["detail"]
    assert tasks.execute("run", {"model": "nope", "data": {}}, None, None)["status"] in (422, 500)


def test_sigterm_stops_within_5_seconds_and_records_cancelled_jobs(tmp_path):
    db = tmp_path / "runs.sqlite"
    proc, base = start_server(db)
    try:
        jid = httpx.post(base + "/api/jobs", json={"kind": "run", "model": "expected-utility", "draws": 100_000, "spread": 0.1}).json()["id"]
        stream = threading.Thread(target=lambda: _events(base, jid, lambda s: False), daemon=True)
        stream.start()  # an open event stream must not hold the shutdown
        time.sleep(1.5)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        took = time.perf_counter() - t0
    finally:
        stop(proc)
    print(f"\nSIGTERM to exit: {took:.2f} s")
    assert took < 5.0
    con = sqlite3.connect(db)
    assert con.execute("select state, message from jobs where id = ?", (jid,)).fetchone()[0] == "cancelled"
    assert con.execute("select count(*) from runs").fetchone()[0] == 0


def test_empty_host_does_not_bind_every_interface():
    r = subprocess.run([str(EXE), "serve", "--host", "", "--port", "1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "every interface" in r.stderr


def test_parse_budget_cuts_a_slow_upload(tmp_path, monkeypatch):
    """The wall-clock budget: a parse that runs past it is stopped and answered with a 4xx."""
    import asyncio

    from realpolitik.web import tasks
    from realpolitik.web.jobs import JobManager, JobSettings

    async def go():
        jm = JobManager(JobSettings(parse_budget=0.5))
        jm.start()
        try:
            t0 = time.perf_counter()
            big = ("actors:\n" + "".join(f"  - {{id: a{i}, capability: 1, positions: {{x: 1}}, saliences: {{x: 1}}}}\n"
                                         for i in range(12_000))).encode()  # fmt: skip
            out = await jm.parse(big, "slow.yaml")
            return out, time.perf_counter() - t0
        finally:
            jm.shutdown()

    out, took = asyncio.run(go())
    assert out["ok"] is False and out["status"] == 422
    assert "longer than 0.5 s" in out["detail"] or "actors" in json.dumps(out)
    assert took < 4.0
    assert os.environ.get("RP_NEVER_SET") is None and tasks is not None


def test_compiled_cores_are_loaded_before_a_jobs_memory_budget():
    """Every compiled Monte Carlo core (and numba's LLVM library) is mapped by the preload, so no
    job under a memory budget has to map a shared library under the cap."""
    code = ("import sys; from realpolitik.web import tasks; tasks._preload();"
            "print(all(m in sys.modules for m in ('numba', 'realpolitik.models.exchange_batch',"
            " 'realpolitik.models.expected_utility_batch', 'realpolitik.models.smp.kernels',"
            " 'realpolitik.models._numpy_loops', 'realpolitik.models.expected_utility_fused',"
            " 'realpolitik.models.war.record_kernel')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr


def test_an_allocation_failing_inside_a_c_extension_counts_against_the_budget(monkeypatch):
    """numba compiling a kernel under the cap fails with SystemError, not MemoryError: under a memory
    budget that is the budget's doing (422, said so); without one, or for any other error, it is a bug (500)."""
    from realpolitik.web import tasks

    def system_error(payload, rep):
        try:
            raise MemoryError
        except MemoryError:
            raise SystemError("allocation failed") from None

    def bug(payload, rep):
        raise ValueError("a bug")

    monkeypatch.setitem(tasks.TASKS, "system-error", system_error)
    monkeypatch.setitem(tasks.TASKS, "bug", bug)
    res = tasks.execute("system-error", {}, None, 4096)
    assert res["status"] == 422 and "memory budget of 4096 MB" in res["detail"]
    assert tasks.execute("system-error", {}, None, None)["status"] == 500
    assert tasks.execute("bug", {}, None, 4096)["status"] == 500
