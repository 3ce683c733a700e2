"""The error hierarchy: every failure a client can cause, as a JSON:API error object.

The names and constructor signatures are the original flask-jsonapi's; what they render
follows JSON:API (``status`` is a string, ``source`` is omitted when there is none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class JsonApiException(Exception):
    """A failure that becomes a JSON:API error document with ``status``."""

    title = "Unknown error"
    status = 500

    def __init__(
        self,
        source: Mapping[str, Any] | None = None,
        detail: str | None = None,
        *args: Any,
        title: str | None = None,
        status: int | str | None = None,
        code: str | None = None,
        meta: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        links: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail, *args)
        self.source = source
        self.detail = detail
        if title is not None:
            self.title = title
        if status is not None:
            self.status = int(status)
        self.code = code
        self.meta = meta
        self.headers = dict(headers or {})
        self.links = links

    def to_dict(self) -> dict[str, Any]:
        """The error object of this exception."""
        error: dict[str, Any] = {"status": str(self.status), "title": self.title}
        if self.code:
            error["code"] = self.code
        if self.detail is not None:
            error["detail"] = str(self.detail)
        meta = dict(self.meta or {})
        if isinstance(self.source, str):
            # The original allowed any `source`; a string is no JSON:API source object,
            # so it is kept under meta instead of breaking the error document.
            if self.source:
                meta.setdefault("source", self.source)
        elif self.source:
            error["source"] = dict(self.source)
        if meta:
            error["meta"] = meta
        if self.links:
            error["links"] = dict(self.links)
        return error

    def error_objects(self) -> list[dict[str, Any]]:
        """All error objects this exception stands for (one, unless it groups several)."""
        return [self.to_dict()]

    def with_pointer_prefix(self, prefix: str) -> JsonApiException:
        """Re-point ``source.pointer`` under ``prefix`` (used by Atomic Operations)."""
        if isinstance(self.source, Mapping) and "pointer" in self.source:
            pointer = self.source["pointer"]
            self.source = {**self.source, "pointer": prefix + _strip_data(pointer)}
        return self


def pointer_token(name: str) -> str:
    """A member name as one JSON Pointer token (RFC 6901: ``~`` is ``~0``, ``/`` is ``~1``)."""
    return name.replace("~", "~0").replace("/", "~1")


def _strip_data(pointer: str) -> str:
    return pointer[len("/data") :] if pointer.startswith("/data") else pointer


class ConfigurationError(Exception):
    """A mistake in how resources are declared, found before any request is answered
    (``Api.validate``); the message names the schema or view set, the field and the fix."""


class BadRequest(JsonApiException):
    title = "Bad request"
    status = 400


class _QueryParameterError(BadRequest):
    parameter = ""

    def __init__(self, detail: str, parameter: str | None = None, **kwargs: Any) -> None:
        super().__init__({"parameter": parameter or self.parameter}, detail, **kwargs)


class InvalidField(_QueryParameterError):
    title = "Invalid fields querystring parameter."
    parameter = "fields"


class UnknownFieldType(InvalidField, KeyError):
    """``fields[TYPE]`` naming no resource type: a 400 in a request, and a ``KeyError``
    to code that parses fields itself (marshmallow raised one in the original)."""

    __str__ = Exception.__str__  # the detail, not KeyError's repr of it


class UnknownField(InvalidField, ValueError):
    """``fields[TYPE]`` naming no field of the type: a 400 in a request, and a
    ``ValueError`` to code that parses fields itself (as marshmallow raised in the original)."""


class InvalidInclude(_QueryParameterError):
    title = "Invalid include querystring parameter."
    parameter = "include"


class InvalidFilters(_QueryParameterError):
    title = "Invalid filters querystring parameter."
    parameter = "filter"


class UnknownFilter(InvalidFilters, ValueError):
    """A filter key that names no column or no operator: a 400 in a request, and a
    ``ValueError`` to code that calls a repository's ``get_list`` itself (the original
    raised one)."""


class InvalidSort(_QueryParameterError):
    title = "Invalid sort querystring parameter."
    parameter = "sort"


class InvalidPage(_QueryParameterError):
    title = "Invalid page querystring parameter."
    parameter = "page"


class InvalidQueryParameter(_QueryParameterError):
    title = "Invalid query parameter."


class InvalidDocument(BadRequest):
    """A request body that is not the JSON:API document the endpoint expects."""

    title = "Invalid request document"

    def __init__(self, detail: str, pointer: str = "", **kwargs: Any) -> None:
        super().__init__({"pointer": pointer}, detail, **kwargs)


class ObjectNotFound(JsonApiException):
    title = "Object not found"
    status = 404


class RelatedObjectNotFound(ObjectNotFound):
    title = "Related object not found"


class RelationNotFound(JsonApiException):
    title = "Relation not found"
    status = 500


class MethodNotAllowed(JsonApiException):
    title = "Method not allowed"
    status = 405

    def __init__(self, detail: str | None = None, source: Mapping[str, Any] | None = None, **kw):
        super().__init__(source, detail, **kw)


class InvalidType(JsonApiException):
    title = "Invalid type"
    status = 409


class Conflict(JsonApiException):
    title = "Conflict"
    status = 409


class NotImplementedMethod(JsonApiException):
    title = "Method not implemented"
    status = 501

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(None, detail, **kwargs)


class ForbiddenError(JsonApiException):
    title = "Operation forbidden."
    status = 403

    def __init__(self, detail: str | None = None, source: Mapping[str, Any] | None = None, **kw):
        super().__init__(source, detail, **kw)


class NotAcceptable(JsonApiException):
    title = "Not acceptable"
    status = 406


class UnsupportedMediaType(JsonApiException):
    title = "Unsupported media type"
    status = 415


class PayloadTooLarge(JsonApiException):
    title = "Payload too large"
    status = 413


class PreconditionFailed(JsonApiException):
    """412: the ``If-Match`` of a write names no current representation of its target."""

    title = "Precondition failed"
    status = 412

    def __init__(self, detail: str | None = None, header: str = "If-Match", **kwargs: Any) -> None:
        super().__init__({"header": header}, detail, **kwargs)


class PreconditionRequired(JsonApiException):
    """428: this resource takes writes only with ``If-Match``."""

    title = "Precondition required"
    status = 428

    def __init__(self, detail: str | None = None, header: str = "If-Match", **kwargs: Any) -> None:
        super().__init__({"header": header}, detail, **kwargs)


class ServiceUnavailable(JsonApiException):
    """The database cannot answer now (connection lost, unreachable, statement timed out);
    the client may retry after ``Retry-After`` seconds."""

    title = "Service unavailable"
    status = 503

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **kwargs: Any) -> None:
        headers = {"Retry-After": str(retry_after), **dict(kwargs.pop("headers", None) or {})}
        super().__init__(None, detail, headers=headers, **kwargs)


class AttributeValidationError(JsonApiException):
    title = "Attribute error"
    status = 422

    def __init__(
        self,
        detail: str | None = None,
        source: Mapping[str, Any] | None = None,
        attribute: str | None = None,
        **kwargs: Any,
    ) -> None:
        if source is None and attribute is not None:
            source = {"pointer": f"/data/attributes/{pointer_token(attribute)}"}
        super().__init__(source, detail, **kwargs)


class ErrorList(JsonApiException):
    """Several errors answered together (one per invalid field, for instance)."""

    def __init__(self, errors: Iterable[JsonApiException], status: int | None = None) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(
            first.source, first.detail, title=first.title, status=status or first.status
        )

    def error_objects(self) -> list[dict[str, Any]]:
        return [error.to_dict() for error in self.errors]

    def with_pointer_prefix(self, prefix: str) -> JsonApiException:
        for error in self.errors:
            error.with_pointer_prefix(prefix)
        return self


class ValidationFailed(AttributeValidationError):
    """One invalid member of a request document (422)."""

    title = "Invalid value"
