"""One exception type for user mistakes.

Every problem a user can fix is reported as a :class:`Problem` - a location
(``file:row:column`` for tables, ``file:line (yaml.path)`` for YAML, or a field
path) and a message saying what is wrong and what was expected.  All problems
found in one input are collected and raised together as a :class:`ScenarioError`.
Anything else that escapes is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where."""

    location: str
    message: str

    def __str__(self) -> str:  # one line, as the CLI prints it
        loc = self.location.strip()
        return f"{loc}: {self.message}" if loc else self.message


class ScenarioError(ValueError):
    """A user's input is invalid.  ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str, location: str = ""):
        if isinstance(problems, str):
            problems = [Problem(location, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]

    def __reduce__(self):  # crosses process boundaries (the web app's job workers) with its places
        return (type(self), (self.problems,))


class OptionError(ScenarioError):
    """A model or analysis option is invalid (same reporting as a scenario error)."""
