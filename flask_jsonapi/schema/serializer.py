"""Resource objects from model objects, compiled once per (schema, sparse fieldset).

Reads attributes directly and calls a marshmallow field's conversion only where the
value needs one, so serialising a resource costs a few dict writes, not a schema dump.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, Protocol

from marshmallow import fields as ma_fields
from marshmallow import missing
from marshmallow.utils import get_value
from sqlalchemy.orm import WriteOnlyCollection

from ..links import LinkKit, quote_id
from ..write_only import all_members
from .compiled import CompiledSchema, RelationshipSpec

# Field classes whose conversion leaves a value of these exact types unchanged.
_PASSTHROUGH: dict[type, tuple[type, ...]] = {
    ma_fields.String: (str,),
    # String's conversion, with a validator on load only.
    ma_fields.Email: (str,),
    ma_fields.Url: (str,),
    ma_fields.Integer: (int,),
    ma_fields.Boolean: (bool,),
    ma_fields.Float: (float,),
    ma_fields.Raw: (str, int, float, bool, list, dict),
}


# Field classes whose ISO formats are plain method calls on values of exactly this type.
_TEMPORAL: dict[type, type] = {
    ma_fields.DateTime: dt.datetime,
    ma_fields.NaiveDateTime: dt.datetime,
    ma_fields.Date: dt.date,
    ma_fields.Time: dt.time,
}


class LinkSource(Protocol):
    """What the serializer needs to write links (built per request by the document)."""

    def kit(self, type_: str) -> LinkKit: ...


def read(obj: Any, attribute: str) -> Any:
    """The value of ``attribute`` on an object or a mapping (``None`` when absent)."""
    mapping = _MAPPING_TYPES.get(type(obj))
    if mapping is None:
        mapping = _is_mapping(type(obj))
    if mapping:
        value = get_value(obj, attribute)
        return None if value is missing else value
    return attrgetter(attribute)(obj) if "." in attribute else getattr(obj, attribute, None)


def read_each(objects: list[Any], attribute: str) -> list[Any]:
    """``read(obj, attribute)`` of each of ``objects``, in one pass of C calls when none
    is a mapping (a document reads the ids of hundreds of resources)."""
    if "." not in attribute and not any(map(_is_mapping, set(map(type, objects)))):
        try:
            return list(map(attrgetter(attribute), objects))
        except AttributeError:
            pass  # some object lacks it: read() gives None for that one
    return [read(obj, attribute) for obj in objects]


_MAPPING_TYPES: dict[type, bool] = {}


def _is_mapping(kind: type) -> bool:
    # isinstance() against the Mapping ABC is slow and runs for every value read.
    try:
        return _MAPPING_TYPES[kind]
    except KeyError:
        _MAPPING_TYPES[kind] = result = issubclass(kind, Mapping)
        return result


def serializer_for(compiled: CompiledSchema, fieldset: frozenset[str] | None) -> ResourceSerializer:
    """The serializer of ``compiled`` for a sparse fieldset (``None``: every field), built
    once and kept with the compiled schema."""
    serializer = compiled._serializers.get(fieldset)
    if serializer is None:
        serializer = compiled._serializers[fieldset] = ResourceSerializer(compiled, fieldset)
    return serializer


class ResourceSerializer:
    """Turns objects of one resource type into resource objects for one fieldset."""

    def __init__(self, compiled: CompiledSchema, fieldset: frozenset[str] | None) -> None:
        self.compiled = compiled
        self.type_ = compiled.type_
        self._id_attribute = compiled.id_attribute
        self._id_dotted = "." in compiled.id_attribute
        self._attributes = [
            (spec.member, spec.attribute, spec.name, spec.field, *_fast_path(spec.field))
            for spec in compiled.attributes.values()
            if spec.dump and (fieldset is None or spec.member in fieldset)
        ]
        self.relationships: list[RelationshipSpec] = [
            spec
            for spec in compiled.relationships.values()
            if fieldset is None or spec.member in fieldset
        ]
        self._accessor = compiled.instance.get_attribute
        # A schema with dump hooks: its attributes come from marshmallow's dump, hooks run.
        self._dumper = None
        if compiled.dump_hooks:
            specs = [
                spec
                for spec in compiled.attributes.values()
                if spec.dump and (fieldset is None or spec.member in fieldset)
            ]
            self._dumper = compiled.dumper([spec.name for spec in specs])
            self._dumped = [(spec.member, spec.field.data_key or spec.name) for spec in specs]
            self._attributes = []

    def identifier(self, obj: Any) -> dict[str, str]:
        """The resource identifier object of ``obj``."""
        return {"type": self.type_, "id": self.compiled.format_id(read(obj, self._id_attribute))}

    def serialize(
        self,
        obj: Any,
        links: LinkSource,
        linkage: frozenset[str] = frozenset(),
        checks: Mapping[str, Callable[[Any], bool]] | None = None,
    ) -> dict:
        """The resource object; ``linkage`` names relationships that must carry ``data``;
        ``checks`` (type -> check of an object) leave hidden members out of it."""
        return self.resource(obj, links.kit(self.type_), linkage, checks)

    def resource(
        self,
        obj: Any,
        kit: LinkKit,
        linkage: frozenset[str] = frozenset(),
        checks: Mapping[str, Callable[[Any], bool]] | None = None,
    ) -> dict:
        """:meth:`serialize` with the type's link templates at hand: a document of many
        resources of one type looks them up once."""
        is_mapping = _MAPPING_TYPES.get(type(obj))
        if is_mapping is None:
            is_mapping = _is_mapping(type(obj))
        if is_mapping or self._id_dotted:
            raw_id = read(obj, self._id_attribute)
        else:
            raw_id = getattr(obj, self._id_attribute, None)
        if type(raw_id) is int:
            id_ = quoted = str(raw_id)  # digits (a '-' at most): nothing to quote
        else:
            id_ = raw_id if type(raw_id) is str else self.compiled.format_id(raw_id)
            # quote_id's own test, without its call for the ids that need no quoting
            quoted = id_ if id_.isascii() and id_.isalnum() else quote_id(id_)
        resource: dict[str, Any] = {"type": self.type_, "id": id_}
        attributes = {}
        if self._dumper is not None:
            flat = self._dumper.dump(obj)
            attributes = {member: flat[key] for member, key in self._dumped if key in flat}
        for member, attribute, name, field, native, convert in self._attributes:
            if native is not None and not is_mapping:
                value = getattr(obj, attribute, None)
                if value is None:
                    attributes[member] = None
                    continue
                if type(value) in native:
                    attributes[member] = value if convert is None else convert(value)
                    continue
            value = field.serialize(name, obj, self._accessor)
            if value is not missing:
                attributes[member] = value
        resource["attributes"] = attributes
        if self.relationships:
            heads = kit.relationship_heads(quoted)
            if heads is not None:
                self_head, self_tail, related_head, related_tail = heads
            relationships = {}
            for spec in self.relationships:
                member = spec.member
                relationship: dict[str, Any] = {}
                if heads is not None:
                    relationship["links"] = {
                        "self": self_head + member + self_tail,
                        "related": related_head + member + related_tail,
                    }
                if spec.include_linkage or heads is None or member in linkage:
                    check = checks.get(spec.type_) if checks else None
                    attribute = spec.attribute
                    if is_mapping or "." in attribute:
                        value = read(obj, attribute)
                    else:
                        value = getattr(obj, attribute, None)
                    relationship["data"] = linkage_of(spec, value, check)
                relationships[member] = relationship
            resource["relationships"] = relationships
        self_link = kit.self_link(quoted)
        if self_link:
            resource["links"] = {"self": self_link}
        return resource


def linkage_of(
    spec: RelationshipSpec, value: Any, check: Callable[[Any], bool] | None = None
) -> Any:
    """Resource linkage (``data``) of a relationship from the object attribute's value;
    members ``check`` refuses are left out (a hidden to-one is ``null``)."""
    id_field = getattr(spec.field, "id_field", None) or "id"
    type_ = spec.type_
    if spec.many:
        # Tested here, not by a call of all_members: this runs for every resource shown.
        if isinstance(value, WriteOnlyCollection):
            value = all_members(value)
        items = value or ()
        if check is not None:
            items = [item for item in items if check(item)]
        if "." not in id_field and all(map(_object_kind, set(map(type, items)))):
            try:  # one C pass over the members' ids
                return [{"type": type_, "id": str(i)} for i in map(attrgetter(id_field), items)]
            except AttributeError:
                pass  # some member lacks it: _linked_id gives "None" for that one
        return [{"type": type_, "id": _linked_id(item, id_field)} for item in items]
    if value is None or (check is not None and not check(value)):
        return None
    return {"type": type_, "id": _linked_id(value, id_field)}


def _linked_id(value: Any, id_field: str) -> str:
    """The ``id`` of a linked member: ``value`` itself when it is a key, else its
    ``id_field``."""
    kind = type(value)
    if kind is int or kind is str or isinstance(value, (str, int)):
        return str(value)
    if _MAPPING_TYPES.get(kind) is False and "." not in id_field:
        return str(getattr(value, id_field, None))
    return str(read(value, id_field))


_OBJECT_KINDS: dict[type, bool] = {}


def _object_kind(kind: type) -> bool:
    """Whether linked members of this type are objects whose id is an attribute (neither
    keys nor mappings), decided once per type."""
    try:
        return _OBJECT_KINDS[kind]
    except KeyError:
        result = not issubclass(kind, (str, int)) and not _is_mapping(kind)
        _OBJECT_KINDS[kind] = result
        return result


def _fast_path(field: ma_fields.Field) -> tuple[tuple[type, ...] | None, Any]:
    """The value types a field serialises without marshmallow, and the conversion if any.

    Strings, numbers and booleans of their own type pass through; dates and times in an
    ISO format are converted by the same function marshmallow would call.
    """
    kind = type(field)
    if field.attribute and "." in field.attribute:
        return None, None
    if kind in _PASSTHROUGH:
        if isinstance(field, (ma_fields.Float, ma_fields.Integer)) and getattr(
            field, "as_string", 0
        ):
            return None, None
        return _PASSTHROUGH[kind], None
    if kind in _TEMPORAL:
        convert = kind.SERIALIZATION_FUNCS.get(field.format or kind.DEFAULT_FORMAT)
        if convert is not None:
            return (_TEMPORAL[kind],), convert
    return None, None


SerializeFn = Callable[[Any], dict]
