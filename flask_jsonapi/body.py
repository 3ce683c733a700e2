"""Reading a request body without trusting its size: bounded chunks, never past the limit.

A body announced larger than the limit is refused before any of it is read; a chunked
body (no ``Content-Length``) is read until it ends or passes the limit, so a worker never
holds more than the limit and one chunk. A body whose framing breaks while it is read
(bad chunk sizes, a connection closed early) is the client's fault: 400, not 500.
"""

from __future__ import annotations

import logging

from flask.globals import _cv_request
from werkzeug.exceptions import RequestEntityTooLarge

from .exceptions import InvalidDocument, PayloadTooLarge

__all__ = ["read_body"]

logger = logging.getLogger("flask_jsonapi")

_CHUNK = 64 * 1024


def read_body(limit: int) -> bytes:
    """The body of the current request, at most ``limit`` bytes (413 beyond, 400 when it
    cannot be read)."""
    request = _cv_request.get().request  # the request itself: no proxy per attribute
    cached = getattr(request, "_cached_data", None)
    if cached is not None:  # a view decorator already read it with request.get_data()
        if len(cached) > limit:
            raise _too_large(limit, {"pointer": ""})
        return cached
    length = request.content_length
    if length is not None and length > limit:
        raise _too_large(limit, {"header": "Content-Length"})
    chunks: list[bytes] = []
    size = 0
    stream = request.stream
    while True:
        try:
            chunk = stream.read(min(_CHUNK, limit + 1 - size))
        except RequestEntityTooLarge:  # the app's MAX_CONTENT_LENGTH, enforced by Werkzeug
            raise _too_large(request.max_content_length or limit, {"pointer": ""}) from None
        except Exception as error:  # the server's reader: malformed chunks, a lost client
            logger.info("unreadable request body: %r", error)
            raise InvalidDocument(
                "The request body could not be read: its framing is broken "
                "(chunked encoding or Content-Length).",
                "",
                title="Unreadable request body",
            ) from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, {"pointer": ""})
        chunks.append(chunk)
        if size == length:
            # All that was announced: the stream (limited to Content-Length) has no more.
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int, source: dict[str, str]) -> PayloadTooLarge:
    return PayloadTooLarge(source, f"The request body exceeds {limit} bytes.")
