"""The one-request REST endpoint for retailers: ``POST /api/v1/try-on`` with a multipart form
(``person`` and ``garment`` files, optional ``garment_type``), answered with the result image.

It shares the Gradio app's admission gate (the same try-ons at once, the same waiting line and
the same "busy" sentence) and its sentences for bad input. Answers:

- 200: the image (``image/png`` unless ``?format=jpeg`` or ``webp``); headers
  ``X-Tryon-Warnings`` (the warnings, joined by " | ", absent when none) and
  ``Server-Timing: pipeline;dur=MS`` (the pipeline's own time).
- 400 (bad photo or value), 413 (upload too large), 415 (not a multipart form), 503 (busy,
  with ``Retry-After``), 500 (a bug; logged): JSON ``{"error": "<one sentence>"}``.

``GET /api/v1/health`` answers JSON: the requests in flight, capacity, refusals, memory,
and the pipeline's own seconds of the latest try-ons (what ``make loadtest`` reads).

Uploads are streamed into Starlette's spooled temporary files (on disk past 1 MB), counted
as they arrive and cut off at the size cap; they are read in the worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from tryon.app_text import (BAD_CHOICE, GENERIC_ERROR, MISSING, NOT_MULTIPART, REQUEST_TOO_LARGE,
                            TOO_LARGE)
from tryon.constants import GARMENT_TYPES, MAX_FILE_BYTES
from tryon.errors import TryOnError
from tryon.serving.gate import Busy, Gate
from tryon.serving.job import DEFAULT_FORMAT, FORMATS, RECENT_SECONDS, dress, encode
from tryon.serving.memory import peak_rss_mb, rss_mb

__all__ = ["REST_PATH", "HEALTH_PATH", "rest_routes"]

log = logging.getLogger("tryon.serving")

REST_PATH = "/api/v1/try-on"
HEALTH_PATH = "/api/v1/health"
FIELDS = {"person": "person photo", "garment": "garment image"}  # form field -> what it is
FORM_SLACK_BYTES = 64 * 1024  # multipart headers and the small fields, beyond the two files
WARNING_SEPARATOR = " | "


class Refusal(Exception):
    """A request refused before the pipeline runs: an HTTP status and one sentence."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status = status


def _error(status: int, sentence: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status, headers=headers or None)


async def _limited(request: Request, limit: int, max_file_bytes: int) -> AsyncIterator[bytes]:
    """The request body, refused with 413 as soon as more than ``limit`` bytes arrived."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(max_file_bytes)
        yield chunk


def _too_large(max_file_bytes: int) -> Refusal:
    return Refusal(413, REQUEST_TOO_LARGE.format(megabytes=_megabytes(max_file_bytes)))


def _megabytes(n: int) -> str:
    return f"{n / 2**20:g}"


async def _form(request: Request, max_file_bytes: int) -> FormData:
    """The multipart form, its files spooled; refused when not multipart or too large."""
    limit = 2 * max_file_bytes + FORM_SLACK_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(max_file_bytes)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(415, NOT_MULTIPART)
    parser = MultiPartParser(request.headers, _limited(request, limit, max_file_bytes),
                             max_files=len(FIELDS),
                             max_fields=len(FIELDS) + 2)
    try:
        return await parser.parse()
    except MultiPartException:
        raise Refusal(400, NOT_MULTIPART) from None


def _choice(value: Any, what: str, choices: tuple[str, ...] | list[str], default: str) -> str:
    value = value if isinstance(value, str) and value else default
    if value not in choices:
        raise Refusal(400, BAD_CHOICE.format(what=what, choices=", ".join(choices), value=value[:40]))
    return value


def _upload(form: FormData, field: str, max_file_bytes: int) -> UploadFile:
    item = form.get(field)
    what = FIELDS[field]
    if not isinstance(item, UploadFile):
        raise Refusal(400, MISSING[what])
    if item.size is not None and item.size > max_file_bytes:
        raise Refusal(413, TOO_LARGE.format(what=what, megabytes=_megabytes(max_file_bytes)))
    return item


def _job(pipeline: Callable[[], Any], person: UploadFile, garment: UploadFile,
         garment_type: str, fmt: str) -> tuple[bytes, list[str], float]:
    """On a gate worker: read the spooled uploads, try on, encode (image bytes, warnings, s)."""
    person.file.seek(0)
    garment.file.seek(0)
    done = dress(pipeline, person.file.read(), garment.file.read(), garment_type)
    return encode(done.image, fmt), done.warnings, done.seconds


def _headers(warnings: list[str], seconds: float) -> dict[str, str]:
    headers = {"Server-Timing": f"pipeline;dur={seconds * 1000:.1f}"}
    if warnings:  # HTTP headers are latin-1: anything else is replaced
        text = WARNING_SEPARATOR.join(w.replace("\n", " ") for w in warnings)
        headers["X-Tryon-Warnings"] = text.encode("latin-1", "replace").decode("latin-1")
    return headers


def rest_routes(gate: Callable[[], Gate], pipeline: Callable[[], Any],
                max_file_bytes: int = MAX_FILE_BYTES) -> list[APIRoute]:
    """The REST endpoint as FastAPI routes (for ``Blocks.launch(app_kwargs={"routes": ...})``).
    ``gate()`` is the server's admission gate, ``pipeline()`` its loaded try-on pipeline."""

    async def try_on(request: Request) -> Response:
        form = None
        try:
            gate().check()  # a full server refuses before reading the uploads
            fmt = _choice(request.query_params.get("format"), "format", list(FORMATS), DEFAULT_FORMAT)
            form = await _form(request, max_file_bytes)
            fmt = _choice(form.get("format"), "format", list(FORMATS), fmt)
            garment_type = _choice(form.get("garment_type"), "garment type", GARMENT_TYPES, "auto")
            person, garment = (_upload(form, f, max_file_bytes) for f in FIELDS)
            data, warnings, seconds = await gate().run(_job, pipeline, person, garment, garment_type, fmt)
        except Busy as err:
            return _error(503, str(err), **{"Retry-After": str(err.retry_after)})
        except Refusal as err:
            return _error(err.status, str(err))
        except TryOnError as err:
            log.info("REST try-on refused: %s", err)
            return _error(400, str(err))
        except Exception:
            log.exception("REST try-on failed")
            return _error(500, GENERIC_ERROR)
        finally:
            if form is not None:
                await form.close()
        return Response(data, media_type=FORMATS[fmt].media_type, headers=_headers(warnings, seconds))

    async def health() -> JSONResponse:
        """Load and memory now, and the pipeline's own seconds of the latest try-ons."""
        g = gate()
        return JSONResponse({
            "status": "ok", "in_flight": g.in_flight, "workers": g.workers,
            "capacity": g.capacity, "refused": g.refused, "rss_mb": round(rss_mb(), 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "pipeline_seconds": list(RECENT_SECONDS)})

    return [APIRoute(REST_PATH, try_on, methods=["POST"], include_in_schema=False),
            APIRoute(HEALTH_PATH, health, methods=["GET"], include_in_schema=False)]
