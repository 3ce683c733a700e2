"""Schema-introspection helpers kept from the original flask-jsonapi (``flask_jsonapi.utils``).

They take a schema (class or instance, :class:`flask_jsonapi.schema.Schema` or
``marshmallow_jsonapi.Schema``) and the *declared field name* (the Python attribute of the
schema, not the ``data_key``), as the original's did: ``field_exist(schema, field)``.
The Django-style query helper is :mod:`flask_jsonapi.utils.sqlalchemy_django_query`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields as ma_fields

from ..schema.compiled import is_relationship as _is_relationship_field

__all__ = [
    "EqualityMixin",
    "field_exist",
    "get_field_class",
    "get_model_field",
    "is_field_mapped",
    "is_relationship",
]


class EqualityMixin:
    """Instances are equal when they are of the same class (or a subclass of the other's)
    and their ``__dict__`` are equal.

    Defining ``__eq__`` makes instances unhashable, as in the original.
    """

    def __eq__(self, other: object) -> bool:
        if isinstance(self, other.__class__):
            return self.__dict__ == other.__dict__
        return NotImplemented


def _declared_fields(schema: Any) -> dict[str, ma_fields.Field]:
    return schema._declared_fields


def _schema_name(schema: Any) -> str:
    return schema.__name__ if isinstance(schema, type) else type(schema).__name__


def _declared_field(schema: Any, field: str) -> ma_fields.Field:
    declared = _declared_fields(schema).get(field)
    if declared is None:
        raise ValueError(f"{_schema_name(schema)} has no attribute {field}")
    return declared


def field_exist(schema: Any, field: str) -> bool:
    """Whether ``schema`` declares a field named ``field``."""
    return _declared_fields(schema).get(field) is not None


def is_field_mapped(schema: Any, field: str) -> bool:
    """Whether the field sets ``attribute=`` (reads/writes another object attribute).

    ``ValueError("<Schema> has no attribute <field>")`` if the schema has no such field.
    """
    return _declared_field(schema, field).attribute is not None


def is_relationship(schema: Any, field: str) -> bool:
    """Whether the field is a JSON:API relationship (either schema module's ``Relationship``).

    Same test as :func:`flask_jsonapi.schema.compiled.is_relationship`; ``ValueError`` if
    the schema has no such field.
    """
    return _is_relationship_field(_declared_field(schema, field))


def get_model_field(schema: Any, field: str) -> str:
    """The model attribute behind the field: its ``attribute=`` or else its own name.

    ``ValueError`` if the schema has no such field.
    """
    attribute = _declared_field(schema, field).attribute
    return field if attribute is None else attribute


def get_field_class(
    schema: Any, field: str, default: type[ma_fields.Field] = ma_fields.String
) -> type[ma_fields.Field]:
    """The field's class; ``default`` (``String``) for relationships and unknown fields.

    (The original's default was ``marshmallow_jsonapi.fields.Str``, which is marshmallow's
    ``String``.)
    """
    declared = _declared_fields(schema).get(field)
    if declared is None or _is_relationship_field(declared):
        return default
    return type(declared)
