"""Hash chaining of ledger entries: canonical JSON, sha256, and the check of a chain.

Every entry is a JSON object holding ``seq`` (its place, from 1) and ``prev`` (the
previous entry's hash; the first entry's is :data:`GENESIS`).  Its stored text is the
canonical JSON of that object (keys sorted, no spaces, UTF-8, no NaN) and its hash is
``sha256:`` + the hex digest of that text.  Changing any byte of any entry - a
forecast's value, its timestamp, a resolution - changes its hash, which no longer
matches the ``prev`` of the entry after it, so :func:`first_break` finds the first
altered entry.

What a hash chain cannot see: the removal of the last entries, or a whole chain
rewritten from some entry on.  ``realpolitik ledger verify`` prints the head hash;
note it down (or publish it) and pass it back with ``--head`` to detect both.

References
----------
[Haber1991] Haber, S. & Stornetta, W. S. (1991). How to time-stamp a digital document.
*Journal of Cryptology* 3(2), 99-111 (linking each record to its predecessor's hash).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: the ``prev`` of the first entry
GENESIS = "sha256:" + "0" * 64


def canonical(obj: Any) -> str:
    """Canonical JSON text: sorted keys, no whitespace, UTF-8 characters kept, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(text: str) -> str:
    """``sha256:<hex>`` of the UTF-8 text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(entry: dict[str, Any], seq: int, prev: str) -> tuple[str, str]:
    """The canonical body of ``entry`` placed at ``seq`` after ``prev``, and its hash."""
    body = canonical({**entry, "seq": int(seq), "prev": prev})
    return body, digest(body)


@dataclass(frozen=True)
class Break:
    """The first place where a chain does not hold."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"ledger entry {self.seq}: {self.reason}"


def first_break(rows: Iterable[Any], columns: tuple[str, ...] = ("kind", "question_id", "model")) -> Break | None:
    """Check stored entries (objects with ``seq``, ``body``, ``prev_hash``, ``hash`` and the
    indexed ``columns``) in order; return the first broken link, or ``None``."""
    prev = GENESIS
    expected_seq = 1
    for row in rows:
        if row.seq != expected_seq:
            return Break(row.seq, f"expected entry {expected_seq} here: entries are missing or reordered")
        try:
            data = json.loads(row.body)
        except (TypeError, ValueError):
            return Break(row.seq, "the stored text is not JSON (it was edited)")
        if not isinstance(data, dict):
            return Break(row.seq, "the stored text is not a JSON object (it was edited)")
        if canonical(data) != row.body:
            return Break(row.seq, "the stored text is not in canonical form (it was edited)")
        if digest(row.body) != row.hash:
            return Break(row.seq, f"its content does not match its hash {row.hash[:19]}... (the entry was edited)")
        if data.get("seq") != row.seq:
            return Break(row.seq, f"its sealed sequence number is {data.get('seq')!r}")
        if data.get("prev") != prev or row.prev_hash != prev:
            return Break(row.seq, "it does not link to the hash of the entry before it (an earlier entry was "
                                  "changed, removed or inserted)")  # fmt: skip
        for col in columns:
            if data.get(col) != getattr(row, col):
                return Break(row.seq, f"its indexed column {col!r} ({getattr(row, col)!r}) differs from the sealed "
                                      f"value ({data.get(col)!r})")  # fmt: skip
        prev = row.hash
        expected_seq += 1
    return None
