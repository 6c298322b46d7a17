"""POST /v1/admin/reload: serve a newly built index without a restart, behind a bearer token.

The router is only mounted when settings.service.admin_token is set, so without a token the path is a
plain 404. Requests in flight finish on the index they started with (QAService.reload swaps atomically).
"""

from __future__ import annotations

import hmac
import logging
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qa.api.deps import SettingsDep
from qa.api.routes import ERRORS
from qa.errors import Forbidden, NotReady, QAError, Unauthorized, public_message
from qa.schemas import ErrorResponse, ReloadResponse

logger = logging.getLogger(__name__)


bearer = HTTPBearer(auto_error=False, description="The admin token (QA_SERVICE__ADMIN_TOKEN)")
_reloading = threading.Lock()  # one reload at a time: a second waits, then loads whatever is current


def require_admin(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """The Authorization header must carry the admin token; compared in constant time."""
    expected = settings.service.admin_token
    if not expected:
        raise Forbidden("administration is disabled")
    if credentials is None or not credentials.credentials:
        raise Unauthorized("send the admin token as 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(credentials.credentials.encode("utf-8"), expected.encode("utf-8")):
        logger.warning("admin request with a wrong token")
        raise Forbidden("the admin token is not valid")


admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin)])
ADMIN_ERRORS: dict[int | str, dict[str, object]] = {
    **ERRORS, **{s: {"model": ErrorResponse} for s in (401, 403)}
}


@admin_router.post("/reload", response_model=ReloadResponse, responses=ADMIN_ERRORS)
def reload(request: Request, settings: SettingsDep) -> ReloadResponse:
    """Load the index `current` points at and serve it; a service that failed to load is loaded afresh.

    A newly built index that does not verify (corrupt, other model) is refused with a 503 and the
    index already served stays in place."""
    from qa.service import QAService

    state = request.app.state
    with _reloading:
        service = state.service
        if service is None:
            if state.load_error is None:
                raise NotReady("the model and index are still loading; retry shortly")
            try:
                state.service = QAService(settings, rebuild=False)
            except QAError as exc:
                state.load_error = public_message(exc)
                raise
            state.load_error = None
            build_id = state.service.index.manifest.build_id
            logger.info("admin reload: loaded index %s", build_id)
            return ReloadResponse(status="loaded", index=build_id, previous=None)
        previous = service.index.manifest.build_id
        build_id = service.reload()
    logger.info("admin reload: index %s (was %s)", build_id, previous)
    return ReloadResponse(status="reloaded", index=build_id, previous=previous)
