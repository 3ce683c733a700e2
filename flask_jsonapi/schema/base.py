"""The :class:`Schema` (marshmallow 3.18+ or 4) with JSON:API options in ``class Meta``."""

from __future__ import annotations

from typing import Any

import marshmallow


class SchemaOpts(marshmallow.SchemaOpts):
    """``Meta.type_`` (required: the resource type) and ``Meta.inflect`` (member names)."""

    def __init__(self, meta: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(meta, *args, **kwargs)
        self.type_ = getattr(meta, "type_", None)
        self.inflect = getattr(meta, "inflect", None)
        self.self_view = getattr(meta, "self_view", None)
        self.self_view_many = getattr(meta, "self_view_many", None)


class Schema(marshmallow.Schema):
    """A resource's schema: its ``id`` field, attributes and ``Relationship`` fields.

    Loading and dumping a single flat dict works as in marshmallow; documents are
    built by flask_jsonapi from the schema's fields, never by the schema itself.
    """

    OPTIONS_CLASS = SchemaOpts

    class Meta:
        type_: str | None = None

    def on_bind_field(self, field_name: str, field_obj: marshmallow.fields.Field) -> None:
        """``Meta.inflect`` names the member of each field without a ``data_key``.

        Set as the ``data_key``, the inflected name is what loading accepts, not only what
        documents show (as ``marshmallow_jsonapi.Schema`` does).
        """
        if self.opts.inflect is not None and field_obj.data_key is None:
            field_obj.data_key = self.opts.inflect(field_name)
