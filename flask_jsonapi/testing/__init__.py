"""Testing helpers for applications built with flask-jsonapi.

* :class:`JsonApiClient`: a Flask test client that sends and accepts the JSON:API media
  type and validates every JSON:API response against the bundled JSON Schemas.
* Body builders (:func:`resource`, :func:`linkage`, :func:`identifier`) and document
  readers (:func:`document_of`, :func:`primary_ids`, :func:`find_included`,
  :func:`error_pointers`).
* :func:`assert_valid_document`: a response or dict is a valid JSON:API document.
* A pytest plugin (loaded automatically once flask-jsonapi is installed) with the
  ``jsonapi_client`` fixture, built from your ``app`` fixture.

Validation needs the ``testing`` extra: ``pip install 'flask-jsonapi[testing]'``.
"""

from .client import JSONAPI_MEDIA_TYPE, JsonApiClient
from .documents import (
    assert_valid_document,
    document_of,
    error_pointers,
    find_included,
    identifier,
    linkage,
    primary_ids,
    resource,
    resource_object,
)

__all__ = [
    "JSONAPI_MEDIA_TYPE",
    "JsonApiClient",
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
