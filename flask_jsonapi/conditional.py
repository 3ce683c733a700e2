"""Conditional requests: strong ``ETag`` validators, ``If-None-Match`` (304) on reads,
``If-Match`` (412, 428) on writes.

A representation's ETag is a hash of the very bytes of its document, so it changes
whenever the document does and costs no SQL. ``If-Match`` is compared (strongly) with
the ETag that ``GET`` of the same URL would answer now, computed inside the write's
transaction after the row is locked (:func:`check_if_match`), so two clients holding the
same ETag cannot both win. ``If-None-Match`` is compared weakly, as RFC 9110 says.

A resource whose model has a version column (SQLAlchemy's ``version_id_col``) gets a tag
made of that version and of what else tells its representations apart (the URL with its
query string, the media type): :func:`version_etag`. ``If-Match`` on its ``PATCH`` is
then checked by the ``UPDATE ... WHERE version = :v`` the ORM flushes, without a lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import flask
from werkzeug.datastructures import ETags
from werkzeug.http import parse_etags

from . import exceptions

__all__ = [
    "check_if_match",
    "etag_of",
    "if_match_required",
    "not_modified",
    "version_etag",
]

REQUIRE_IF_MATCH = "JSONAPI_REQUIRE_IF_MATCH"


def etag_of(body: bytes) -> str:
    """The strong entity tag of a document's bytes, quoted as the ``ETag`` header has it."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def version_etag(version: Any, url: str, media_type: str) -> str:
    """The strong entity tag of the representation at ``url`` (query string included) in
    ``media_type`` of a row whose version column holds ``version``: it changes exactly when
    the version does, and two representations of one row never share it."""
    digest = hashlib.blake2b(f"{url}\n{media_type}".encode(), digest_size=8).hexdigest()
    text = str(version)
    if text.isascii() and text.isalnum():
        return f'"v{text}-{digest}"'
    # A version that is no plain token (a timestamp, a UUID with dashes) is hashed in.
    return f'"v{hashlib.blake2b(text.encode(), digest_size=8).hexdigest()}-{digest}"'


def not_modified(etag: str) -> bool:
    """Whether this GET/HEAD request's ``If-None-Match`` names ``etag`` (or ``*``); weak
    comparison (``W/"x"`` matches ``"x"``)."""
    request = flask.request._get_current_object()
    header = request.environ.get("HTTP_IF_NONE_MATCH")  # as request.headers reads it
    if header is None or request.method not in ("GET", "HEAD"):
        return False
    return parse_etags(header).contains_weak(etag.strip('"'))


def if_match_required(option: bool | None) -> bool:
    """A resource's ``require_if_match`` option, or else ``JSONAPI_REQUIRE_IF_MATCH``."""
    if option is not None:
        return bool(option)
    return bool(flask.current_app.config.get(REQUIRE_IF_MATCH, False))


def check_if_match(
    header: str | None,
    current: Callable[[], str],
    *,
    required: bool,
    lock: Callable[[], Any] | None = None,
    what: str = "this resource",
    asked: str = "an If-Match header",
) -> None:
    """Refuse a write whose precondition fails: 428 when ``header`` (an ``If-Match`` value)
    is missing and ``required``; 412 when it names no tag equal to ``current()``, the ETag
    of the target's representation now. ``lock`` runs first (the row is locked until the
    transaction ends), so the comparison and the write see the same state; ``current`` may
    raise (404 for a missing target: RFC 9110 ignores preconditions then)."""
    if header is None:
        if required:
            raise exceptions.PreconditionRequired(
                f"Writes to {what} need {asked} with the ETag of its current "
                "representation (GET it first)."
            )
        return
    tags = parse_etags(header)
    if lock is not None:
        lock()
    etag = current()
    if not _matches(tags, etag):
        raise exceptions.PreconditionFailed(
            f"{what.capitalize()} has changed since the ETag you sent (If-Match); "
            "GET it again and retry with its new ETag."
        )


def _matches(tags: ETags, etag: str) -> bool:
    # Strong comparison: a weak tag never matches; ``*`` matches any current representation.
    return tags.star_tag or tags.contains(etag.strip('"'))
