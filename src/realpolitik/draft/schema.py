"""What a drafting back-end proposes: the one interface both back-ends fill.

A :class:`Proposal` lists actors, issues (0-100 scales with labelled points),
stances (an actor's position and salience on an issue), capabilities and events.
Every number is a :class:`Number` carrying the verbatim ``quote`` it rests on and a
``rationale``; :mod:`realpolitik.draft.assemble` keeps a number only when its quote
is found in the text.  There is no field for a probability of an outcome: a draft
describes the situation, it does not forecast it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Number(_Strict):
    """A number, the sentence of the text it rests on (verbatim), and why."""

    value: float
    quote: str = Field(description="verbatim sentence or phrase of the text the number rests on")
    rationale: str = Field("", description="one line: why this number")


class PointProposal(_Strict):
    value: float = Field(ge=0, le=100)
    label: str


class IssueProposal(_Strict):
    id: str = Field(description="short id, letters, digits and underscores")
    label: str
    description: str = ""
    points: list[PointProposal] = Field(description="labelled points on the 0-100 scale, ascending")
    quote: str = Field(description="verbatim sentence of the text that raises the issue")
    rationale: str = ""


class ActorProposal(_Strict):
    id: str = Field(description="short id, letters, digits and underscores")
    name: str
    description: str = ""
    group: str | None = None
    parent: str | None = Field(None, description="id of the actor this one is a domestic sub-actor of")
    quote: str = Field(description="verbatim sentence of the text that names the actor")
    capability: Number | None = Field(None, description="relative power on these issues, > 0 (omit if the text gives no basis)")


class StanceProposal(_Strict):
    actor: str
    issue: str
    position: Number = Field(description="the outcome the actor advocates, on the issue's 0-100 scale")
    salience: Number | None = Field(None, description="how much the issue matters to the actor, 0-100")


class ChangeProposal(_Strict):
    actor: str
    field: str = Field(description="position, salience or capability")
    issue: str | None = None
    value: Number


class EventProposal(_Strict):
    id: str
    description: str
    quote: str = Field(description="verbatim sentence of the text that reports the event")
    round: int = Field(1, ge=0, description="model round at which the event applies")
    changes: list[ChangeProposal] = Field(default_factory=list)


class Proposal(_Strict):
    """A back-end's proposal for a scenario drawn from one text."""

    title: str = ""
    actors: list[ActorProposal] = Field(default_factory=list)
    issues: list[IssueProposal] = Field(default_factory=list)
    stances: list[StanceProposal] = Field(default_factory=list)
    events: list[EventProposal] = Field(default_factory=list)
    #: what the back-end could not fill and leaves to the analyst (free text, one item each)
    left_for_analyst: list[str] = Field(default_factory=list)


def proposal_schema() -> dict:
    """The JSON schema of :class:`Proposal` (sent to endpoints that take a response format)."""
    return Proposal.model_json_schema()
