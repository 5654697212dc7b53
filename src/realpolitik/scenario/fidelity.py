"""What a target format would lose: read the written bytes back and compare.

A writer that cannot hold everything (a flat CSV has no events) calls
:func:`check_round_trip` unless it was asked to be lossy.  Reading the output back
with the format's own loader and comparing ``Scenario.to_data()`` is the honest
test: whatever differs is named, grouped into one line a person can act on.
"""

from __future__ import annotations

from typing import Any

from realpolitik.errors import Problem, ScenarioError


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _canonical_actor(a: dict[str, Any]) -> dict[str, Any]:
    # a per-issue capability equal to the actor's capability says nothing more
    cbi = {k: v for k, v in (a.get("capability_by_issue") or {}).items() if v != a.get("capability")}
    out = {k: v for k, v in a.items() if k != "capability_by_issue"}
    if cbi:
        out["capability_by_issue"] = cbi
    return out


def lost_content(original: dict[str, Any], back: dict[str, Any]) -> list[str]:
    """Human names of what differs between two ``Scenario.to_data()`` dicts."""
    lost: list[str] = []
    original = {**original, "actors": [_canonical_actor(a) for a in original.get("actors", [])]}
    back = {**back, "actors": [_canonical_actor(a) for a in back.get("actors", [])]}
    for key in original:
        if key in ("issues", "actors") or original.get(key) == back.get(key):
            continue
        value = original[key]
        if key in ("events", "sources", "uncertainty") and isinstance(value, list):
            lost.append(f"{key} ({len(value)})")
        elif key == "extensions" and isinstance(value, dict):
            lost.append(f"extensions ({', '.join(sorted(value))})")
        else:
            lost.append(key.replace("_", " "))
    for key in back:
        if key not in original and key not in ("issues", "actors"):
            lost.append(f"{key} (added)")
    o_issues = {i["id"]: i for i in original.get("issues", [])}
    b_issues = {i["id"]: i for i in back.get("issues", [])}
    per_issue: dict[str, list[str]] = {}
    for iid, oi in o_issues.items():
        bi = b_issues.get(iid)
        if bi is None:
            per_issue.setdefault("issues", []).append(iid)
            continue
        for f in sorted(set(oi) | set(bi)):
            if f != "id" and oi.get(f) != bi.get(f):
                per_issue.setdefault("labelled points" if f == "points" else f"issue {f.replace('_', ' ')}", []).append(iid)
    if [i["id"] for i in original.get("issues", [])] != [i["id"] for i in back.get("issues", [])] and "issues" not in per_issue:
        lost.append("issue order")
    for what, ids in per_issue.items():
        lost.append(f"{what} ({_count(len(ids), 'issue')}: {', '.join(ids[:3])}{' ...' if len(ids) > 3 else ''})")
    o_actors = {a["id"]: a for a in original.get("actors", [])}
    b_actors = {a["id"]: a for a in back.get("actors", [])}
    per_field: dict[str, list[str]] = {}
    for aid, oa in o_actors.items():
        ba = b_actors.get(aid)
        if ba is None:
            per_field.setdefault("actor ids", []).append(aid)
            continue
        for f in sorted(set(oa) | set(ba)):
            if f != "id" and oa.get(f) != ba.get(f):
                name = {"capability_by_issue": "per-issue capabilities", "name": "actor names"}.get(f, f)
                per_field.setdefault(name, []).append(aid)
    if not per_field and list(o_actors) != list(b_actors):
        lost.append("actor order")
    for what, ids in per_field.items():
        lost.append(f"{what} ({_count(len(ids), 'actor')}: {', '.join(ids[:3])}{' ...' if len(ids) > 3 else ''})")
    return lost


def check_round_trip(scenario, content: bytes, fmt: str) -> None:
    """Raise :class:`ScenarioError` naming what ``content`` (in ``fmt``) does not hold."""
    from realpolitik.scenario.io import load_bytes

    name = f"converted.{fmt}"
    try:
        back = load_bytes(content, name, fmt)
    except ScenarioError as exc:
        raise ScenarioError(
            Problem(
                "convert",
                f"the scenario cannot be written as {fmt} without loss ({exc.problems[0].message}); "
                "pass --lossy (lossy=True) to write it anyway",
            )
        ) from None
    lost = lost_content(scenario.to_data(), back.to_data())
    if lost:
        raise ScenarioError(
            Problem(
                "convert",
                f"{fmt} cannot hold: {'; '.join(lost)}; pass --lossy (lossy=True) to drop them",
            )
        )
