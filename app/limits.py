"""The request body's limits, enforced while it arrives rather than after it is buffered: a cap in
bytes (413) and a deadline (408).

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes, timeout_s=settings.body_timeout_s)

A declared Content-Length over the cap is refused before a byte is read; otherwise the bytes are
counted as they come (chunked bodies, or a Content-Length that lies), and the read stops with 413
as soon as the count passes the cap. The whole body must arrive within RNNLAB_BODY_TIMEOUT_S of
the first read, so that a client sending a byte now and then cannot hold a request open. The
errors are HTTPExceptions raised from `receive`, which FastAPI's body parsing re-raises, so the
client gets the usual JSON `{"detail": ...}` and the metrics still see the matched route.
"""

import anyio
from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(max_bytes: int) -> HTTPException:
    return HTTPException(
        413,
        f"request body too large: at most {max_bytes} bytes are allowed (RNNLAB_MAX_UPLOAD_BYTES)",
    )


def too_slow(timeout_s: float) -> HTTPException:
    return HTTPException(
        408,
        f"the request body took over {timeout_s:g} s to arrive (RNNLAB_BODY_TIMEOUT_S)",
        headers={"Connection": "close"},
    )


def declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        received = 0
        deadline: float | None = None  # set at the first read
        complete = False  # the whole body has arrived: later reads wait for a disconnect, without a deadline

        async def receive_within_limits() -> Message:
            nonlocal received, deadline, complete
            if declared is not None and declared > self.max_bytes:
                raise too_large(self.max_bytes)
            if complete:
                return await receive()
            deadline = deadline or anyio.current_time() + self.timeout_s
            try:
                with anyio.fail_after(deadline - anyio.current_time()):
                    message = await receive()
            except TimeoutError:
                raise too_slow(self.timeout_s) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, receive_within_limits, send)
