"""Dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from qa.config import Settings
from qa.errors import NotReady
from qa.service import QAService


def get_service(request: Request) -> QAService:
    service: QAService | None = getattr(request.app.state, "service", None)
    if service is None:
        problem = getattr(request.app.state, "load_error", None)
        raise NotReady(problem or "the model and index are still loading; retry shortly")
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None and getattr(service, "observe", None) != metrics.observe_stage:
        service.observe = metrics.observe_stage  # the service times its stages into the app serving it
    return service


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
