"""How `qa serve` runs the app under uvicorn.

Two of uvicorn's defaults do not fit this service. It believes X-Forwarded-For from any loopback peer,
so any local process (or a proxy passing the header through) could pick the client address the rate
limit and the audit log see: here the app reads forwarded headers itself, and only from the configured
`trusted_proxies`. And it answers a request it cannot parse with a plain-text 400: here that 400 has the
service's JSON error shape.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

BAD_REQUEST = json.dumps({"error": {"code": "bad_request", "message": "invalid HTTP request"}}).encode()


class JSONErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol whose answer to an unparsable request is the JSON error body."""

    def send_400_response(self, msg: str) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BAD_REQUEST)).encode()),
                   (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=BAD_REQUEST), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration `qa serve` uses (tests start the same one in a thread)."""
    return uvicorn.Config(
        app, host=host, port=port, http=JSONErrorH11Protocol, proxy_headers=False, server_header=False,
        timeout_graceful_shutdown=10, **{"log_level": "info", **options},
    )


def run(app: Any, host: str, port: int) -> None:
    uvicorn.Server(config(app, host, port)).run()
