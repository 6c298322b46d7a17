"""The errors the library raises; the API and the CLI translate them at their edges."""

from __future__ import annotations

import re


class QAError(Exception):
    """Base class: every error the library raises on purpose is one of these."""

    code = "qa_error"
    status = 500


class DocumentFormatError(QAError):
    """A letter the parser cannot read; the message names the file and the line."""

    code = "document_format"
    status = 422

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}:{line}: {problem}")


class IndexMissing(QAError):
    code = "index_missing"
    status = 503


class IndexMismatch(QAError):
    """The index on disk was built from another corpus, model or chunker."""

    code = "index_mismatch"
    status = 503


class IndexCorrupt(QAError):
    """An index file is truncated or altered: its hash differs from the manifest."""

    code = "index_corrupt"
    status = 503


class ModelUnavailable(QAError):
    """Building (or the torch backend) needs what the `build` extra installs: torch, the model's weights and
    the WordNet database."""

    code = "model_unavailable"
    status = 503


class IndexLocked(QAError):
    code = "index_locked"
    status = 409


class InvalidQuestion(QAError):
    code = "invalid_question"
    status = 422


class UnknownDocument(QAError):
    code = "unknown_document"
    status = 404


class Overloaded(QAError):
    code = "overloaded"
    status = 503



class AuditUnavailable(QAError):
    """The audit trail cannot take a record: the service answers nothing it cannot record."""

    code = "audit_unavailable"
    status = 503


class BodyTimeout(QAError):
    """The client did not send the body it announced in time: a client fault, not the server's."""

    code = "body_timeout"
    status = 408


class RateLimited(QAError):
    code = "rate_limited"
    status = 429


class RequestTimeout(QAError):
    code = "timeout"
    status = 503


class PayloadTooLarge(QAError):
    code = "payload_too_large"
    status = 413


class UnsupportedMediaType(QAError):
    code = "unsupported_media_type"
    status = 415


class InvalidBody(QAError):
    code = "invalid_body"
    status = 400


class Unauthorized(QAError):
    code = "unauthorized"
    status = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(QAError):
    code = "forbidden"
    status = 403


class NotReady(QAError):
    code = "not_ready"
    status = 503

ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])/(?:[^\s/'\"`]+/)+")


def public_message(exc: BaseException) -> str:
    """The message a client may see: the server's absolute paths cut to their last part
    ('/srv/qa/index/builds/X/chunks.jsonl' -> 'chunks.jsonl'); the service log keeps them whole."""
    return ABSOLUTE_PATH.sub("", str(exc))
