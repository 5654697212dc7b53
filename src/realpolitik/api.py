"""The short Python path: ``forecast`` and ``convert`` in one call each.

These functions only combine the public pieces (:func:`load_scenario`,
:func:`get_model`, :func:`write_scenario`); they add no behaviour of their own
beyond sending each keyword option to the models that have it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from realpolitik.errors import OptionError, Problem

if TYPE_CHECKING:  # imported where used: ``realpolitik --version`` needs none of them
    from realpolitik.models import Model, Result
    from realpolitik.scenario import Scenario

#: models run by :func:`forecast` (and ``realpolitik forecast``) when none are named
DEFAULT_MODELS = ("ensemble", "weighted-mean", "weighted-median", "nash", "expected-utility", "smp", "exchange", "war")


def _scenario(scenario: Scenario | str | os.PathLike[str] | None) -> Scenario:
    from realpolitik.scenario import Scenario, load_scenario

    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def build_models(
    names: Sequence[str] | None,
    options: dict[str, Any],
    label: Callable[[str], str] = lambda key: f"option {key}",
) -> list[Model]:
    """Build models by name (``None``: the installed :data:`DEFAULT_MODELS`).

    Each option goes to every named model that has it; an option that none has
    raises :class:`~realpolitik.errors.OptionError`, located by ``label(key)``.
    """
    from realpolitik.models import available_models, get_model, model_class

    if names is None:  # the standard set: those installed, importing only their modules
        chosen = [n for n in DEFAULT_MODELS if model_class(n) is not None]
    else:
        chosen = list(names)
    built: list[Model] = []
    used: set[str] = set()
    for name in chosen:
        key = name.strip().lower().replace("_", "-")
        cls = model_class(key)
        if cls is None:
            raise OptionError(
                [Problem("models", f"unknown model {name!r}: expected one of {', '.join(sorted(available_models()))}")]
            )
        mine = {k: v for k, v in options.items() if k in cls.option_keys()}
        used |= set(mine)
        built.append(get_model(key, **mine))
    unused = sorted(set(options) - used)
    if unused:
        raise OptionError(
            [Problem(label(k), f"no selected model has this option (models: {', '.join(chosen)})") for k in unused]
        )
    return built


def forecast(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    models: str | Sequence[str] | None = None,
    seed: int | None = None,
    **options: Any,
) -> Result | list[Result]:
    """Forecast a scenario with one or more models.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, a file path, the name of a built-in scenario, or
        ``None`` for the built-in default scenario.
    models
        One model name (the result is returned alone), a list of names (a list of
        results), or ``None`` for every standard model that is installed
        (:data:`DEFAULT_MODELS`; a list of results).
    seed
        Seed for every random draw; without one a fresh seed is drawn from the operating
        system's entropy.  Either way every result records it (``result.seed``), so
        ``forecast(..., seed=result.seed)`` repeats the forecast exactly.
    **options
        Model options in the papers' words (``utility="linear"``, ``rounds=10`` ...).
        Each goes to every selected model that has it; an option that no selected
        model has raises :class:`~realpolitik.errors.OptionError`.

    Returns
    -------
    Result or list of Result
        ``result.forecast`` maps issue id to the forecast on the issue's scale;
        ``result.to_dict()`` is the JSON that ``realpolitik forecast --json`` prints.

    Examples
    --------
    >>> import realpolitik as rp
    >>> rp.forecast("ec-emissions", models="weighted-median").forecast
    {'emission': 7.0}
    """
    from realpolitik.seeds import resolve_seed

    scen = _scenario(scenario)
    single = isinstance(models, str)
    built = build_models(None if models is None else [models] if single else list(models), options)
    seed = resolve_seed(seed)  # one seed for every model, recorded in every result
    results = [m.run(scen, rng=seed) for m in built]
    return results[0] if single else results


def convert(
    source: Scenario | str | os.PathLike[str] | None,
    target: str | os.PathLike[str],
    fmt: str | None = None,
    lossy: bool = False,
) -> Scenario:
    """Write a scenario (or a file's scenario) to ``target`` in the format of its extension.

    Raises :class:`~realpolitik.errors.ScenarioError` naming what the target format
    cannot hold unless ``lossy=True``; the target is written atomically.
    """
    from realpolitik.scenario.writers import write_scenario

    scen = _scenario(source)
    write_scenario(scen, target, fmt, lossy=lossy)
    return scen


def advise(
    actor: str,
    scenario: Scenario | str | os.PathLike[str] | None = None,
    model: str | Model = "expected-utility",
    **kwargs: Any,
):
    """Advice for ``actor``: its levers ranked by expected gain per unit of effort.

    ``kwargs`` go to :func:`realpolitik.analysis.advise.advise` (``target``,
    ``issues``, ``steps``, ``capability``, ``draws``, ``seed`` ...).  Returns an
    :class:`~realpolitik.analysis.advise.Advice` (``.levers``, ``.tables()``,
    ``.to_dict()``, ``.whatif_command()``).
    """
    from realpolitik.analysis.advise import advise as _advise

    return _advise(_scenario(scenario), actor, model, **kwargs)


def draft(text: str | os.PathLike[str], endpoint: str | None = None, model: str | None = None, **kwargs: Any):
    """A draft scenario from a commentary (a path to a text file, or the text itself).

    Offline by default (the deterministic extractor); with ``endpoint`` and
    ``model``, any OpenAI-compatible endpoint (``api_key_env``, ``timeout`` go to
    it).  Returns a :class:`~realpolitik.draft.Draft` (``.scenario``, ``.to_yaml()``,
    ``.left_for_analyst``, ``.dropped``).
    """
    from pathlib import Path

    from realpolitik.draft import draft_scenario

    name = "text"
    if isinstance(text, os.PathLike) or (isinstance(text, str) and "\n" not in text and len(text) < 4096
                                         and Path(text).is_file()):  # fmt: skip
        path = Path(text)
        name, text = path.name, path.read_text(encoding="utf-8")
    backend = None
    if endpoint is not None:
        from realpolitik.draft.endpoint import EndpointBackend

        backend = EndpointBackend(endpoint, model or "", **kwargs)
    elif kwargs or model is not None:
        raise OptionError([Problem("draft", "model, api_key_env and timeout need an endpoint")])
    return draft_scenario(str(text), name, backend)
