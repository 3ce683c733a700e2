"""Schemas for JSON:API resources: ``Schema``, ``fields`` and the compiled forms.

``from flask_jsonapi.schema import Schema, fields`` is the same spelling as
``from marshmallow_jsonapi import Schema, fields``; schemas written with either work.
"""

from . import fields
from .base import Schema, SchemaOpts
from .compiled import AttributeSpec, CompiledSchema, RelationshipSpec, compile_schema

__all__ = [
    "AttributeSpec",
    "CompiledSchema",
    "RelationshipSpec",
    "Schema",
    "SchemaOpts",
    "compile_schema",
    "fields",
]
