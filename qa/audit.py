"""The audit trail: one JSON line per question asked of the API, whatever its outcome.

A record says when (ISO 8601, UTC), which request (its X-Request-ID), from which client address, what
was asked, what was returned (chunk ids, citations, the letter and its date, answerable, advice_request),
how long it took and with which status (and error code). Request headers are never read into it, so no
Authorization header or admin token can reach it.

It fails closed: a response is held until its record is written, and a record that cannot be written
(disk full, file made read-only, folder gone) turns the answer into a 503 `audit_unavailable` and
/readyz into a 503 until a record can be written again. The file is append-only; at `max_bytes` it is
renamed to a dated file next to it and never deleted unless `backups` says how many to keep. Questions
never reach the ordinary service log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.api.guards import reject
from qa.errors import AuditUnavailable

logger = logging.getLogger(__name__)

AUDITED_PATHS = frozenset({"/v1/ask", "/v1/admin/reload"})
MAX_QUESTION_CHARS = 2000  # an over-long question is still recorded, cut to this length
REFUSED_QUESTION_CHARS = 200  # a refused question is cut shorter: cheap refusals must not flood the trail
MAX_ERROR_BODY = 4096


class AuditLog:
    """Appends JSON lines to `path`, flushed per record; an error writing one is raised, never swallowed."""

    def __init__(self, path: Path, max_bytes: int, backups: int | None = None) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.problem: str | None = None  # why the last write failed; None while records are written
        self._file: IO[str] | None = None
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except OSError as exc:
            raise AuditUnavailable(f"the audit log {path} cannot be opened for writing: {exc.strerror or exc}"
                                   ) from exc

    def _open(self) -> IO[str]:
        self._file = self.path.open("a", encoding="utf-8")
        return self._file

    def write(self, record: dict[str, Any]) -> None:
        """Append one record, or raise AuditUnavailable saying why it could not be."""
        # ensure_ascii: a question's control or bidirectional characters cannot disturb a terminal or viewer
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                handle = self._current()
                handle.write(line)
                handle.flush()
            except OSError as exc:
                self._failed(exc)
                raise AuditUnavailable("the audit log cannot be written; no answer is given unrecorded") from exc
            try:
                self._rotate_if_full(handle)
            except OSError as exc:  # the record is written; the file grows past its size until a rename works
                logger.warning("audit log %s could not be rotated: %s", self.path, exc)
                self._file = None
            if self.problem is not None:
                logger.warning("audit log %s is written again (it failed with: %s)", self.path, self.problem)
                self.problem = None

    def _current(self) -> IO[str]:
        """The open file, reopened when the path no longer names it (deleted or moved away while serving)."""
        handle = self._file
        if handle is None or handle.closed:
            return self._open()
        try:
            same = os.path.samestat(os.stat(self.path), os.fstat(handle.fileno()))
        except FileNotFoundError:
            same = False
        if not same:
            logger.warning("audit log %s was removed or replaced; writing a new file there", self.path)
            self._close_quietly(handle)
            return self._open()
        return handle

    def _rotate_if_full(self, handle: IO[str]) -> None:
        if not self.path.is_file() or handle.tell() < self.max_bytes:  # never rename /dev/null or a pipe
            return
        handle.close()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.path.with_name(f"{self.path.stem}-{stamp}{self.path.suffix}")
        os.rename(self.path, target)
        self._open()
        if self.backups is not None:
            for old in self.rotated()[: -self.backups]:
                old.unlink()

    def rotated(self) -> list[Path]:
        """The dated files rotation left, oldest first."""
        return sorted(self.path.parent.glob(f"{self.path.stem}-*{self.path.suffix}"))

    def _failed(self, exc: OSError) -> None:
        problem = exc.strerror or exc.__class__.__name__
        if self.problem is None:
            logger.error("audit log %s cannot be written (%s): /v1/ask answers 503 audit_unavailable and /readyz "
                         "is not ready until a record can be written", self.path, problem)
        self.problem = problem
        if self._file is not None:
            self._close_quietly(self._file)
            self._file = None  # reopened on the next write, which may find the fault mended

    @staticmethod
    def _close_quietly(handle: IO[str]) -> None:
        with contextlib.suppress(OSError):  # an unflushable buffer holds the record that already failed
            handle.close()

    def check(self) -> str | None:
        """Readiness: None when records can be written. After a failure, one record noting the gap is the
        probe, so a mended disk is seen without waiting for a question."""
        if self.problem is None:
            return None
        problem = self.problem
        try:
            self.write({"time": utc_now(), "event": "audit_resumed", "after_error": problem})
        except AuditUnavailable:
            return f"the audit log cannot be written ({self.problem})"
        return None

    def close(self) -> None:
        """Flush and release the file; an app started again (a test client entered twice) reopens it."""
        with self._lock:
            if self._file is not None:
                self._close_quietly(self._file)
                self._file = None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request_fields(body: bytes, refused: bool) -> dict[str, Any]:
    """What was asked, from the raw body; a body that is not a JSON object records nothing more."""
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {"question": None}
    if not isinstance(data, dict):
        return {"question": None}
    question = data.get("question")
    keep = REFUSED_QUESTION_CHARS if refused else MAX_QUESTION_CHARS
    fields: dict[str, Any] = {"question": question[:keep] if isinstance(question, str) else None}
    if isinstance(question, str) and len(question) > keep:
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
    """Records every request to an audited path, including those the guards or validation refused.

    The response is held until its record is written: an answer whose record failed is replaced by a 503
    `audit_unavailable`, so nothing leaves the service unrecorded."""

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
        held: list[Message] = []  # the response, sent once its record is written
        status: int | None = None  # None: the client left before any answer

        async def tapped_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= self.max_body_bytes:
                body.extend(message.get("body", b"")[: self.max_body_bytes + 1 - len(body)])
            return message

        async def held_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            held.append(message)

        try:
            await self.app(scope, tapped_receive, held_send)
        except BaseException:
            status = status or 500  # what the server's error handler will answer
            with contextlib.suppress(AuditUnavailable):  # already logged; the error itself goes on up
                self._record(scope, when, started, body, status, b"")
            raise
        error_body = b"".join(m.get("body", b"") for m in held[1:])[:MAX_ERROR_BODY] if (status or 0) >= 400 else b""
        try:
            self._record(scope, when, started, body, status, error_body)
        except AuditUnavailable as exc:
            if status is None:
                return  # no one to tell
            await reject(exc, scope, receive, send, {"Retry-After": "5"})
            return
        for message in held:
            await send(message)

    def _record(self, scope: Scope, when: str, started: float, body: bytearray, status: int | None,
                error_body: bytes) -> None:
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
            record.update(_request_fields(bytes(body), refused=status != 200))
            record.update(_answer_fields(state.get("answer")))
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        record["status"] = status
        if status is None:
            record["error"] = "client_disconnected"
        elif status >= 400:
            record["error"] = _error_code(error_body) or ("internal" if status >= 500 else None)
        self.audit.write(record)
