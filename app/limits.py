"""The request-body cap, enforced while the body arrives rather than after it is buffered.

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)

A declared Content-Length over the cap is refused before a byte is read; otherwise the
bytes are counted as they come (chunked bodies, or a Content-Length that lies), and the
read stops with 413 as soon as the count passes the cap. The error is an HTTPException
raised from `receive`, which FastAPI's body parsing re-raises, so the client gets the
usual JSON `{"detail": ...}` and the metrics still see the matched route.
"""

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(max_bytes: int) -> HTTPException:
    return HTTPException(
        413,
        f"request body too large: at most {max_bytes} bytes are allowed (RNNLAB_MAX_UPLOAD_BYTES)",
    )


def declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if declared is not None and declared > self.max_bytes:
                raise too_large(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)
            return message

        await self.app(scope, receive_within_limit, send)
