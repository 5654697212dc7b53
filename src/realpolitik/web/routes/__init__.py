"""The workbench's routes, one module per resource: models, scenarios, runs, jobs, downloads, ledger,
pages, advice (advise and draft).

Another layer's web part adds its own router here (and its link in templates/base.html).
"""

from realpolitik.web.routes import advice, downloads, jobs, ledger, models, pages, runs, scenarios

ROUTERS = (models.router, scenarios.router, runs.router, jobs.router, downloads.router, ledger.router, pages.router,
           advice.router)  # fmt: skip

__all__ = ["ROUTERS"]
