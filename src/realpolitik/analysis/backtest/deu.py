"""DEU III loader: the EU's controversial legislative issues as one-issue scenarios with outcomes.

The DEU III data set (Arregui & Perarnaud 2021, doi:10.34810/data53) is a
semicolon-separated file with one row per controversial issue: identifiers (``isnr``
issue, ``prnr`` proposal, ``prname``, ``proc`` procedure, ``intro`` / ``finact`` dates
``DD-MM-YY``), the reference point ``rp``, the decision outcome ``out``, and for every
actor ``<code>`` a position ``p<code>`` and a salience ``s<code>`` on 0-100 (codes:
``com`` the Commission, ``ep`` the European Parliament, two-letter member-state codes).
``999`` or a blank cell means missing.  We cannot ship the file; ``realpolitik backtest
deu FILE`` reads a copy the user downloaded.

The file has no capability column.  The proxy (docs/DECISIONS.md, "Backtests"):
member states get their Council voting weight under the Treaty of Nice (qualified
majority weights of the EU-28, 3 for Malta to 29 for the four largest states); the
Commission and the Parliament each get ``institution_weight`` (default 29, the weight
of the largest member state; 0 leaves them out).  An actor with a position but no
salience gets salience 50 (the scale's midpoint) and is counted in the load report.

Each usable row becomes a :class:`~realpolitik.analysis.backtest.cases.Case` with one
issue (id ``issue``) on 0-100 whose status quo is ``rp`` (when given), so the same
harness and leaderboard as ``backtest cases`` apply.

References
----------
[Arregui2021] Arregui, J. & Perarnaud, C. (2021). A new dataset on legislative decision-making in
the European Union: the DEU III dataset. *Journal of European Public Policy* 29(1);
data doi:10.34810/data53.
[Thomson2006] Thomson, R., Stokman, F. N., Achen, C. H. & König, T. (eds.) (2006). *The European
Union Decides*. Cambridge UP (the compromise model; mean absolute error about 23 on
0-100 on DEU III's 351 issues, as documented in docs/backtests.md).
[Nice2001] Council Decision of the Treaty of Nice, Art. 205(2) TEC as amended by the Acts of
Accession 2003, 2005 and 2012 (the weighted votes used as capabilities).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from realpolitik.analysis.backtest.cases import Case, Outcome
from realpolitik.errors import Problem, ScenarioError

#: Council votes under the Treaty of Nice (EU-28, total 352), by DEU III actor code.
NICE_WEIGHTS: dict[str, int] = {
    "de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "ro": 14, "nl": 13,
    "be": 12, "cz": 12, "el": 12, "hu": 12, "pt": 12, "at": 10, "bu": 10, "se": 10,
    "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cr": 7, "cy": 4, "ee": 4, "lv": 4,
    "lu": 4, "si": 4, "mt": 3,
}  # fmt: skip
INSTITUTIONS = ("com", "ep")
NAMES: dict[str, str] = {
    "com": "European Commission", "ep": "European Parliament", "at": "Austria", "be": "Belgium",
    "bu": "Bulgaria", "cr": "Croatia", "cy": "Cyprus", "cz": "Czech Republic", "dk": "Denmark",
    "ee": "Estonia", "fi": "Finland", "fr": "France", "de": "Germany", "el": "Greece", "hu": "Hungary",
    "ie": "Ireland", "it": "Italy", "lv": "Latvia", "lt": "Lithuania", "lu": "Luxembourg", "mt": "Malta",
    "nl": "Netherlands", "pl": "Poland", "pt": "Portugal", "ro": "Romania", "si": "Slovenia",
    "sk": "Slovakia", "es": "Spain", "se": "Sweden", "uk": "United Kingdom",
}  # fmt: skip
MISSING = {"", "999", "999.0", "."}
REQUIRED = ("out",)
DEFAULT_INSTITUTION_WEIGHT = 29.0
DEFAULT_SALIENCE = 50.0


@dataclass
class DeuLoad:
    """The cases read from a DEU III file and what was left out, with reasons."""

    path: str
    sha256: str
    rows: int
    cases: list[Case]
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> issue ids
    default_salience: int = 0  # actor-issue pairs given salience 50
    actors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "file": self.path,
            "sha256": self.sha256,
            "rows": self.rows,
            "issues_used": len(self.cases),
            "skipped": {k: len(v) for k, v in self.skipped.items()},
            "default_salience_pairs": self.default_salience,
            "actors": self.actors,
        }


def _value(cell: str, where: str, problems: list[Problem]) -> float | None:
    text = (cell or "").strip().replace(",", ".")
    if text in MISSING:
        return None
    try:
        v = float(text)
    except ValueError:
        problems.append(Problem(where, f"{cell.strip()!r} is not a number (999 or blank = missing)"))
        return None
    if not math.isfinite(v):
        problems.append(Problem(where, f"{cell.strip()!r} is not a finite number"))
        return None
    if v == 999:
        return None
    if not 0 <= v <= 100:
        problems.append(Problem(where, f"{v:g} lies outside the DEU scale 0-100 (999 or blank = missing)"))
        return None
    return v


def _date(text: str) -> dt.date | None:
    parts = (text or "").strip().split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    d, m, y = (int(p) for p in parts)
    y = y + (1900 if y >= 90 else 2000) if y < 100 else y
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_deu(raw: bytes, name: str, institution_weight: float = DEFAULT_INSTITUTION_WEIGHT) -> DeuLoad:
    """Read DEU III content (semicolon-separated); ScenarioError listing every bad cell."""
    from pydantic import ValidationError

    from realpolitik.scenario.model import Scenario

    if not (math.isfinite(institution_weight) and institution_weight >= 0):
        raise ScenarioError(f"institution weight must be >= 0, got {institution_weight!r}", "--institution-weight")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    if not text.strip():
        raise ScenarioError("file is empty", name)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = [h.strip().lower() for h in rows[0]]
    if len(header) < 3:
        raise ScenarioError(
            "expected a semicolon-separated DEU III header (isnr;...;rp;out;p<code>;s<code>...), "
            f"found {len(header)} column(s)",
            f"{name}:1",
        )
    col = {h: i for i, h in enumerate(header)}
    problems = [Problem(f"{name}:1", f"missing column {c!r}") for c in REQUIRED if c not in col]
    codes = [h[1:] for h in header if h.startswith("p") and len(h) > 1 and ("s" + h[1:]) in col and h[1:] in NAMES]
    codes += [
        h[1:] for h in header
        if h.startswith("p") and len(h) > 1 and ("s" + h[1:]) in col and h[1:] not in NAMES and h not in ("prnr", "prname", "proc")
    ]  # fmt: skip
    if not codes:
        problems.append(Problem(f"{name}:1", "no actor columns: expected pairs p<code> and s<code> (e.g. pcom;scom)"))
    if problems:
        raise ScenarioError(problems)
    cases: list[Case] = []
    skipped: dict[str, list[str]] = {}
    n_default = 0
    for r, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = lambda key: row[col[key]] if key in col and col[key] < len(row) else ""  # noqa: E731
        where = lambda key: f"{name}:{r}:{key}"  # noqa: E731
        iid = cell("isnr").strip() or f"row{r}"
        out = _value(cell("out"), where("out"), problems)
        rp = _value(cell("rp"), where("rp"), problems) if "rp" in col else None
        actors = []
        for code in codes:
            p = _value(cell("p" + code), where("p" + code), problems)
            s = _value(cell("s" + code), where("s" + code), problems)
            if p is None:
                continue
            if code in INSTITUTIONS:
                cap = institution_weight
            else:
                cap = float(NICE_WEIGHTS.get(code, 0))
            if cap <= 0:
                continue
            if s is None:
                s = DEFAULT_SALIENCE
                n_default += 1
            actors.append({
                "id": code, "name": NAMES.get(code, code), "capability": cap,
                "positions": {"issue": p}, "saliences": {"issue": s},
            })  # fmt: skip
        if out is None:
            skipped.setdefault("no outcome", []).append(iid)
            continue
        if len(actors) < 2:
            skipped.setdefault("fewer than two actors with a position", []).append(iid)
            continue
        title = f"DEU III issue {iid}" + (f": {cell('prname').strip()}" if cell("prname").strip() else "")
        data = {
            "title": title[:300],
            "description": f"proposal {cell('prnr').strip()}, procedure {cell('proc').strip()}".strip(),
            "issues": [{"id": "issue", "label": "DEU policy scale", "min": 0, "max": 100,
                        **({"status_quo": rp} if rp is not None else {})}],
            "actors": actors,
        }  # fmt: skip
        try:
            scen = Scenario.model_validate(data)
        except ValidationError as exc:
            problems.append(Problem(f"{name}:{r}", f"issue {iid}: {exc.errors(include_url=False)[0].get('msg')}"))
            continue
        date = _date(cell("finact")) or _date(cell("intro"))
        cases.append(
            Case(
                f"deu-{iid}",
                scen,
                [Outcome(f"deu-{iid}", name, "issue", out, date, "DEU III (Arregui & Perarnaud 2021), column out",
                         "the decision outcome as coded by DEU III", False)],
            )
        )  # fmt: skip
    if problems:
        raise ScenarioError(problems[:50] + ([Problem(name, f"... and {len(problems) - 50} more")] if len(problems) > 50 else []))
    return DeuLoad(name, hashlib.sha256(raw).hexdigest(), len(rows) - 1, cases, skipped, n_default, codes)


def load_deu(path: str | Path, institution_weight: float = DEFAULT_INSTITUTION_WEIGHT) -> DeuLoad:
    """Read a DEU III file from disk (see :func:`parse_deu`)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", str(path)) from None
    return parse_deu(raw, str(path), institution_weight)
