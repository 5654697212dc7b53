"""The forecast ledger: questions, sealed forecasts, resolutions and scores (issue 14).

A question says what is asked, how it resolves, when it closes and how a model's Result
JSON answers it (:mod:`~realpolitik.ledger.questions`, :mod:`~realpolitik.ledger.mapping`);
``forecast_question`` seals each model's answer into a hash chain kept in the run store
(:mod:`~realpolitik.ledger.book`, :mod:`~realpolitik.ledger.chain`); ``resolve`` records
the outcome; ``ledger_scores`` gives Brier, log and CRPS scores, time-averaged over the
open period, against a stated baseline (:mod:`~realpolitik.ledger.scores`).
docs/ledger.md is the guide.

>>> from realpolitik.ledger import Ledger
>>> book = Ledger.open("sqlite://")          # an in-memory ledger
>>> sorted(book.states())[:1]
['ru-ua-ceasefire-2027']
"""

from realpolitik.ledger.book import Ledger, QuestionState, load_question_file, parse_resolution, shipped_questions
from realpolitik.ledger.forecasts import Distribution, Forecast
from realpolitik.ledger.mapping import Context, answer
from realpolitik.ledger.questions import FORMAT, Question, Rule, parse_question, parse_question_file
from realpolitik.ledger.run import forecast_question
from realpolitik.ledger.scores import ledger_scores, parse_baseline

__all__ = [
    "FORMAT",
    "Context",
    "Distribution",
    "Forecast",
    "Ledger",
    "Question",
    "QuestionState",
    "Rule",
    "answer",
    "forecast_question",
    "ledger_scores",
    "load_question_file",
    "parse_baseline",
    "parse_question",
    "parse_question_file",
    "parse_resolution",
    "shipped_questions",
]
