"""Reusable test harness: JSON:API schema validation, a validating Flask test client,
an SQL statement counter and database helpers."""

from flask_jsonapi.testing.validation import (
    SchemaNotFoundError,
    is_atomic_document,
    request_errors,
    response_errors,
    schema_dir,
    validate_request,
    validate_response,
)

__all__ = [
    "SchemaNotFoundError",
    "is_atomic_document",
    "request_errors",
    "response_errors",
    "schema_dir",
    "validate_request",
    "validate_response",
]
