"""The offline back-end: a deterministic extractor of actors, stances, hedges and quotes.

No model, no network, no randomness: the same text gives the same draft.  What it
does, sentence by sentence (:func:`realpolitik.draft.quotes.sentences`):

1. **Actors.** Named persons (a title such as "President" before a capitalised name,
   or a capitalised two- or three-word name that recurs by its last word), states,
   capitals used for their governments ("Washington", "the Kremlin") and
   international organisations from a small gazetteer (:data:`GAZETTEER`), and the
   domestic constituencies of a state ("the Russian public", "military officials",
   "politicians": :data:`ROLES`, with the nationality of the nearest national
   adjective).  People named only where the text reports a discussion or an
   interview are its commentators, not actors.  A state whose leader is named is
   folded into the leader (the leader decides for it), and constituencies get the
   leader as ``parent``.
2. **Issues.** A catalogue of the issues commentaries on wars and negotiations
   argue about (:data:`ISSUES`: the terms of a settlement, the course of military
   operations, a state's alignment, a power's posture toward partners elsewhere),
   each a 0-100 scale with labelled points.  An issue is proposed when at least two
   sentences carry its cue words.
3. **Stances.** A stance cue (:data:`ISSUES` ``cues``: a phrase placed at a point of
   the scale) gives a position to the actor that holds it: the actor named in a
   holder phrase ("in the eyes of X", "among X", "within X"), else the nearest actor
   named before the cue in the sentence (a pronoun stands for the last person
   named), or after it when none precedes.  "X rejects" a demand places X at the
   other end of the scale from it.  The salience comes from intensity words in the
   same sentence ("insisted", "fundamentally", "existential": 85), hedges ("may",
   "seems", "potentially": 40) or neither (60).  Each number keeps its sentence as
   the quote and names the cue as its rationale.
4. **Events.** A sentence reporting a development ("the failure of ...", "the fall
   of ...") that changed minds ("altered", "reinforcing", "hardened") becomes an
   event at round 1 whose changes are the stances that sentence states.

What the text cannot give - capabilities, and saliences or positions for which no
cue is found - is left for the analyst and listed.  The lexicons were written for
commentaries on wars and negotiations; on other subjects expect few issues.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from realpolitik.draft.quotes import sentences
from realpolitik.draft.schema import (
    ActorProposal, ChangeProposal, EventProposal, IssueProposal, Number, PointProposal, Proposal, StanceProposal,
)  # fmt: skip

# ---------------------------------------------------------------------- gazetteer
#: name or alias -> (actor id, display name, nationality key); capitals and seats of
#: government stand for the government (metonymy)
GAZETTEER: dict[str, tuple[str, str, str]] = {}
_STATES = {
    "russia": ("Russia", ["Russia", "Russian Federation", "Moscow", "Kremlin", "the Kremlin"], ["Russian"]),
    "ukraine": ("Ukraine", ["Ukraine", "Kyiv", "Kiev"], ["Ukrainian"]),
    "united_states": ("United States (Washington)", ["United States", "Washington", "the White House", "US", "U.S.",
                                                      "America", "the Pentagon"], ["American"]),
    "china": ("China (Beijing)", ["China", "Beijing"], ["Chinese"]),
    "israel": ("Israel", ["Israel", "Jerusalem"], ["Israeli"]),
    "iran": ("Iran", ["Iran", "Tehran"], ["Iranian"]),
    "syria": ("Syria", ["Syria", "Damascus"], ["Syrian"]),
    "turkey": ("Turkey (Ankara)", ["Turkey", "Türkiye", "Ankara"], ["Turkish"]),
    "germany": ("Germany (Berlin)", ["Germany", "Berlin"], ["German"]),
    "france": ("France (Paris)", ["France", "Paris", "the Elysee"], ["French"]),
    "united_kingdom": ("United Kingdom (London)", ["United Kingdom", "Britain", "London", "Downing Street"], ["British"]),
    "poland": ("Poland", ["Poland", "Warsaw"], ["Polish"]),
    "belarus": ("Belarus", ["Belarus", "Minsk"], ["Belarusian"]),
    "georgia": ("Georgia", ["Georgia", "Tbilisi"], ["Georgian"]),
    "india": ("India", ["India", "New Delhi"], ["Indian"]),
    "north_korea": ("North Korea", ["North Korea", "Pyongyang"], ["North Korean"]),
    "saudi_arabia": ("Saudi Arabia", ["Saudi Arabia", "Riyadh"], ["Saudi"]),
    "egypt": ("Egypt", ["Egypt", "Cairo"], ["Egyptian"]),
    "qatar": ("Qatar", ["Qatar", "Doha"], ["Qatari"]),
    "lebanon": ("Lebanon", ["Lebanon", "Beirut"], ["Lebanese"]),
    "hungary": ("Hungary", ["Hungary", "Budapest"], ["Hungarian"]),
    "taiwan": ("Taiwan", ["Taiwan", "Taipei"], ["Taiwanese"]),
    "japan": ("Japan", ["Japan", "Tokyo"], ["Japanese"]),
    "nato": ("NATO", ["NATO", "the Atlantic Alliance"], []),
    "european_union": ("European Union", ["European Union", "EU", "Brussels"], ["European"]),
    "united_nations": ("United Nations", ["United Nations", "UN", "Security Council"], []),
    "hamas": ("Hamas", ["Hamas"], []),
    "hezbollah": ("Hezbollah", ["Hezbollah"], []),
}
ADJECTIVES: dict[str, str] = {}
#: organisations: actors, but no nation a leader or a constituency belongs to
ORGANISATIONS = {"nato", "european_union", "united_nations", "hamas", "hezbollah"}
for _key, (_name, _aliases, _adjs) in _STATES.items():
    for _a in _aliases:
        GAZETTEER[_a] = (_key, _name, None if _key in ORGANISATIONS else _key)
    for _a in _adjs:
        ADJECTIVES[_a] = _key

#: words that open a name-like run but are no names
_STOP = set("""A An And As At But By For From He Her His However If In Its It On Or She So Such The Their There These
They This Those To Was Were What When Where Whether Which While Who Why With Yet Consequently Moreover Meanwhile
Should Although Despite After Before During Since Until Monday Tuesday Wednesday Thursday Friday Saturday Sunday
January February March April May June July August September October November December Western Eastern Northern
Southern""".split())
#: last words of names that are things, not people ("Victory Plan", "Minsk Accords", "Dnieper River")
_THINGS = set("""Plan Accords Accord Agreement Agreements Treaty River Sea Ocean Region Oblast Province Summit
Declaration Council Strait Bridge Line Doctrine Programme Program Initiative Corridor Deal""".split())
TITLES = ("President", "Prime Minister", "Chancellor", "King", "Queen", "General", "Foreign Minister",
          "Defence Minister", "Defense Minister", "Minister", "Secretary", "Senator", "Governor", "Ayatollah",
          "Supreme Leader", "Premier", "Emir", "Crown Prince", "Marshal", "Admiral", "Chairman")  # fmt: skip
_TITLE_WORDS = {w for t in TITLES for w in t.split()}
_MEDIA = re.compile(r"\b(discussion|featuring|moderated|interview|podcast|programme|program|episode|broadcast|"
                    r"hosted|panel|commentary by|wrote|writes|columnist|analyst)\b", re.I)  # fmt: skip

#: constituency nouns -> (role key, display)
ROLES: list[tuple[str, str, str]] = [
    (r"military officials|military leaders(?:hip)?|generals|armed forces|military(?= (?:and|officials|leaders))|"
     r"military(?= spheres?)|(?<=\bthe )military\b(?! (?:operations|engagement|strength|influence|challenges|"
     r"involvement|victory))", "military", "military leadership"),
    (r"politicians|political elites?|elites|civilian spheres?|civilian leadership|political class|lawmakers|"
     r"parliament", "elites", "political elites"),
    (r"public opinion|public\b(?! (?:sector|debt|health|services?|spending|finances?|support))|populace|patriots|"
     r"citizens|voters", "public", "public opinion"),
]


# ---------------------------------------------------------------------- issues
@dataclass(frozen=True)
class Cue:
    """A phrase that places its holder at ``value`` on an issue's 0-100 scale."""

    pattern: str
    value: float
    meaning: str
    #: "X's <cue>" names the holder ("Russia's hesitance"); False where X is the cue's agent ("NATO's encirclement")
    possessor_holds: bool = True


@dataclass(frozen=True)
class IssueTemplate:
    id: str
    label: str
    description: str
    topic: str  # regex: a sentence about the issue
    points: tuple[tuple[float, str], ...]
    cues: tuple[Cue, ...]


ISSUES: tuple[IssueTemplate, ...] = (
    IssueTemplate(
        "settlement", "Terms of a settlement",
        "Territory and statehood: what the attacked state keeps and whether it survives as an independent state.",
        r"negotiat|settlement|peace|agreements?\b|territor|borders|sovereign|independent (?:state|entity)|realities|"
        r"annex|reintegrat|ceasefire|independence",
        ((0, "The attacked state regains all its territory"), (25, "The attacker withdraws to the pre-war lines"),
         (50, "Armistice on the current front line"), (75, "The attacker keeps what it holds and gains more"),
         (100, "The attacked state ceases to exist as an independent state")),
        (Cue(r"eradicat\w*|ceases? to exist|eliminat\w* \w+ (?:as|status)|end \w+ as an? (?:independent )?state",
             95, "wants the other state gone as an independent state"),
         Cue(r"exist as a functional state[^.;]*insufficient|insufficient[^.;]*exist as a functional state", 90,
             "finds a functional state on the other side insufficient"),
         Cue(r"independen\w+ [^.;]{0,40}(?:poses?|posing) [^.;]{0,40}threat", 85,
             "sees the other state's independence as a threat"),
         Cue(r"reintegrat\w*|annex\w*", 70, "claims the territory taken"),
         Cue(r"existing realities|realities on the ground|recogni\w+ [^.;]{0,30}(?:gains|realities)", 60,
             "negotiates only on the territory held"),
         Cue(r"stabili[sz]\w* [^.;]{0,30}territor\w*|freez\w* [^.;]{0,20}(?:line|conflict)", 45,
             "would settle for holding the present line"),
         Cue(r"committed to dialog\w*|willing\w* to (?:engage in )?negotiat\w*", 50, "open to a negotiated deal"),
         Cue(r"salvage|restor\w* [^.;]{0,30}(?:borders|sovereignty|territor)|victory plan|full withdrawal", 5,
             "wants the attacked state whole")),
    ),
    IssueTemplate(
        "operations", "Course of military operations",
        "What the armed forces do next, from a ceasefire now to fighting until full victory.",
        r"military (?:engagement|operations|influence|strength|challenges|involvement)|offensive|escalat|"
        r"advance\w*|mobili[sz]|ceasefire|dialog",
        ((0, "Ceasefire now on the current lines"), (25, "Hold the lines, negotiate"),
         (50, "Continue the present operations"), (75, "Escalate: mobilise and widen the offensive"),
         (100, "Offensive until full military victory")),
        (Cue(r"full military victory|total victory|unconditional surrender", 100, "wants full military victory"),
         Cue(r"maintain military engagement|keep fighting|continue (?:the )?(?:war|fighting|offensive)", 65,
             "presses to keep fighting"),
         Cue(r"comprehensive resolution|push for more", 70, "pushes for a wider war aim"),
         Cue(r"missed opportunities to assert military|reluctan\w+ [^.;]{0,20}(?:escalat|assert)|unready", 40,
             "slow to escalate"),
         Cue(r"committed to dialog\w*|negotiated settlement|end the conflict", 25, "prefers talks to fighting"),
         Cue(r"ceasefire now|immediate ceasefire", 10, "wants the fighting stopped")),
    ),
    IssueTemplate(
        "alignment", "Alignment of the contested state",
        "Its security status after the war: from alliance membership to neutrality and disarmament.",
        r"NATO|alliance|membership|neutral\w*|demilitari[sz]\w*|encircle\w*|security guarantees|missile platform",
        ((0, "Full membership in the Western alliance (NATO)"), (25, "Security guarantees and arms short of membership"),
         (50, "No membership, but Western arms"), (75, "Permanent neutrality with limits on forces"),
         (100, "Neutral and demilitarised")),
        (Cue(r"only NATO membership|NATO membership|join\w* NATO|nuclear support", 0, "wants alliance membership"),
         Cue(r"security guarantees", 25, "wants security guarantees"),
         Cue(r"neutral\w*", 80, "wants neutrality"),
         Cue(r"demilitari[sz]\w*", 100, "wants the other state demilitarised"),
         Cue(r"encircle\w*", 90, "fears the alliance at its border", possessor_holds=False)),
    ),
    IssueTemplate(
        "regional_posture", "Posture toward partners in another region",
        "How far the power backs its partners elsewhere under pressure from their adversaries.",
        r"Syria|Iran|Israel|Middle East|project power|regional conflicts?|counterbalance|partners",
        ((0, "Disengage from the partners"), (25, "Minimal presence, accommodate the adversary"),
         (50, "Present posture"), (75, "Arm the partners"), (100, "Project force to deter attacks on partners")),
        (Cue(r"reluctance [^.;]{0,20}project power|hesitance|strategic pause|reduced support", 30,
             "reluctant to project power"),
         Cue(r"pressures? mounts? from|pressure from", 15, "presses the power to stand aside"),
         Cue(r"further military involvement|strong counterbalance|project power", 70, "wants a stronger posture")),
    ),
)

_STRONG = re.compile(r"\b(fundamental\w*|insist\w*|only|existential|vital|critical\w*|weigh\w* heavily|"
                     r"overwhelming|significant threat|stakes are high|core|paramount|must|rejects?)\b", re.I)  # fmt: skip
_HEDGE = re.compile(r"\b(may|might|could|possibly|seems?|appears?|potential\w*|perhaps|likely|wondering|"
                    r"questions?)\b", re.I)  # fmt: skip
_REJECT = re.compile(r"\b(?:a demand|which|that) (?P<who>[A-Z][\w.]*(?: [A-Z]\w+)?) (?:\w+ly )?(?:rejects?|refuses?)")
_EVENT = re.compile(r"\b(?:the )?(?P<what>failure|collapse|defeat|fall|invasion|incursion|attack|coup|election|"
                    r"assassination|withdrawal)\b[^.;]{0,40}\b(?:has |have |had )?(?:altered|reinforc\w*|harden\w*|"
                    r"shifted|changed|strengthen\w*|weaken\w*)", re.I)  # fmt: skip
_HOLDER = re.compile(r"\b(?:in the eyes of|among|within|according to)\s+(?:the\s+)?(?:[A-Z][\w-]+\s+)?$", re.I)
#: where a clause starts: the subject of a cue is looked for from here
_CLAUSE = re.compile(r";|, which\b|, while\b|, whereas\b|, a demand\b|\bwhether\b|\bor whether\b")
#: a contrast: cues after it state the actor's condition and outweigh those before
_CONTRAST = re.compile(r"\b(?:however|but|yet|contingent upon|only if|unless)\b", re.I)
#: "X's objectives to ...": X holds what follows
_INTENT = re.compile(r"^['\u2019]s\s+(?:\w+\s+){0,2}(?:objectives?|goals?|aims?|demands?|terms|plan|insistence|position|"
                     r"view|hesitance|reluctance|belief|fears?|commitments?|willingness)\b", re.I)  # fmt: skip
_PRONOUN = re.compile(r"\b(?:he|his|him|she|her)\b")


# ---------------------------------------------------------------------- mentions
@dataclass
class Entity:
    id: str
    name: str
    kind: str  # person, state, role
    nation: str | None = None
    aliases: set[str] = field(default_factory=set)
    sentences: list[int] = field(default_factory=list)
    parent: str | None = None


@dataclass(frozen=True)
class Mention:
    entity: str
    start: int
    end: int


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "x"


def _name_runs(sentence: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words (a name-like span), with their offsets."""
    out = []
    for m in re.finditer(r"\b[A-Z][a-z\u00e0-\u024f]+(?:[-\s][A-Z][a-z\u00e0-\u024f]+){0,2}", sentence):
        words = m.group(0).split()
        while words and (words[0] in _STOP or words[0] in _TITLE_WORDS):
            words = words[1:]
        if not words:
            continue
        text = " ".join(words)
        start = m.start() + m.group(0).index(words[0])
        out.append((start, start + len(text), text))
    return out


class Extractor:
    """One pass over a text; :meth:`proposal` returns what it found."""

    def __init__(self, text: str):
        self.text = text
        self.sents = sentences(text)
        self.entities: dict[str, Entity] = {}
        self.mentions: list[list[Mention]] = [[] for _ in self.sents]
        self.commentators: set[str] = set()
        self.left: list[str] = []

    # ------------------------------------------------------------------ actors
    def _entity(self, eid: str, name: str, kind: str, nation: str | None = None) -> Entity:
        e = self.entities.get(eid)
        if e is None:
            e = self.entities[eid] = Entity(eid, name, kind, nation)
        return e

    def find_people_and_states(self) -> None:
        persons: dict[str, str] = {}  # last name -> id
        for k, s in enumerate(self.sents):
            # gazetteer (longest aliases first)
            taken: list[tuple[int, int]] = []
            for alias in sorted(GAZETTEER, key=len, reverse=True):
                for m in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", s):
                    if any(a < m.end() and m.start() < b for a, b in taken):
                        continue
                    key, name, nation = GAZETTEER[alias]
                    self._entity(key, name, "state" if nation else "organisation", nation)
                    self.mentions[k].append(Mention(key, m.start(), m.end()))
                    taken.append((m.start(), m.end()))
            # titled persons: "President Vladimir Putin"
            for title in TITLES:
                for m in re.finditer(rf"\b{title}\s+((?:[A-Z][a-z\u00e0-\u024f]+\s?){{1,3}})", s):
                    name = m.group(1).strip()
                    last = name.split()[-1]
                    pid = persons.setdefault(last, _slug(last))
                    e = self._entity(pid, name, "person")
                    if len(name) > len(e.name):
                        e.name = name
                    e.aliases.update({name, last})
        # untitled multi-word names whose last word recurs alone elsewhere
        for k, s in enumerate(self.sents):
            for _, _, run in _name_runs(s):
                words = run.split()
                if len(words) >= 2 and run not in GAZETTEER and words[-1] not in GAZETTEER and words[-1] not in _THINGS:
                    last = words[-1]
                    if last in persons or any(
                        re.search(rf"\b{re.escape(last)}\b(?!\s+[A-Z])", t) for t in self.sents if run not in t
                    ):
                        pid = persons.setdefault(last, _slug(last))
                        e = self._entity(pid, run, "person")
                        if len(run) > len(e.name):
                            e.name = run
                        e.aliases.update({run, last})
                    elif _MEDIA.search(s):
                        self.commentators.add(run)
        # person mentions (full names and last names)
        for k, s in enumerate(self.sents):
            for e in [e for e in self.entities.values() if e.kind == "person"]:
                for alias in sorted(e.aliases, key=len, reverse=True):
                    for m in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", s):
                        if any(x.start < m.end() and m.start() < x.end for x in self.mentions[k]):
                            continue
                        self.mentions[k].append(Mention(e.id, m.start(), m.end()))
        # commentators: persons named only in sentences about a discussion or interview
        for e in list(self.entities.values()):
            if e.kind != "person":
                continue
            where = [k for k, ms in enumerate(self.mentions) if any(x.entity == e.id for x in ms)]
            if where and all(_MEDIA.search(self.sents[k]) for k in where):
                self.commentators.add(e.name)
                del self.entities[e.id]
                for k in where:
                    self.mentions[k] = [x for x in self.mentions[k] if x.entity != e.id]

    def find_roles(self) -> None:
        last_nation: str | None = None
        for k, s in enumerate(self.sents):
            for pattern, role, label in ROLES:
                for m in re.finditer(rf"\b(?:{pattern})\b", s, re.I):
                    if any(x.start < m.end() and m.start() < x.end for x in self.mentions[k]):
                        continue
                    prev = re.search(r"(\S+)\s+$", s[:m.start()])
                    if m.group(0).lower() == "public" and not (prev and (prev.group(1).lower() == "the" or
                                                                         prev.group(1)[:1].isupper())):
                        continue  # "public" as a noun: "the public", "the Russian public"
                    before = s[max(0, m.start() - 30):m.start()]
                    adj = [a for a in ADJECTIVES if re.search(rf"\b{a}\b(?:\s+\w+){{0,3}}\s*$", before)]
                    nation = ADJECTIVES[adj[0]] if adj else last_nation
                    if nation is None:  # a state named in the sentence, or in the one before
                        for j in (k, k - 1):
                            states = [x.entity for x in self.mentions[j] if self.entities[x.entity].kind == "state"] if j >= 0 else []
                            if states:
                                nation = states[0]
                                break
                    last_nation = nation or last_nation
                    nat_name = _STATES[nation][0].split(" (")[0] if nation in _STATES else ""
                    rid = f"{nation}_{role}" if nation else role
                    adj_name = next((a for a, n in ADJECTIVES.items() if n == nation), nat_name)
                    self._entity(rid, f"{adj_name} {label}".strip(), "role", nation)
                    self.mentions[k].append(Mention(rid, m.start(), m.end()))

    def link_leaders(self) -> None:
        """Fold a state into its named leader; constituencies get the leader as parent."""
        nation_of: dict[str, Counter] = defaultdict(Counter)
        for k, ms in enumerate(self.mentions):
            s = self.sents[k]
            national = [(x.start, self.entities[x.entity].nation) for x in ms
                        if self.entities[x.entity].kind in ("state", "role") and self.entities[x.entity].nation]
            national += [(m.start(), ADJECTIVES[a]) for a in ADJECTIVES for m in re.finditer(rf"\b{a}\b", s)]
            for x in ms:
                if self.entities[x.entity].kind != "person" or not national:
                    continue
                nearest = min(national, key=lambda t: abs(t[0] - x.start))
                for at, n in national:  # every nation named with the person counts; the nearest counts double
                    nation_of[x.entity][n] += 2 if (at, n) == nearest else 1
        leaders: dict[str, str] = {}
        for p, cnt in nation_of.items():
            ranked = cnt.most_common()
            if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                n = ranked[0][0]
                if n not in leaders or sum(nation_of[p].values()) > sum(nation_of[leaders[n]].values()):
                    leaders[n] = p
        for n, p in leaders.items():
            self.entities[p].nation = n
            if n in self.entities and self.entities[n].kind == "state":
                st = self.entities.pop(n)
                self.entities[p].name = f"{self.entities[p].name} ({st.name.split(' (')[0]})"
                for ms in self.mentions:
                    for j, x in enumerate(ms):
                        if x.entity == n:
                            ms[j] = Mention(p, x.start, x.end)
        for e in self.entities.values():
            if e.kind == "role" and e.nation in leaders:
                e.parent = leaders[e.nation]

    # ------------------------------------------------------------------ stances
    def _holders(self, k: int, pos: int, cue: "Cue | None" = None, end: int | None = None) -> list[str]:
        """Who holds a cue at offset ``pos`` of sentence ``k``.

        A holder phrase ("in the eyes of X", "among X", "within X"), nearest before the
        cue or else after it; else "X's objectives to <cue>" or "<cue> of X"; else the
        first actor named in the cue's clause before it (not the possessor of a cue
        whose possessor is its agent, "NATO's encirclement");
        else the first named in the sentence before it; else, after a pronoun, the last
        person named in an earlier sentence; else the first named after the cue.
        """
        s = self.sents[k]
        ms = sorted(self.mentions[k], key=lambda x: x.start)
        held = [x for x in ms if _HOLDER.search(s[max(0, x.start - 40):x.start])]
        if held:
            before = [x for x in held if x.end <= pos]
            return self._list_at(ms, before[-1] if before else held[0], s)
        intent = [x for x in ms if x.end <= pos and _INTENT.match(s[x.end:pos + 1]) and pos - x.end < 60]
        if intent:
            return [intent[-1].entity]
        if end is not None:  # "<cue> of X", also inside the cue's span ("reluctance of Russia to project power")
            of = [x for x in ms if pos < x.start <= end + 10 and re.search(r"\sof\s+(?:the\s+)?$", s[pos:x.start])]
            if of:
                return [of[0].entity]
        agent = set()
        if cue is not None and not cue.possessor_holds:
            agent = {x for x in ms if re.fullmatch(r"['\u2019]s\s+(?:\w+\s+){0,2}", s[x.end:pos])}
        clause_start = max([c.end() for c in _CLAUSE.finditer(s, 0, pos)], default=0)
        in_clause = [x for x in ms if clause_start <= x.start and x.end <= pos and x not in agent]
        if in_clause:
            return self._list_at(ms, in_clause[0], s)
        before = [x for x in ms if x.end <= pos and x not in agent]
        if before:
            return self._list_at(ms, before[0], s)
        if _PRONOUN.search(s[:pos]):
            for j in range(k - 1, -1, -1):
                people = [x.entity for x in self.mentions[j] if self.entities[x.entity].kind == "person"]
                if people:
                    return [people[-1]]
        after = [x for x in ms if x.start >= pos]
        return [after[0].entity] if after else []

    @staticmethod
    def _list_at(ms: list[Mention], x: Mention, s: str, backwards: bool = False) -> list[str]:
        """``x`` and the mentions joined to it by commas or "and" ("the public, military officials, and politicians")."""
        group = [x]
        idx = ms.index(x)
        step = -1 if backwards else 1
        j = idx + step
        while 0 <= j < len(ms):
            a, b = (ms[j], group[-1]) if backwards else (group[-1], ms[j])
            gap = s[a.end:b.start]
            if re.fullmatch(r"\s*(?:,|and|, and|or|, or)\s*(?:the\s+)?", gap):
                group.append(ms[j])
                j += step
            else:
                break
        seen = []
        for m in group:
            if m.entity not in seen:
                seen.append(m.entity)
        return seen

    def stances(self) -> tuple[list[tuple], list[tuple]]:
        """(stances, events).

        A stance is ``(actor, issue, value, salience, sentence, meaning, why, rank)``;
        ``rank`` orders competing cues of one actor and issue (higher wins): the
        salience, then a cue after a contrast ("however", "contingent upon").
        """
        found: list[tuple] = []
        events: list[tuple] = []
        for k, s in enumerate(self.sents):
            ev = _EVENT.search(s)
            strong, hedge = _STRONG.search(s), _HEDGE.search(s)
            contrast = _CONTRAST.search(s)
            matches = [(m, tpl, cue) for tpl in ISSUES for cue in tpl.cues for m in re.finditer(cue.pattern, s, re.I)]
            local = []
            for m, tpl, cue in matches:
                if re.search(r"\bwhether\b", s[:m.start()], re.I):  # a question the text asks, not a stance
                    sal, why = 40.0, "hedged: asked as a question ('whether')"
                elif strong:
                    sal, why = 85.0, f"intensity: '{strong.group(0)}'"
                elif hedge:
                    sal, why = 40.0, f"hedged: '{hedge.group(0)}'"
                else:
                    sal, why = 60.0, "no intensity cue"
                after = 1 if contrast and m.start() > contrast.start() else 0
                for who in self._holders(k, m.start(), cue, m.end()):
                    local.append((who, tpl.id, cue.value, sal, k, f"{cue.meaning} ('{m.group(0)}')", why, (sal, after)))
            for rej in _REJECT.finditer(s):  # "a demand that X rejects": X at the other end of the demand's first cue
                demand = [t for t in matches if t[0].start() < rej.start()]
                whom = [x.entity for x in self.mentions[k] if x.start == rej.start("who")]
                if demand and whom:
                    m, tpl, cue = min(demand, key=lambda t: t[0].start())
                    sal = 85.0 if _STRONG.search(rej.group(0)) else 60.0
                    for who in whom:
                        local.append((who, tpl.id, 100.0 - cue.value, sal, k,
                                      f"rejects the demand that {cue.meaning} ('{rej.group(0)}')",
                                      f"intensity: '{rej.group(0)}'", (sal, 1)))  # fmt: skip
            if ev and local:
                events.append((k, ev.group("what").lower(), local))
            else:
                found.extend(local)
        return found, events

    # ------------------------------------------------------------------ proposal
    def proposal(self, title: str = "") -> Proposal:
        self.find_people_and_states()
        self.find_roles()
        self.link_leaders()
        found, events = self.stances()
        # issues: cue words in at least two sentences, and at least one stance
        topical = {tpl.id: sum(1 for s in self.sents if re.search(tpl.topic, s)) for tpl in ISSUES}
        stance_issues = {f[1] for f in found} | {c[1] for _, _, ch in events for c in ch}
        issues = [tpl for tpl in ISSUES if topical[tpl.id] >= 2 and tpl.id in stance_issues]
        ids = {t.id for t in issues}
        # one stance per actor and issue: the strongest-held cue (highest salience), first in the text on ties
        best: dict[tuple[str, str], tuple] = {}
        for st in found:
            key = (st[0], st[1])
            if st[1] in ids and (key not in best or st[7] > best[key][7]):
                best[key] = st
        # an actor whose only stances come from an event sentence starts from them (before the event: unknown)
        actors_with = {a for a, _ in best}
        p = Proposal(title=title)
        for tpl in issues:
            first = next(k for k, s in enumerate(self.sents) if re.search(tpl.topic, s))
            p.issues.append(IssueProposal(
                id=tpl.id, label=tpl.label, description=tpl.description,
                points=[PointProposal(value=v, label=lbl) for v, lbl in tpl.points], quote=self.sents[first],
                rationale=f"{topical[tpl.id]} sentences on it; scale from the catalogue of war and negotiation issues",
            ))  # fmt: skip
        ev_actors = {c[0] for _, _, ch in events for c in ch if c[1] in ids}
        for eid in sorted(actors_with | ev_actors, key=lambda e: self._first_mention(e)):
            e = self.entities[eid]
            k = self._first_mention(eid)
            p.actors.append(ActorProposal(
                id=eid, name=e.name, parent=e.parent, group=e.nation,
                description=f"{e.kind}" + (f" of {e.nation}" if e.nation else ""), quote=self.sents[k],
            ))  # fmt: skip
            self.left.append(f"{eid}.capability: the text gives no basis for a capability")
        for (a, i), st in best.items():
            _, _, value, sal, k, meaning, why, _ = st
            q = self.sents[k]
            p.stances.append(StanceProposal(
                actor=a, issue=i, position=Number(value=value, quote=q, rationale=meaning),
                salience=Number(value=sal, quote=q, rationale=why),
            ))  # fmt: skip
        for k, what, changes in events:
            chs = []
            for a, i, value, sal, _, meaning, why, _ in changes:
                if i not in ids:
                    continue
                if (a, i) not in best:  # no other stance: the event sentence states the actor's position
                    p.stances.append(StanceProposal(
                        actor=a, issue=i,
                        position=Number(value=value, quote=self.sents[k], rationale=f"{meaning}; stated in the "
                                        "sentence that reports the event (no other stance in the text)"),
                        salience=Number(value=sal, quote=self.sents[k], rationale=why),
                    ))  # fmt: skip
                    best[(a, i)] = (a, i, value, sal, k, meaning, why, (sal, 0))
                elif (value - best[(a, i)][2]) * (value - 50.0) > 0:  # the event hardens the stance toward its pole
                    chs.append(ChangeProposal(actor=a, field="position", issue=i,
                                              value=Number(value=value, quote=self.sents[k], rationale=meaning)))  # fmt: skip
            p.events.append(EventProposal(id=_slug(what), description=f"The {what} reported in the text.",
                                          quote=self.sents[k], round=1, changes=chs))  # fmt: skip
            if not chs:
                self.left.append(f"event {_slug(what)}: its effect on the actors' numbers (the text states no "
                                 "stance beyond those already held)")  # fmt: skip
        mentioned = {e.id for e in self.entities.values()} - {a.id for a in p.actors}
        for eid in sorted(mentioned):
            self.left.append(f"{eid}: named in the text, but no stance on an issue was found")
        for c in sorted(self.commentators):
            self.left.append(f"{c}: a commentator or source, not an actor")
        for tpl in ISSUES:
            if tpl.id not in ids and topical[tpl.id]:
                self.left.append(f"issue {tpl.id}: touched in {topical[tpl.id]} sentence(s), no stance found")
        p.left_for_analyst = self.left
        return p

    def _first_mention(self, eid: str) -> int:
        return next((k for k, ms in enumerate(self.mentions) if any(x.entity == eid for x in ms)), 0)


class OfflineBackend:
    """The deterministic extractor behind the :class:`~realpolitik.draft.DraftBackend` interface."""

    name = "offline"
    description = "deterministic extractor (named actors, stance cues, hedges, quotes); no model, no network"

    def propose(self, text: str, title: str = "") -> Proposal:
        return Extractor(text).proposal(title)
