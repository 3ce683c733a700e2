"""Every marshmallow field, plus :class:`Relationship` for JSON:API relationships.

The names match ``marshmallow_jsonapi.fields`` so that switching schema modules is a
one-line import change.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields as _ma_fields
from marshmallow.fields import *  # noqa: F403 - this module re-exports every marshmallow field

__all__ = [*_ma_fields.__all__, "Relationship", "DocumentMeta", "ResourceMeta"]


class Relationship(_ma_fields.Field):
    """A relationship to resources of ``type_``: to-one, or to-many with ``many=True``.

    ``attribute`` names the object attribute that holds the related object(s): an ORM
    relationship, or a foreign-key column when the value is the related id.
    ``include_resource_linkage`` always renders ``data`` linkage, not only when included.
    ``allow_replace=False`` forbids replacing a whole to-many relationship (403).
    """

    def __init__(
        self,
        related_url: str = "",
        related_url_kwargs: dict[str, Any] | None = None,
        *,
        self_url: str = "",
        self_url_kwargs: dict[str, Any] | None = None,
        include_resource_linkage: bool = False,
        schema: Any = None,
        many: bool = False,
        type_: str | None = None,
        id_field: str | None = None,
        allow_replace: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.related_url = related_url
        self.related_url_kwargs = related_url_kwargs or {}
        self.self_url = self_url
        self.self_url_kwargs = self_url_kwargs or {}
        self.include_resource_linkage = include_resource_linkage
        self.related_schema = schema
        self.many = many
        self.type_ = type_
        self.id_field = id_field or "id"
        self.allow_replace = allow_replace


class DocumentMeta(_ma_fields.Field):
    """Top-level ``meta`` of a document (accepted for compatibility, not serialised)."""


class ResourceMeta(_ma_fields.Field):
    """Resource-level ``meta`` (accepted for compatibility, not serialised)."""
