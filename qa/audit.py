"""The audit trail: one JSON line per question asked of the API, whatever its outcome.

A record says when (ISO 8601, UTC), which request (its X-Request-ID), from which client address, what
was asked, what was returned (chunk ids, citations, the letter and its date, answerable, advice_request),
how long it took and with which status (and error code). Request headers are never read into it, so no
Authorization header or admin token can reach it. The file is append-only and rotated by size; its
logger does not propagate, so questions never reach the ordinary service log.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

AUDITED_PATHS = frozenset({"/v1/ask", "/v1/admin/reload"})
MAX_QUESTION_CHARS = 2000  # an over-long question is still recorded, cut to this length
MAX_ERROR_BODY = 4096


class AuditLog:
    """Appends JSON lines to `path`, keeping `backups` rotated files of at most `max_bytes` each."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=False
        )
        self.handler.setFormatter(logging.Formatter("%(message)s"))
        # A logger of its own, outside logging's registry: two apps in one process keep two trails.
        self.logger = logging.Logger(f"qa.audit:{path}", logging.INFO)
        self.logger.propagate = False
        self.logger.addHandler(self.handler)

    def write(self, record: dict[str, Any]) -> None:
        # ensure_ascii: a question's control or bidirectional characters cannot disturb a terminal or viewer
        self.logger.info(json.dumps(record, ensure_ascii=True, separators=(",", ":")))

    def close(self) -> None:
        """Flush and release the file. The handler stays: an app started again (a test client entered
        twice) appends to the same file, reopened on its next write, rather than losing records."""
        self.handler.close()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request_fields(body: bytes) -> dict[str, Any]:
    """What was asked, from the raw body; a body that is not a JSON object records nothing more."""
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"question": None}
    if not isinstance(data, dict):
        return {"question": None}
    question = data.get("question")
    fields: dict[str, Any] = {"question": question[:MAX_QUESTION_CHARS] if isinstance(question, str) else None}
    if isinstance(question, str) and len(question) > MAX_QUESTION_CHARS:
        fields["question_chars"] = len(question)
    if isinstance(data.get("k"), int):
        fields["k"] = data["k"]
    if isinstance(data.get("document"), str):
        fields["document_requested"] = data["document"][:200]
    return fields


def _answer_fields(answer: Any) -> dict[str, Any]:
    """What was returned: set by the ask route on the request state."""
    if answer is None:
        return {}
    return {
        "chunk_ids": [p.chunk_id for p in answer.passages],
        "citations": sorted({n for p in answer.passages for n in p.citations}),
        "document": answer.document.id,
        "last_updated": answer.document.last_updated,
        "answerable": answer.answerable,
        "advice_request": answer.advice_request,
    }


def _error_code(body: bytes) -> str | None:
    try:
        error = json.loads(body.decode("utf-8")).get("error")
        return str(error["code"]) if isinstance(error, dict) and "code" in error else None
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None


class AuditMiddleware:
    """Records every request to an audited path, including those the guards or validation refused."""

    def __init__(self, app: ASGIApp, audit: AuditLog, max_body_bytes: int) -> None:
        self.app = app
        self.audit = audit
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in AUDITED_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        when = utc_now()
        body = bytearray()
        status: int | None = None  # None: the client left before any answer
        error_body = bytearray()

        async def tapped_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= self.max_body_bytes:
                body.extend(message.get("body", b"")[: self.max_body_bytes + 1 - len(body)])
            return message

        async def tapped_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and (status or 0) >= 400 and len(error_body) < MAX_ERROR_BODY:
                error_body.extend(message.get("body", b"")[: MAX_ERROR_BODY - len(error_body)])
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        except BaseException:
            status = status or 500  # what the server's error handler will answer
            raise
        finally:
            state = scope.get("state") or {}
            client = scope.get("client")
            record: dict[str, Any] = {
                "time": when,
                "request_id": state.get("request_id"),
                "client": str(client[0]) if client else None,
                "method": scope.get("method"),
                "path": scope["path"],
            }
            if scope["path"] == "/v1/ask":
                record.update(_request_fields(bytes(body)))
                record.update(_answer_fields(state.get("answer")))
            record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            record["status"] = status
            if status is None:
                record["error"] = "client_disconnected"
            elif status >= 400:
                record["error"] = _error_code(bytes(error_body)) or ("internal" if status >= 500 else None)
            try:
                self.audit.write(record)
            except Exception:  # the trail must not take the answer down with it; say so loudly instead
                logger.exception("could not write the audit record of request %s", record["request_id"])
