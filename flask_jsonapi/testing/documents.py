"""Build request bodies and read response documents in tests.

Builders return plain dicts to pass as ``json=``::

    client.post("/articles", json=resource(
        "articles", attributes={"title": "Hi"}, relationships={"author": ("people", "9")}
    ))
    client.patch("/articles/1/relationships/tags", json=linkage([("tags", "1")]))

Readers take a test response or an already parsed document.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

#: ``(type, id)``, an identifier dict, or ``None`` (an empty to-one).
Linkage = tuple[str, str] | Mapping[str, Any] | None

__all__ = [
    "assert_valid_document",
    "document_of",
    "error_pointers",
    "find_included",
    "identifier",
    "linkage",
    "primary_ids",
    "resource",
    "resource_object",
]


def identifier(type_: str, id_: str | int) -> dict[str, str]:
    """A resource identifier object ``{"type": ..., "id": ...}`` (the id as a string)."""
    return {"type": type_, "id": str(id_)}


def _linkage_data(value: Any) -> Any:
    if value is None or isinstance(value, Mapping):
        return None if value is None else dict(value)
    if isinstance(value, tuple):
        return identifier(*value)
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [_linkage_data(item) for item in value]
    raise TypeError(f"not a linkage: {value!r}; give (type, id), a list of them or None")


def linkage(data: Linkage | Iterable[Linkage]) -> dict[str, Any]:
    """A relationship body ``{"data": ...}``: a ``(type, id)``, a list of them, or ``None``."""
    return {"data": _linkage_data(data)}


def resource_object(
    type_: str,
    attributes: Mapping[str, Any] | None = None,
    relationships: Mapping[str, Any] | None = None,
    *,
    id: str | int | None = None,
    lid: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A resource object; each relationship value is given as :func:`linkage` takes it."""
    obj: dict[str, Any] = {"type": type_}
    if id is not None:
        obj["id"] = str(id)
    if lid is not None:
        obj["lid"] = lid
    if attributes is not None:
        obj["attributes"] = dict(attributes)
    if relationships is not None:
        obj["relationships"] = {name: linkage(value) for name, value in relationships.items()}
    if meta is not None:
        obj["meta"] = dict(meta)
    return obj


def resource(
    type_: str,
    attributes: Mapping[str, Any] | None = None,
    relationships: Mapping[str, Any] | None = None,
    *,
    id: str | int | None = None,
    lid: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A request body ``{"data": <resource object>}`` for a POST or PATCH of one resource."""
    return {"data": resource_object(type_, attributes, relationships, id=id, lid=lid, meta=meta)}


def document_of(response_or_document: Any) -> dict[str, Any]:
    """The document of a test response (its JSON body), or the given dict itself."""
    if isinstance(response_or_document, Mapping):
        return dict(response_or_document)
    body = response_or_document.get_data()
    if not body:
        raise AssertionError(
            f"the response ({response_or_document.status}) has no body, so no document"
        )
    try:
        document = json.loads(body)
    except ValueError:
        raise AssertionError(
            f"the response ({response_or_document.status}) body is not JSON: {body[:500]!r}"
        ) from None
    if not isinstance(document, dict):
        raise AssertionError(f"the document is not a JSON object: {document!r}")
    return document


def primary_ids(response_or_document: Any) -> list[str] | str | None:
    """The id of the primary data: a list for a collection, one id, or ``None`` for null."""
    data = document_of(response_or_document).get("data")
    if isinstance(data, list):
        return [item["id"] for item in data]
    return None if data is None else data["id"]


def find_included(response_or_document: Any, type_: str, id_: str | int) -> dict[str, Any]:
    """The resource ``type_``/``id_`` of ``included``; :class:`AssertionError` when absent."""
    included = document_of(response_or_document).get("included", [])
    for item in included:
        if item.get("type") == type_ and item.get("id") == str(id_):
            return item
    found = [(item.get("type"), item.get("id")) for item in included]
    raise AssertionError(f"({type_!r}, {str(id_)!r}) is not included; included: {found}")


def error_pointers(response_or_document: Any) -> list[tuple[str | None, str | None]]:
    """``(status, source.pointer or source.parameter or source.header)`` of each error."""
    errors = document_of(response_or_document).get("errors")
    if errors is None:
        raise AssertionError("the document has no 'errors' member")
    pairs = []
    for error in errors:
        source = error.get("source") or {}
        where = source.get("pointer", source.get("parameter", source.get("header")))
        pairs.append((error.get("status"), where))
    return pairs


def assert_valid_document(response_or_document: Any, version: str = "1.1") -> dict[str, Any]:
    """Fail unless the document is valid under the bundled JSON:API schema; return it.

    A response must also carry the JSON:API media type. ``version`` is ``'1.1'`` or ``'1.0'``.
    """
    from .validation import validate_response  # needs the ``testing`` extra

    if not isinstance(response_or_document, Mapping):
        mimetype = response_or_document.mimetype
        if mimetype != "application/vnd.api+json":
            raise AssertionError(
                f"the response's media type is {mimetype!r}, not application/vnd.api+json"
            )
    document = document_of(response_or_document)
    validate_response(document, version)
    return document
