"""The workbench's routes, one module per resource: models, scenarios, runs, downloads, ledger,
pages, advice (advise and draft)."""

from realpolitik.web.routes import advice, downloads, ledger, models, pages, runs, scenarios

ROUTERS = (models.router, scenarios.router, runs.router, downloads.router, ledger.router, pages.router, advice.router)

__all__ = ["ROUTERS"]
