"""Origin safety and request bounds for the workbench, as one ASGI middleware.

* **Host allow-list** (DNS rebinding): a request whose ``Host`` is not the bound address,
  a loopback name or a configured host is refused (400) before any route runs, so a page
  on ``evil.example`` that resolves to 127.0.0.1 reads nothing.
* **Same origin for writes** (cross-site request forgery): every state-changing request
  (POST, PUT, PATCH, DELETE) that carries an ``Origin`` must come from this server's own
  origin, and ``Sec-Fetch-Site`` (sent by every current browser) must not say
  ``cross-site`` or ``same-site``; ``Origin: null`` is refused.  Browsers send ``Origin``
  on every cross-origin POST, ``no-cors`` included; scripts (curl, Python) send none and
  are not a cross-site threat.
* **Headers** on every response: a Content-Security-Policy that allows only this origin
  (scripts from files, no inline script; ``frame-ancestors 'none'``), ``X-Frame-Options:
  DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
* **Bodies** are counted as they stream in (413 past the limit, chunked uploads
  included); a JSON body nested deeper than the scenario caps is one 422 line before
  anything parses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from realpolitik.scenario.limits import MAX_DEPTH, json_depth

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
       "object-src 'none'")  # fmt: skip
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def host_names(bound: str | None, extra: Iterable[str] = ()) -> set[str]:
    """Host names the server answers to: loopback names, the bound address, the configured ones."""
    names = {h.lower() for h in LOOPBACK}
    if bound and bound not in ("0.0.0.0", "::"):
        names.add(bound.lower().strip("[]"))
    names.update(h.lower().strip().strip("[]") for h in extra if h.strip())
    return names


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1: host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SecurityMiddleware:
    def __init__(self, app, allowed_hosts: set[str], max_body: int):
        self.app = app
        self.allowed = allowed_hosts
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        host = headers.get("host", "")
        if _hostname(host) not in self.allowed:
            return await _refuse(send, 400, f"unknown Host {host[:80]!r}: the workbench answers only to "
                                 f"{', '.join(sorted(self.allowed))} (serve --allow-host adds names)", "Host")  # fmt: skip
        method = scope.get("method", "GET")
        if method in UNSAFE:
            origin = headers.get("origin")
            fetch_site = headers.get("sec-fetch-site", "")
            scheme = scope.get("scheme", "http")
            if origin is not None and origin != f"{scheme}://{host}":
                return await _refuse(send, 403, f"cross-origin request refused (Origin {origin[:80]!r})", "Origin")
            if fetch_site in ("cross-site", "same-site"):
                return await _refuse(send, 403, f"cross-site request refused (Sec-Fetch-Site: {fetch_site})", "Origin")
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body:
                return await _refuse(send, 413, f"upload too large: the limit is {self.max_body / 1048576:.1f} MB", "file")
            if "application/json" in headers.get("content-type", ""):
                body, err = await _read_body(receive, self.max_body)
                if err:
                    return await _refuse(send, 413, f"upload too large: the limit is {self.max_body / 1048576:.1f} MB", "file")
                if json_depth(body) > MAX_DEPTH:
                    return await _refuse(send, 422, f"data is nested more than {MAX_DEPTH} levels deep; a scenario needs about 8",
                                         "body")  # fmt: skip
                receive = _replay(body, receive)
            else:
                receive = _counting(receive, self.max_body)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in HEADERS if k not in have]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except _TooLarge:
            await _refuse(send, 413, f"upload too large: the limit is {self.max_body / 1048576:.1f} MB", "file")


class _TooLarge(Exception):
    pass


async def _read_body(receive, limit: int) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return b"".join(chunks), False


def _replay(body: bytes, original):
    """The body read already, then the connection's own messages (a disconnect when it comes)."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


def _counting(receive, limit: int):
    size = 0

    async def counted():
        nonlocal size
        msg = await receive()
        if msg["type"] == "http.request":
            size += len(msg.get("body", b""))
            if size > limit:
                raise _TooLarge()
        return msg

    return counted


async def _refuse(send, status: int, detail: str, location: str) -> None:
    body = json.dumps({"detail": detail, "problems": [{"location": location, "message": detail}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())] + HEADERS})
    await send({"type": "http.response.body", "body": body})
