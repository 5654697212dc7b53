"""Drafting a scenario from a commentary, with the quotes every number rests on.

``draft_scenario(text, source_name, backend)`` asks a back-end for a
:class:`~realpolitik.draft.schema.Proposal` and assembles it into a validated,
clearly marked draft :class:`~realpolitik.scenario.model.Scenario`
(:mod:`realpolitik.draft.assemble`).  Two back-ends share one interface
(:class:`DraftBackend`): :class:`~realpolitik.draft.offline.OfflineBackend`, a
deterministic extractor that needs no network and no model (the default), and
:class:`~realpolitik.draft.endpoint.EndpointBackend`, any OpenAI-compatible
endpoint.

Where this sits: the draft layer *produces scenario data* from free text.  It is
neither a loader (a loader reads a scenario file format and never invents
numbers) nor a model (a model reads a scenario and forecasts), so it lives in its
own package beside ``scenario/`` and depends on it (to validate and write), never
the other way round: files -> draft/ -> scenario/ -> models/ -> analysis/.
``docs/draft.md`` describes it and the figures it reaches on the seed text.
"""

from __future__ import annotations

from typing import Protocol

from realpolitik.draft.assemble import Draft, assemble
from realpolitik.draft.schema import Proposal


class DraftBackend(Protocol):
    """What a drafting back-end provides."""

    name: str

    @property
    def description(self) -> str: ...  # pragma: no cover

    def propose(self, text: str, title: str = "") -> Proposal: ...  # pragma: no cover


def draft_scenario(text: str, source_name: str = "text", backend: DraftBackend | None = None, title: str = "") -> Draft:
    """A draft scenario from ``text`` (default back-end: the offline extractor)."""
    from realpolitik.draft.offline import OfflineBackend

    be = backend or OfflineBackend()
    return assemble(be.propose(text, title), text, source_name, f"{be.name}: {be.description}")


__all__ = ["Draft", "DraftBackend", "Proposal", "assemble", "draft_scenario"]
