"""CSV downloads that stream under WSGI and ASGI alike.

Under ASGI, Django buffers a *synchronous* streaming iterator whole before sending it
(with a warning), which would hold a large workspace's CSV in memory. ``csv_response``
hands ASGI an async iterator that reads the lines in batches, each batch in the
request's sync thread (the database connection and the server-side cursor of
``QuerySet.iterator()`` live there), so the download stays a stream; under WSGI the
lines go out as they come.
"""

from __future__ import annotations

import itertools
import unicodedata

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse

STREAM_BATCH_LINES = 500
_FORMULA_STARTS = ("=", "+", "-", "@")
_CONTROL_STARTS = ("\t", "\r", "\n")


def csv_cell(value) -> str:
    """A text cell a spreadsheet will not run as a formula: a quote goes before a
    cell that starts with ``= + - @`` — also after leading white space, and in
    their fullwidth or other compatibility forms (``＝``, ``﹢``), which spreadsheets
    fold to the ASCII sign — or with a tab or line break."""
    text = "" if value is None else str(value)
    if text.startswith(_CONTROL_STARTS):
        return f"'{text}"
    head = unicodedata.normalize("NFKC", text[:64]).lstrip()
    return f"'{text}" if head.startswith(_FORMULA_STARTS) else text


def _next_batch(lines) -> str:
    """Up to ``STREAM_BATCH_LINES`` CSV lines joined ("" when the iterator is done)."""
    return "".join(itertools.islice(lines, STREAM_BATCH_LINES))


async def _async_batches(lines):
    lines = iter(lines)
    read = sync_to_async(_next_batch, thread_sensitive=True)
    while batch := await read(lines):
        yield batch


def csv_response(request, lines, filename: str) -> StreamingHttpResponse:
    """A streamed ``text/csv`` attachment of ``lines`` (an iterator of CSV lines)."""
    content = _async_batches(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
