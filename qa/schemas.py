"""The response contract of /v1/ask (and of `qa ask --json`): field names are stable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr


class AskRequest(BaseModel):
    """Strict: "k": "5" or "question": 42 is a 422, never coerced. The bounds are documented here and
    enforced by QAService.validate from the settings, so the message names the configured limit."""

    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(
        ..., description="The question, 1 to 1,000 characters", examples=["What was the ORR?"],
        json_schema_extra={"minLength": 1, "maxLength": 1000},
    )
    k: StrictInt = Field(
        5, description="How many passages to return (1-20)", json_schema_extra={"minimum": 1, "maximum": 20}
    )
    document: StrictStr | None = Field(
        None, description="A document id from /v1/documents; null for the default"
    )


class PassageOut(BaseModel):
    rank: int
    score: float
    chunk_id: str
    document: str
    study: str | None
    section: str | None
    table: str | None
    kind: str
    citations: list[int]
    text: str
    highlight: str | None


class ReferenceOut(BaseModel):
    number: int
    text: str


class DocumentOut(BaseModel):
    id: str
    title: str
    last_updated: str


class AskResponse(BaseModel):
    question: str
    answerable: bool
    passages: list[PassageOut]
    references: list[ReferenceOut]
    disclaimer: str
    document: DocumentOut
    advice_request: bool = Field(False, description="The question asks for patient-specific advice")
    advice_notice: str | None = Field(None, description="The letter's own sentence on recommendations")


class DocumentSummary(DocumentOut):
    chunks: int
    references: int
    disclaimer: str = Field(..., description="The letter's own disclaimer, shown with every answer from it")


class WidgetSettings(BaseModel):
    contact: str | None = Field(
        None, description="The contact line to show under answers (QA_SERVICE__CONTACT); null when unset"
    )


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class Readiness(BaseModel):
    status: str = Field(..., description='"ready" or "not ready"')
    index: str | None = Field(None, description="Build id of the index being served")
    chunks: int | None = None
    detail: str | None = Field(None, description="Why the service is not ready")


class ReloadResponse(BaseModel):
    status: str
    index: str = Field(..., description="Build id now served")
    previous: str | None = Field(None, description="Build id served before the reload")
