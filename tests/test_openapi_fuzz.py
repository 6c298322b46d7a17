"""Schemathesis against the app's own OpenAPI: requests generated from the schema (valid and invalid)
never get a 5xx, and every response, errors included, is one the schema declares.

The schema is loaded when the module is imported, from an app whose service a fixture fills in:
schemathesis' lazy loader (`schemathesis.pytest.from_fixture`) does not work with pytest 9 (4.32 reads
the removed `Node._nodeid`)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qa.api.app import create_app
from qa.config import Settings

pytestmark = pytest.mark.slow
TOKEN = "fuzz-admin-token-0123456789abcdefgh"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


SCRATCH = Path(tempfile.mkdtemp(prefix="qa-fuzz-"))
# The admin route is on, so it is fuzzed too; requests without the token are refused.
APP = create_app(
    Settings(index_dir=SCRATCH / "index",
             service={"audit_log": SCRATCH / "audit.jsonl", "rate_limit_per_minute": 0, "admin_token": TOKEN}),  # type: ignore[arg-type]
    load=False,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def real_service(service) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The real service (model, index) behind the fuzzed app."""
    APP.state.service = service
    yield
    APP.state.service = None
    shutil.rmtree(SCRATCH, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_openapi_contract(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


def test_error_responses_are_declared() -> None:
    """The refusals the guards and validation make are in the schema, so the fuzzing validates them."""
    api_schema = schema
    ask = api_schema.raw_schema["paths"]["/v1/ask"]["post"]["responses"]
    assert {"200", "400", "404", "413", "415", "422", "429", "503"} <= set(ask)
    assert ask["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    reload = api_schema.raw_schema["paths"]["/v1/admin/reload"]["post"]["responses"]
    assert {"401", "403"} <= set(reload)
    request = api_schema.raw_schema["components"]["schemas"]["AskRequest"]
    assert request["additionalProperties"] is False
    assert request["properties"]["k"]["maximum"] == 20
    assert request["properties"]["question"]["maxLength"] == 1000
