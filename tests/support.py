"""Helpers for the reliability tests: a stand-in service that needs no model, an app around it, an
index copied somewhere a test may break it, and the JSON error shape every refusal must have."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from qa.config import Settings
from qa.schemas import AskResponse, DocumentOut

LEAKS = ("Traceback", 'File "', ".py", "/work/", "/tmp/", "site-packages")


def canned_answer(question: str = "q") -> AskResponse:
    return AskResponse(
        question=question, answerable=True, passages=[], references=[], disclaimer="disclaimer",
        document=DocumentOut(id="letter", title="Letter", last_updated="01/01/2025"),
    )


class StandInService:
    """Answers after `delay` seconds (or raises `error`), counting how many calls overlap."""

    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.delay = delay
        self.error = error
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.finished = threading.Event()
        self.index = SimpleNamespace(manifest=SimpleNamespace(build_id="stand-in", chunk_count=0))  # for /readyz
        self._lock = threading.Lock()

    def documents(self) -> list[object]:
        return []

    def reload(self) -> str:
        self.reloads = getattr(self, "reloads", 0) + 1
        return "stand-in"

    def ask(self, question: str, k: int = 5, document: str | None = None) -> AskResponse:
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            if self.error is not None:
                raise self.error
            return canned_answer(question)
        finally:
            with self._lock:
                self.in_flight -= 1
                if self.in_flight == 0:
                    self.finished.set()


def stand_in_app(tmp: Path, service: Any, **service_settings: Any) -> Any:
    """An app (not yet started) serving `service`, with its audit log in `tmp` and the given limits."""
    from qa.api.app import create_app

    limits = {"audit_log": tmp / "audit.jsonl", "rate_limit_per_minute": 0, **service_settings}
    settings = Settings(index_dir=tmp / "index", service=limits)  # type: ignore[arg-type]
    app = create_app(settings, load=False)
    app.state.service = service
    return app


def copy_index(source: Settings, target: Path, **service_settings: Any) -> Settings:
    """Settings like `source` whose index is a private copy (the `current` link stays relative) of the build
    it serves: older builds are left behind, each holds its own encoder export of some 45 MB."""
    builds = source.index_dir / "builds"
    serving = (source.index_dir / "current").resolve().name

    def left_behind(folder: str, names: list[str]) -> set[str]:
        older = {name for name in names if name != serving} if Path(folder) == builds else set()
        return older | {name for name in names if name == ".lock"}

    shutil.copytree(source.index_dir, target, symlinks=True, ignore=left_behind)
    service = source.service.model_copy(update=service_settings)
    return source.model_copy(update={"index_dir": target, "service": service})


def assert_error_shape(response: Any, status: int | None = None, code: str | None = None, sent: str = ""
                       ) -> dict[str, Any]:
    """A refusal: the JSON error body and nothing else, with a request id, and no internals leaked (no stack
    trace, no file path) beyond what the request itself `sent` (an unknown document's name is echoed)."""
    if status is not None:
        assert response.status_code == status, (response.status_code, response.text)
    assert 400 <= response.status_code < 600, response.status_code
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    if code is not None:
        assert body["error"]["code"] == code, body
    for leak in LEAKS:
        assert leak not in response.text or leak in sent, f"{leak!r} leaked into {response.text!r}"
    assert response.headers.get("x-request-id"), "no X-Request-ID"
    return body  # type: ignore[no-any-return]


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` under uvicorn as `qa serve` configures it, in a thread on a free loopback port; its URL."""
    import uvicorn

    from qa.api import server
    from qa.loadtest import free_port

    port = free_port()
    instance = uvicorn.Server(server.config(app, "127.0.0.1", port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(10)
