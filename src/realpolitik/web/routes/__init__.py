"""The workbench's routes, one module per resource: models, scenarios, runs, downloads, pages,
advice (advise and draft)."""

from realpolitik.web.routes import advice, downloads, models, pages, runs, scenarios

ROUTERS = (models.router, scenarios.router, runs.router, downloads.router, pages.router, advice.router)

__all__ = ["ROUTERS"]
