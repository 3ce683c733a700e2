"""Conditional requests in the OpenAPI document (private API): the ``ETag`` header of the
answers that carry one, ``If-None-Match`` and 304 on reads, ``If-Match`` with 412 (and 428
where it is required) on writes, as :mod:`flask_jsonapi.conditional` serves them."""

from __future__ import annotations

from typing import Any

from ..conditional import REQUIRE_IF_MATCH
from ..registry import ResourceEntry

__all__ = ["created", "etags_served", "if_match", "if_match_required", "read", "write"]

ETAG = {
    "description": (
        "The strong entity tag of this representation (the same URL, query string and "
        "media type), for If-None-Match and If-Match."
    ),
    "schema": {"type": "string"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags of copies the client has: 304 with no body when one is current.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = {
    "description": "Not modified: the If-None-Match tag is current; no body.",
    "headers": {"ETag": ETAG},
}


def if_match(required: bool) -> dict[str, Any]:
    """The ``If-Match`` header parameter of a write."""
    return {
        "name": "If-Match",
        "in": "header",
        "required": required,
        "description": (
            "The ETag of the target's current representation (GET of this URL): 412 when it "
            "has changed since"
            + (", 428 when missing." if required else "; without it the write is not checked.")
        ),
        "schema": {"type": "string"},
    }


def etags_served(app: Any, endpoint: str | None) -> bool:
    """Whether the view of ``endpoint`` answers ETags (a view class's ``etags``)."""
    view = app.view_functions.get(endpoint or "")
    return bool(getattr(getattr(view, "view_class", None), "etags", True))


def if_match_required(app: Any, entry: ResourceEntry, endpoint: str | None) -> bool:
    """Whether writes to ``entry``'s views need ``If-Match``: the view set's
    ``require_if_match`` (or its ``view_kwargs``'), else the view class's, else
    ``JSONAPI_REQUIRE_IF_MATCH``."""
    option = None
    viewset = entry.viewset
    if viewset is not None:
        option = (viewset.view_kwargs or {}).get("require_if_match", viewset.require_if_match)
    if option is None:
        view = app.view_functions.get(endpoint or "")
        option = getattr(getattr(view, "view_class", None), "require_if_match", None)
    if option is None:
        option = app.config.get(REQUIRE_IF_MATCH, False)
    return bool(option)


def read(operation: dict[str, Any], *, etags: bool) -> dict[str, Any]:
    """A GET ``operation`` with its ETag, ``If-None-Match`` and 304 (when ``etags``)."""
    if etags:
        operation.setdefault("parameters", []).append(dict(IF_NONE_MATCH))
        _tag(operation["responses"])
        operation["responses"]["304"] = {**NOT_MODIFIED, "headers": {"ETag": dict(ETAG)}}
    return operation


def write(
    operation: dict[str, Any],
    errors: dict[str, Any],
    *,
    etags: bool,
    required: bool,
) -> dict[str, Any]:
    """A PATCH/POST/DELETE ``operation`` on an existing target with ``If-Match`` and its
    errors (``errors``: status -> the error response, 412 and 428), and the ETag of its
    answer (when ``etags``; a DELETE's answer has none)."""
    operation.setdefault("parameters", []).append(if_match(required))
    responses = operation["responses"]
    responses["412"] = errors["412"]
    if required:
        responses["428"] = errors["428"]
    if etags:
        _tag(responses)
    return operation


def created(operation: dict[str, Any], *, etags: bool) -> dict[str, Any]:
    """A POST that creates: its 201 carries the new resource's ETag (when ``etags``)."""
    if etags:
        _tag(operation["responses"])
    return operation


def _tag(responses: dict[str, Any]) -> None:
    for status in ("200", "201"):
        response = responses.get(status)
        if response is not None and "content" in response:
            response.setdefault("headers", {})["ETag"] = dict(ETAG)
