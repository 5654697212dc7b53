"""The endpoint back-end: any OpenAI-compatible chat-completions server.

``EndpointBackend(url, model, api_key_env="OPENAI_API_KEY")`` sends the text with
instructions and the JSON schema of :class:`~realpolitik.draft.schema.Proposal` as
the response format (``json_schema``; servers that refuse it get ``json_object``)
and reads the proposal from the first choice's message.  The key is read from the
environment variable named by ``api_key_env`` (sent as a bearer token when set);
it is never written anywhere.  Only the standard library is used (``urllib``).

Every quote the server returns is checked against the text afterwards
(:func:`realpolitik.draft.assemble.assemble`): a model that paraphrases loses the
number.  Errors (no connection, an HTTP error, an answer that is not the schema)
are :class:`~realpolitik.errors.OptionError` with one line naming the endpoint.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from pydantic import ValidationError

from realpolitik.draft.schema import Proposal, proposal_schema
from realpolitik.errors import OptionError, Problem

INSTRUCTIONS = """You turn a commentary on a negotiation or conflict into a draft scenario for a
game-theoretic forecasting tool (Bueno de Mesquita-style actor data). Answer with JSON only, following
the schema. Propose:
- actors: the decision-makers and constituencies that take positions (not the commentators);
- issues: each a 0-100 scale with 3-6 labelled points (ascending values) describing concrete outcomes;
- stances: per actor and issue, the position it advocates (0-100 on that issue's scale) and its
  salience (0-100: how much the issue matters to it);
- capability only where the text gives a basis; events the text reports, with the changes they cause.
Every number must carry `quote`: a sentence or phrase copied EXACTLY, character for character, from
the text, on which the number rests, and a one-line `rationale`. A number without such a quote is
discarded. If the text gives no basis for a number, leave it out and say so in `left_for_analyst`.
Never give probabilities of outcomes."""


def chat_url(endpoint: str) -> str:
    """``http://host/v1`` -> ``http://host/v1/chat/completions`` (a full URL is kept as it is)."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


class EndpointBackend:
    """Drafts with a model behind an OpenAI-compatible endpoint."""

    name = "endpoint"

    def __init__(self, endpoint: str, model: str, api_key_env: str = "OPENAI_API_KEY", timeout: float = 300.0):
        if not endpoint.startswith(("http://", "https://")):
            raise OptionError([Problem(f"--endpoint {endpoint}", "expected an http:// or https:// URL")])
        if not model:
            raise OptionError([Problem("--model", "the endpoint back-end needs a model name (--model NAME)")])
        self.url = chat_url(endpoint)
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout

    @property
    def description(self) -> str:
        return f"model {self.model} at {self.url}"

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - the user's own URL
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300].replace("\n", " ")
            raise _HTTPError(exc.code, detail) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OptionError([Problem(f"--endpoint {self.url}", f"cannot reach the endpoint: {reason}")]) from None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise OptionError([Problem(f"--endpoint {self.url}", "the endpoint did not answer with JSON")]) from None

    def propose(self, text: str, title: str = "") -> Proposal:
        messages = [{"role": "system", "content": INSTRUCTIONS},
                    {"role": "user", "content": (f"Title: {title}\n\n" if title else "") + "Text:\n" + text}]  # fmt: skip
        body: dict[str, Any] = {
            "model": self.model, "messages": messages, "temperature": 0,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "scenario_proposal", "schema": proposal_schema()}},
        }  # fmt: skip
        try:
            answer = self._post(body)
        except _HTTPError as exc:
            if exc.code not in (400, 422) or "response_format" not in exc.detail and "json_schema" not in exc.detail:
                raise exc.problem(self.url) from None
            body["response_format"] = {"type": "json_object"}  # a server without schema-constrained output
            try:
                answer = self._post(body)
            except _HTTPError as exc2:
                raise exc2.problem(self.url) from None
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise OptionError([Problem(f"--endpoint {self.url}", "the answer has no choices[0].message.content")]) from None
        try:
            data = json.loads(_strip_fence(content))
            return Proposal.model_validate(data)
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0][:200]
            raise OptionError([Problem(f"--endpoint {self.url}", f"the model's answer is not a proposal: {first}")]) from None


def _strip_fence(content: str) -> str:
    """Models sometimes wrap JSON in a Markdown code fence; take what is inside."""
    s = content.strip()
    if s.startswith("```"):
        s = s.split("\n", 1)[1] if "\n" in s else ""
        s = s.rsplit("```", 1)[0]
    return s


class _HTTPError(Exception):
    def __init__(self, code: int, detail: str):
        super().__init__(f"HTTP {code}")
        self.code = code
        self.detail = detail

    def problem(self, url: str) -> OptionError:
        return OptionError([Problem(f"--endpoint {url}", f"HTTP {self.code}: {self.detail or 'no detail'}")])
