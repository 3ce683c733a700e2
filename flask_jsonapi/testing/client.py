"""A Flask test client that speaks JSON:API and validates every JSON:API response.

Use it with ``app.test_client_class = JsonApiClient`` (then ``app.test_client()``), or
``JsonApiClient(app)``, or the ``jsonapi_client`` pytest fixture. Compared with
``FlaskClient``:

* Every request gets ``Accept: application/vnd.api+json`` unless the caller passed an
  ``Accept`` header.
* ``json=document`` is sent as JSON with ``Content-Type: application/vnd.api+json``
  unless the caller gave ``content_type=...`` or a ``Content-Type`` header. A raw body
  passed as ``data=...`` is left untouched (no Content-Type is added for it).
* After each request, if the response has a body and its Content-Type starts with
  ``application/vnd.api+json``, the body is parsed as JSON and validated with
  :func:`flask_jsonapi.testing.validation.validate_response` against the bundled JSON:API
  schemas; an invalid document (or a body that is not JSON) fails the test with
  :class:`AssertionError`. Atomic Operations documents, which no official schema covers,
  get a reduced check (see :func:`~flask_jsonapi.testing.validation.response_errors`).
* Responses have a ``.document`` property: the parsed JSON body (for any JSON media
  type) or ``None`` (no body, or not JSON).

Per-request switches (keyword arguments of ``get``/``post``/... and ``open``):

* ``validate=False`` skips the response validation for that request.
* ``jsonapi_headers=False`` sends the request exactly as plain ``FlaskClient`` would
  (no default ``Accept``, ``json=`` gets ``application/json``).

The schema version used for validation is the ``jsonapi_version`` attribute ('1.1' by
default; set it on the client or on a subclass); ``validate_responses = False`` on the
client turns the validation off for every request.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import flask.testing
from werkzeug.datastructures import Headers
from werkzeug.test import TestResponse

from ..negotiation import MEDIA_TYPE as JSONAPI_MEDIA_TYPE

__all__ = ["JSONAPI_MEDIA_TYPE", "JsonApiClient", "JsonApiResponseMixin"]


def _is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


class JsonApiResponseMixin:
    """Adds ``.document`` to test responses."""

    @functools.cached_property
    def document(self) -> Any:
        """The parsed JSON body, or ``None`` when there is no body or it is not JSON.

        A body with a JSON media type that does not parse raises ``ValueError``.
        """
        response: TestResponse = self  # type: ignore[assignment]
        body = response.get_data()
        if not body or not _is_json_mimetype(response.mimetype or ""):
            return None
        return json.loads(body)


@functools.cache
def _response_class(wrapper: type[TestResponse]) -> type[TestResponse]:
    if issubclass(wrapper, JsonApiResponseMixin):
        return wrapper
    return type(f"JsonApi{wrapper.__name__}", (JsonApiResponseMixin, wrapper), {})


class JsonApiClient(flask.testing.FlaskClient):
    """``FlaskClient`` with JSON:API defaults and response validation (see module doc)."""

    jsonapi_version: str = "1.1"
    validate_responses: bool = True

    def __init__(self, application: flask.Flask, *args: Any, **kwargs: Any) -> None:
        if not args and "response_wrapper" not in kwargs:
            # ``JsonApiClient(app)`` as well as ``app.test_client()``.
            args = (application.response_class,)
        super().__init__(application, *args, **kwargs)
        self.response_wrapper = _response_class(self.response_wrapper)

    def open(
        self,
        *args: Any,
        validate: bool = True,
        jsonapi_headers: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        # Only requests described by keyword arguments (url + options) get the defaults;
        # an EnvironBuilder / environ / Request (as used to follow redirects) is sent as is.
        if jsonapi_headers and not (args and not isinstance(args[0], str)):
            kwargs = self._with_jsonapi_defaults(kwargs)
        response = super().open(*args, **kwargs)
        if validate and self.validate_responses:
            self.check_response(response)
        return response

    @staticmethod
    def _with_jsonapi_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(kwargs)
        headers = Headers(kwargs.get("headers") or ())
        if "Accept" not in headers:
            headers["Accept"] = JSONAPI_MEDIA_TYPE
        if (
            kwargs.get("json") is not None
            and kwargs.get("content_type") is None
            and kwargs.get("mimetype") is None
            and "Content-Type" not in headers
        ):
            kwargs["content_type"] = JSONAPI_MEDIA_TYPE
        kwargs["headers"] = headers
        return kwargs

    def check_response(self, response: TestResponse) -> None:
        """Fail (``AssertionError``) if ``response`` carries an invalid JSON:API document."""
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith(JSONAPI_MEDIA_TYPE):
            return
        body = response.get_data()
        if not body:
            return
        request = response.request
        what = f"{request.method} {request.full_path.rstrip('?')} -> {response.status}"
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise AssertionError(
                f"{what}: Content-Type is {content_type!r} but the body is not JSON ({exc}):\n"
                f"{body[:2000]!r}"
            ) from None
        from .validation import validate_response  # needs the ``testing`` extra

        try:
            validate_response(document, self.jsonapi_version)
        except AssertionError as exc:
            raise AssertionError(f"{what}: {exc}") from None
