"""From a back-end's proposal to a validated draft scenario, keeping only quoted numbers.

:func:`assemble` checks every quote against the text
(:class:`~realpolitik.draft.quotes.QuoteIndex`): a number whose quote is not found
is dropped with its quote (and said so in ``dropped``); the quote kept is the
text's own wording.  Actors and issues need a quote found in the text too.  What
the scenario format requires but the text does not give - a capability, a salience
- becomes a *placeholder*: a neutral value (capability 50 for an actor without a
parent, an equal share of its parent's for a sub-actor; salience 50) with a note
that begins ``PLACEHOLDER`` and no quote, listed in ``placeholders``.  No probability of an outcome is ever written.

The result is validated by the scenario model (:func:`realpolitik.scenario.build.build_scenario`)
and rendered as YAML whose title starts with ``DRAFT`` and whose header and
``extensions.draft`` say it is a draft to review.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from realpolitik.draft.quotes import QuoteIndex, sentences
from realpolitik.draft.schema import Number, Proposal
from realpolitik.errors import Problem, ScenarioError

#: neutral values for what the text does not give (the analyst must set them)
PLACEHOLDER_CAPABILITY = 50.0
PLACEHOLDER_SALIENCE = 50.0
_ID = re.compile(r"[^A-Za-z0-9_]+")


def _id(text: str) -> str:
    out = _ID.sub("_", text.strip()).strip("_")[:80]
    return out if out and re.match(r"[A-Za-z0-9_]", out) else "x_" + out


@dataclass
class Draft:
    """A draft scenario and the account of how it was made."""

    scenario: Any  # realpolitik.scenario.model.Scenario
    backend: str
    source_name: str
    kept: list[dict[str, Any]] = field(default_factory=list)  # numbers kept: what, value, quote
    dropped: list[dict[str, Any]] = field(default_factory=list)  # what, value, quote, reason
    placeholders: list[str] = field(default_factory=list)
    left_for_analyst: list[str] = field(default_factory=list)

    @property
    def numbers(self) -> int:
        return len(self.kept) + len(self.placeholders)

    def quoted_share(self) -> float:
        """Share of the draft's numbers that carry a quote found in the text (placeholders count as not)."""
        return len(self.kept) / self.numbers if self.numbers else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "source": self.source_name,
            "actors": len(self.scenario.actors),
            "issues": len(self.scenario.issues),
            "events": len(self.scenario.events),
            "numbers_with_quote": len(self.kept),
            "placeholders": len(self.placeholders),
            "dropped": len(self.dropped),
            "quoted_share": self.quoted_share(),
        }

    def to_yaml(self) -> bytes:
        """The draft as YAML, with a header that says what it is."""
        from realpolitik.scenario.writers import to_yaml

        head = [
            "# =============================================================================",
            "#  DRAFT - proposed by `realpolitik draft`; review every number before use.",
            f"#  Source text: {self.source_name}",
            f"#  Back-end: {self.backend}",
            f"#  {len(self.kept)} numbers rest on a sentence of the text (quoted verbatim in the notes);",
            f"#  {len(self.placeholders)} are PLACEHOLDERS the analyst must set (notes say which);",
            f"#  {len(self.dropped)} proposed numbers were dropped: their quote is not in the text.",
            "#  The draft describes the situation; it holds no probability of any outcome.",
            "# =============================================================================",
        ]
        return ("\n".join(head) + "\n").encode() + to_yaml(self.scenario)


def _placeholder_capabilities(actors: list[dict[str, Any]], left: list[str]) -> None:
    """Fill the capabilities the text does not give, keeping the nested-actor rule.

    An actor without a parent gets :data:`PLACEHOLDER_CAPABILITY`.  A sub-actor's
    capability is a share of its parent's (docs/scenario-format.md): the part of the
    parent's capability its quoted sub-actors leave is split equally between the parent
    and its sub-actors without a quoted capability.  A parent link that cannot be kept
    (quoted sub-actors holding all of the parent's capability, or a cycle) is dropped
    and said so.
    """
    by_id = {a["id"]: a for a in actors}
    kids: dict[str, list[dict[str, Any]]] = {}
    for a in actors:
        if a.get("parent"):
            kids.setdefault(a["parent"], []).append(a)

    def fill(a: dict[str, Any], depth: int = 0) -> None:
        if depth > len(actors):  # a cycle of parents
            left.append(f"{a['id']}.parent: parent links form a cycle; link dropped")
            a.pop("parent", None)
        if a["capability"] is None:
            p = by_id.get(a.get("parent", ""))
            if p is None:
                a["capability"] = PLACEHOLDER_CAPABILITY
                text = f"no parent: {PLACEHOLDER_CAPABILITY:g}, as every actor without one"
            else:
                fill(p, depth + 1)
                quoted = sum(k["capability"] for k in kids[p["id"]] if k["capability"] is not None)
                open_ = [k for k in kids[p["id"]] if k["capability"] is None]
                a["capability"] = (p["capability"] - quoted) / (len(open_) + 1)
                text = (f"a sub-actor of {p['id']}: an equal share ({a['capability']:g}) of what {p['id']}'s "
                        "capability leaves")  # fmt: skip
            a["notes"].insert(0, {"field": "capability", "text": "PLACEHOLDER: the text gives no basis for a "
                                  f"capability; {text} - set it"})  # fmt: skip

    for a in actors:
        fill(a)
    for pid, ks in kids.items():
        p = by_id[pid]
        if sum(k["capability"] for k in ks) >= p["capability"] or any(k["capability"] <= 0 for k in ks):
            for k in ks:
                k.pop("parent", None)
                left.append(f"{k['id']}.parent: its capability and its siblings' reach {pid}'s; parent link dropped")


def assemble(proposal: Proposal, text: str, source_name: str, backend: str) -> Draft:
    """Check the proposal's quotes against ``text`` and build the draft scenario.

    Raises :class:`~realpolitik.errors.ScenarioError` (naming the source) when fewer
    than two actors or no issue survive: there is nothing to draft.
    """
    from realpolitik.scenario.build import build_scenario, simple_locator

    idx = QuoteIndex(text)
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    placeholders: list[str] = []
    left = list(proposal.left_for_analyst)

    def check(num: Number | None, what: str, lo: float, hi: float, open_low: bool = False) -> tuple[float, str] | None:
        if num is None:
            return None
        q = idx.find(num.quote)
        v = num.value
        if q is None:
            dropped.append({"what": what, "value": v, "quote": num.quote, "reason": "quote not found in the text"})
            return None
        if not (math.isfinite(v) and (lo < v if open_low else lo <= v) and v <= hi):
            dropped.append({"what": what, "value": v, "quote": q, "reason": f"value outside {lo:g} to {hi:g}"})
            return None
        kept.append({"what": what, "value": v, "quote": q, "rationale": num.rationale})
        return v, q

    # issues (0-100 scales) that have a quote in the text
    issues: dict[str, dict[str, Any]] = {}
    for ip in proposal.issues:
        iid = _id(ip.id)
        if iid in issues:
            continue
        q = idx.find(ip.quote)
        if q is None:
            dropped.append({"what": f"issue {iid}", "value": None, "quote": ip.quote, "reason": "quote not found in the text"})
            continue
        pts = sorted({p.value: p.label for p in ip.points}.items())
        issues[iid] = {"id": iid, "label": ip.label or iid, "min": 0, "max": 100,
                       "description": (ip.description + " " if ip.description else "") + f"Raised by: \"{q}\"",
                       "points": [{"value": v, "label": lbl} for v, lbl in pts]}  # fmt: skip
    actor_q: dict[str, tuple[Any, str]] = {}
    for ap in proposal.actors:
        aid = _id(ap.id)
        q = idx.find(ap.quote)
        if q is None:
            dropped.append({"what": f"actor {aid}", "value": None, "quote": ap.quote, "reason": "quote not found in the text"})
            continue
        actor_q.setdefault(aid, (ap, q))
    # stances
    positions: dict[str, dict[str, float]] = {}
    saliences: dict[str, dict[str, float]] = {}
    notes: dict[str, list[dict[str, Any]]] = {}
    for st in proposal.stances:
        aid, iid = _id(st.actor), _id(st.issue)
        if aid not in actor_q or iid not in issues or iid in positions.get(aid, {}):
            if aid not in actor_q or iid not in issues:
                dropped.append({"what": f"{aid}.position.{iid}", "value": st.position.value, "quote": st.position.quote,
                                "reason": "unknown actor or issue"})  # fmt: skip
            continue
        pos = check(st.position, f"{aid}.position.{iid}", 0, 100)
        if pos is None:
            continue
        positions.setdefault(aid, {})[iid] = pos[0]
        notes.setdefault(aid, []).append({"field": f"position.{iid}", "text": st.position.rationale or "proposed",
                                          "quote": pos[1], "source": "text"})  # fmt: skip
        sal = check(st.salience, f"{aid}.salience.{iid}", 0, 100)
        if sal is None:
            saliences.setdefault(aid, {})[iid] = PLACEHOLDER_SALIENCE
            placeholders.append(f"{aid}.salience.{iid}")
            notes[aid].append({"field": f"salience.{iid}", "text": "PLACEHOLDER: no sentence of the text gives this "
                               "salience; neutral 50 - set it"})  # fmt: skip
        else:
            saliences.setdefault(aid, {})[iid] = sal[0]
            notes[aid].append({"field": f"salience.{iid}", "text": st.salience.rationale or "proposed",
                               "quote": sal[1], "source": "text"})  # fmt: skip
    actors = []
    for aid, (ap, q) in actor_q.items():
        if aid not in positions:
            left.append(f"{aid}: no stance with a quote found in the text (not in the draft)")
            continue
        cap = check(ap.capability, f"{aid}.capability", 0, math.inf, open_low=True)
        a_notes = []
        if cap is None:
            capability = None  # a placeholder, set below once the parents are known
            placeholders.append(f"{aid}.capability")
        else:
            capability = cap[0]
            a_notes.append({"field": "capability", "text": ap.capability.rationale or "proposed", "quote": cap[1],
                            "source": "text"})  # fmt: skip
        actors.append({"id": aid, "name": ap.name or aid, "capability": capability, "positions": positions[aid],
                       "saliences": saliences[aid], "description": (ap.description + ". " if ap.description else "")
                       + f"Named in: \"{q}\"", "notes": a_notes + notes[aid],
                       **({"group": ap.group} if ap.group else {})})  # fmt: skip
    ids = {a["id"] for a in actors}
    for a in actors:  # a parent must be an actor of the draft
        parent = next((_id(p.parent) for p in proposal.actors if _id(p.id) == a["id"] and p.parent), None)
        if parent in ids and parent != a["id"]:
            a["parent"] = parent
    _placeholder_capabilities(actors, left)
    used = {i for a in actors for i in a["positions"]}
    for iid in list(issues):
        if iid not in used:
            left.append(f"issue {iid}: no actor has a quoted position on it (not in the draft)")
            del issues[iid]
    if len(actors) < 2 or not issues:
        raise ScenarioError([Problem(source_name, f"nothing to draft: the text yields {len(actors)} actor(s) with a "
                                     f"quoted stance on {len(issues)} issue(s); a scenario needs two actors and one "
                                     "issue")])  # fmt: skip
    events = []
    for ep in proposal.events:
        q = idx.find(ep.quote)
        if q is None:
            dropped.append({"what": f"event {ep.id}", "value": None, "quote": ep.quote, "reason": "quote not found in the text"})
            continue
        changes = []
        for ch in ep.changes:
            aid, iid = _id(ch.actor), (_id(ch.issue) if ch.issue else None)
            what = f"event {ep.id}: {aid}.{ch.field}" + (f".{iid}" if iid else "")
            if aid not in ids or ch.field not in ("position", "salience", "capability") or (
                ch.field != "capability" and (iid not in issues or iid not in positions.get(aid, {}))):
                dropped.append({"what": what, "value": ch.value.value, "quote": ch.value.quote,
                                "reason": "unknown actor, field or issue"})  # fmt: skip
                continue
            hi = math.inf if ch.field == "capability" else 100
            v = check(ch.value, what, 0, hi, open_low=ch.field == "capability")
            if v is not None:
                changes.append({"actor": aid, "field": ch.field, "value": v[0], **({"issue": iid} if iid else {})})
        events.append({"id": _id(ep.id), "round": ep.round, "quote": q,
                       "description": ep.description + " (draft: its changes rest on the quoted sentence)",
                       "changes": changes, "source": "text"})  # fmt: skip
    sents = sentences(text)
    title = proposal.title or source_name
    data = {
        "title": f"DRAFT - {title}",
        "as_of": None,
        "description": (f"DRAFT to be reviewed: proposed by realpolitik draft ({backend}) from {source_name} on "
                        f"{dt.date.today().isoformat()}. Every number carries the sentence of the text it rests on, "
                        "or says PLACEHOLDER; check each one, set the placeholders, and remove 'DRAFT' from the title "
                        "when done."),  # fmt: skip
        "sources": [{"id": "text", "title": source_name, "quote": sents[0] if sents else None}],
        "issues": list(issues.values()),
        "actors": actors,
        "events": events,
        "extensions": {"draft": {
            "status": "draft - review before use",
            "backend": backend,
            "source": source_name,
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "numbers_with_quote": len(kept),
            "placeholders": placeholders,
            "left_for_analyst": left,
            "dropped": [{k: v for k, v in d.items() if v is not None} for d in dropped],
        }},
    }
    data = {k: v for k, v in data.items() if v is not None}
    scen = build_scenario(data, simple_locator(f"draft of {source_name}"))
    return Draft(scen, backend, source_name, kept, dropped, placeholders, left)
