"""How close a draft comes to a scenario coded by hand from the same text.

:func:`measure` matches the draft's actors and issues to the reference's and
reports what was found, the mean distance between matched positions (and
saliences), and the share of the draft's numbers that carry a quote found in the
text.  Matching is automatic and shown in the result, so it can be checked:

* actors by the words of their ids and names (``russia_public`` / "Russian public
  opinion" meets ``russian_public`` / "Russian public and patriotic opinion"),
  best pairs first, each used once;
* issues by what their scales say (the words of labels, descriptions and point
  labels), with the sentences the matched actors' positions quote as a tie-breaker -
  never by the ids the two happen to use.
"""

from __future__ import annotations

import math
import re
from typing import Any

_WORD = re.compile(r"[a-z]{4,}")
#: words that say nothing about who an actor is
_GENERIC = {"government", "leadership", "opinion", "state", "with", "from", "under", "their", "that", "this", "minister",
            "ministry", "office", "president", "administration", "allies"}


def _words(*texts: str) -> set[str]:
    out: set[str] = set()
    for t in texts:
        out |= set(_WORD.findall((t or "").lower().replace("_", " ")))
    stem = {w[:-1] if w.endswith("n") and w[:-1] + "n" == w and len(w) > 5 else w for w in out}  # russian ~ russia
    return (out | stem | {w[:6] for w in out}) - _GENERIC


def _greedy(scores: dict[tuple[str, str], float]) -> dict[str, str]:
    pairs = sorted(((v, a, b) for (a, b), v in scores.items() if v > 0), key=lambda t: (-t[0], t[1], t[2]))
    used_a: set[str] = set()
    used_b: set[str] = set()
    out = {}
    for _, a, b in pairs:
        if a not in used_a and b not in used_b:
            out[a] = b
            used_a.add(a)
            used_b.add(b)
    return out


def match_actors(draft, reference) -> dict[str, str]:
    scores = {}
    for a in draft.actors:
        wa = _words(a.id, a.name)
        for b in reference.actors:
            scores[(a.id, b.id)] = len(wa & _words(b.id, b.name))
    return _greedy(scores)


def _issue_words(issue) -> set[str]:
    return _words(issue.label, issue.description or "", *[p.label for p in issue.points])


def match_issues(draft, reference, actors: dict[str, str] | None = None) -> dict[str, str]:
    """Draft issue -> reference issue, by what the scales say and by the sentences they rest on.

    The score of a pair is the word overlap (Jaccard) of the two issues' labels,
    descriptions and scale-point labels, plus 0.01 for every draft position whose
    quote contains (or is contained in) the matched reference actor's quote for its
    position on that issue (a tie-breaker); the best pairs win.
    """
    am = actors if actors is not None else match_actors(draft, reference)
    scores: dict[tuple[str, str], float] = {}
    for i in draft.issues:
        wi = _issue_words(i)
        for j in reference.issues:
            wj = _issue_words(j)
            scores[(i.id, j.id)] = len(wi & wj) / max(1, len(wi | wj))
    for a in draft.actors:
        b = am.get(a.id)
        if b is None:
            continue
        ref_notes = [n for n in reference.actor(b).notes if n.field.startswith("position.") and n.quote]
        for n in a.notes:
            if not (n.field.startswith("position.") and n.quote):
                continue
            i = n.field.split(".", 1)[1]
            for r in ref_notes:
                if r.quote in n.quote or n.quote in r.quote:
                    j = r.field.split(".", 1)[1]
                    scores[(i, j)] = scores.get((i, j), 0.0) + 0.01
    return _greedy(scores)


def measure(draft, reference, quoted: int | None = None, placeholders: int | None = None,
            dropped: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Figures of a draft scenario against a reference scenario (both :class:`Scenario`)."""
    am = match_actors(draft, reference)
    im = match_issues(draft, reference, am)
    pairs = []
    for a in draft.actors:
        b = am.get(a.id)
        if b is None:
            continue
        rb = reference.actor(b)
        for i, x in a.positions.items():
            j = im.get(i)
            if j is None or j not in rb.positions:
                continue
            pairs.append({"actor": a.id, "reference_actor": b, "issue": i, "reference_issue": j,
                          "position": x, "reference_position": rb.positions[j], "salience": a.saliences[i],
                          "reference_salience": rb.saliences[j]})  # fmt: skip
    pos = [abs(p["position"] - p["reference_position"]) for p in pairs]
    sal = [abs(p["salience"] - p["reference_salience"]) for p in pairs]
    out: dict[str, Any] = {
        "actors_found": sorted(set(am.values())),
        "actors_missed": [b.id for b in reference.actors if b.id not in am.values()],
        "actors_extra": [a.id for a in draft.actors if a.id not in am],
        "actor_match": am,
        "issues_found": sorted(set(im.values())),
        "issues_missed": [i for i in reference.issue_ids if i not in im.values()],
        "issues_extra": [i for i in draft.issue_ids if i not in im],
        "issue_match": im,
        "pairs": pairs,
        "position_mean_distance": sum(pos) / len(pos) if pos else math.nan,
        "salience_mean_distance": sum(sal) / len(sal) if sal else math.nan,
        "reference_actors": len(reference.actors),
        "reference_issues": len(reference.issues),
    }
    if quoted is not None and placeholders is not None:
        total = quoted + placeholders
        out["numbers"] = total
        out["numbers_with_valid_quote"] = quoted
        out["share_with_valid_quote"] = quoted / total if total else math.nan
    if quoted is not None and dropped is not None:
        out["proposed_with_quote"] = quoted + dropped
        out["share_of_proposed_quotes_found"] = quoted / (quoted + dropped) if quoted + dropped else math.nan
    return out
