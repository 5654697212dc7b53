"""``/api/models``: the registered models and their option schemas."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from realpolitik.web.context import Workbench, workbench

router = APIRouter(prefix="/api", tags=["models"])


@router.get("/models", summary="Registered models with their option schemas")
def api_models(wb: Workbench = Depends(workbench)) -> list[dict[str, Any]]:
    return wb.models_info()
