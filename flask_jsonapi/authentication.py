"""Authentication by view decorators: the Api's own (every view it registers) and a view
set's (its views, and the atomic operations on its type).

A decorator refuses by answering in the view's place (``abort(401)``, ``("No", 401)``,
a response); that answer becomes a JSON:API error document with its status and its
``WWW-Authenticate`` header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import flask
import orjson
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from .document import error_document
from .exceptions import JsonApiException
from .negotiation import MEDIA_TYPE, content_type

_VIEW_ATTRIBUTES = ("methods", "provide_automatic_options", "view_class", "__name__")


def decorate(view: Callable, decorators: Sequence[Callable]) -> Callable:
    """``view`` wrapped in ``decorators`` (the first innermost), keeping the attributes Flask
    reads; a response a decorator gives instead of the view's (a refusal: 401, 403, ...)
    becomes a JSON:API error document with the decorator's status and headers."""
    wrapped = view
    for decorator in decorators:
        wrapped = decorator(wrapped)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        response = flask.make_response(wrapped(*args, **kwargs))
        if response.status_code < 400 or response.mimetype == MEDIA_TYPE:
            return response
        return error_response(refusal(response))

    for attribute in _VIEW_ATTRIBUTES:
        if hasattr(view, attribute):
            setattr(guarded, attribute, getattr(view, attribute))
    return guarded


def refusal(response: flask.Response) -> JsonApiException:
    """The error a decorator's own answer stands for (``abort(401)``, ``("No", 401)``)."""
    status = response.status_code
    text = response.get_data(as_text=True).strip()
    detail = text if text and len(text) <= 200 and "<" not in text else response.status
    headers = {k: v for k, v in response.headers.items() if k == "WWW-Authenticate"}
    return JsonApiException(
        None, detail, title=HTTP_STATUS_CODES.get(status), status=status, headers=headers
    )


def require_passage(decorators: Sequence[Callable]) -> None:
    """Run ``decorators`` around a view that does nothing; a decorator that answers in its
    place (or aborts) raises its refusal as a :class:`JsonApiException`."""
    passed: list[bool] = []

    def view(*args: Any, **kwargs: Any) -> Any:
        passed.append(True)
        return flask.Response(status=204)

    wrapped = view
    for decorator in decorators:
        wrapped = decorator(wrapped)
    try:
        answer = wrapped()
    except HTTPException as error:
        raise refusal(error.get_response()) from None
    if not passed:
        raise refusal(flask.make_response(answer))


def error_response(error: JsonApiException) -> flask.Response:
    """The JSON:API error document of ``error`` as a response."""
    response = flask.Response(orjson.dumps(error_document(error)), status=error.status)
    response.headers["Content-Type"] = content_type()
    response.headers["Vary"] = "Accept"
    response.headers.update(error.headers)
    return response


def guard_reach(decorated: dict[str, tuple[Callable, ...]], types: Iterable[str], own: str) -> None:
    """Run the view decorators of each type in ``types`` (but ``own``, whose decorators
    wrap the view itself) as if the request were for that type's URL: a request that
    reaches a guarded type's rows through another type (include, related and
    relationship endpoints, filters and sorts, linkage) is refused as that type would
    refuse it."""
    for type_ in dict.fromkeys(types):
        decorators = decorated.get(type_)
        if decorators and type_ != own:
            require_passage(decorators)
