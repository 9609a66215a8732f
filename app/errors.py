"""Error bodies: every error is JSON `{"detail": "..."}` saying what was wrong and what is allowed.

    install_error_handlers(app)

Validation errors (422) keep a machine-readable `errors` list but flatten it into a
readable `detail` string, without echoing the input back (a bad 10 MB field stays on the
client's side). A true bug is logged with its traceback and answered with a JSON 500.
"""

import errno
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.batching import BatcherStopped, BatchFailed
from app.overload import RETRY_AFTER_S, Overloaded

log = logging.getLogger("uvicorn.error")  # uvicorn's own handler prints it; no logging setup to maintain
STORAGE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # the spool is out of room: 507 Insufficient Storage


def describe(error: dict[str, Any]) -> str:
    """{"loc": ("body", "a"), "msg": "..."} -> "body.a: ..." ."""
    if error.get("type") == "json_invalid":  # loc is ("body", character offset)
        offset = error.get("loc", ("body", "?"))[-1]
        reason = error.get("ctx", {}).get("error", "")
        return f"the body is not valid JSON: {reason} at character {offset}"
    if error.get("type") == "model_attributes_type" and tuple(error.get("loc", ())) == ("body",):
        return "body: send a JSON object, with Content-Type: application/json"
    if "Expected UploadFile" in str(error.get("msg")):  # a form field given as text, not as a file
        return "body.file: send an image file in the multipart/form-data field `file`"
    location = ".".join(str(part) for part in error.get("loc", ()))
    return f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg", "invalid"))


def validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    return {
        "detail": "; ".join(describe(error) for error in errors),
        "errors": [{key: error.get(key) for key in ("loc", "msg", "type")} for error in errors],
    }


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # registered for it alone; narrows the type
        raise exc
    return JSONResponse(validation_body(exc.errors()), 422)


async def batch_error(request: Request, exc: Exception) -> JSONResponse:
    """503 while shutting down (BatcherStopped); 500 when a batch's forward pass raised (BatchFailed)."""
    if not isinstance(exc, BatcherStopped | BatchFailed):
        raise exc
    return JSONResponse({"detail": str(exc)}, exc.status_code)


async def overloaded(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: the queue is full, or a wait in it took too long (app/overload.py)."""
    return JSONResponse({"detail": str(exc)}, 503, headers={"Retry-After": str(RETRY_AFTER_S)})


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answer to an HTTPException, except when the upload could not be spooled to disk:
    FastAPI reports any error while reading a form as a 400, and a full disk is not the client's fault."""
    if not isinstance(exc, HTTPException):  # registered for it alone; narrows the type
        raise exc
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, OSError):
        status = 507 if cause.errno in STORAGE_FULL else 503
        reason = cause.strerror or type(cause).__name__
        detail = f"the server could not store the upload (RNNLAB_SPOOL_DIR): {reason}; retry later"
        return JSONResponse({"detail": detail}, status, headers={"Retry-After": str(RETRY_AFTER_S)})
    return await http_exception_handler(request, exc)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {"detail": "internal error: this is a bug in rnnlab, not in your request; the server log has the details"},
        500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Overloaded, overloaded)
    for batch_exception in (BatcherStopped, BatchFailed):
        app.add_exception_handler(batch_exception, batch_error)
    app.add_exception_handler(Exception, internal_error)  # Starlette runs it outermost, for bugs only
