"""Models: one module per model, one shared protocol (:mod:`realpolitik.models.base`).

Every module in this package that defines a :class:`Model` subclass decorated with
:func:`register` is found automatically.
"""

from realpolitik.models.base import (
    Model,
    Result,
    ScenarioBatch,
    Table,
    available_models,
    get_model,
    model_class,
    register,
)

__all__ = ["Model", "Result", "ScenarioBatch", "Table", "available_models", "get_model", "model_class", "register"]
