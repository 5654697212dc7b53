"""The workbench's routes, one module per resource: models, scenarios, runs, downloads, pages."""

from realpolitik.web.routes import downloads, models, pages, runs, scenarios

ROUTERS = (models.router, scenarios.router, runs.router, downloads.router, pages.router)

__all__ = ["ROUTERS"]
