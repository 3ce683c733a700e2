"""A schema class compiled once into what documents need: type, id, attributes, relationships.

Works for :class:`flask_jsonapi.schema.Schema` and for ``marshmallow_jsonapi.Schema``
alike, so the documents are the same whichever module the user picked.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import marshmallow
from marshmallow import fields as ma_fields

from ..exceptions import ErrorList, ValidationFailed, pointer_token
from ..limits import int64_fits
from .compat import ordered_fields

MEMBER_NAME = re.compile(
    r"^[a-zA-Z0-9\u0080-\uffff](?:[a-zA-Z0-9_\- \u0080-\uffff]*[a-zA-Z0-9\u0080-\uffff])?$"
)
_IGNORED_FIELD_CLASSES = {"DocumentMeta", "ResourceMeta"}


@dataclass(frozen=True, eq=False)
class AttributeSpec:
    """One attribute of a resource: its member name, schema field and object attribute."""

    member: str
    name: str
    attribute: str
    field: ma_fields.Field
    dump: bool
    load: bool


@dataclass(frozen=True, eq=False)
class RelationshipSpec:
    """One relationship: member name, related type, cardinality and object attribute."""

    member: str
    name: str
    attribute: str
    type_: str
    many: bool
    include_linkage: bool
    allow_replace: bool
    load: bool
    field: ma_fields.Field
    related_schema: Any = None


def is_relationship(schema_field: ma_fields.Field) -> bool:
    """Whether a field is a JSON:API relationship (ours or marshmallow_jsonapi's)."""
    return all(
        hasattr(schema_field, name) for name in ("type_", "many", "include_resource_linkage")
    )


@dataclass(eq=False)
class CompiledSchema:
    """Everything the library needs of one schema class, computed once."""

    schema_cls: type
    type_: str
    instance: marshmallow.Schema
    id_spec: AttributeSpec | None
    attributes: dict[str, AttributeSpec]
    relationships: dict[str, RelationshipSpec]
    # Integer attributes, whose values are checked against 64 bits (computed once).
    integers: tuple[AttributeSpec, ...] = ()
    _loader: marshmallow.Schema | None = None
    _partial_loader: marshmallow.Schema | None = None
    _serializers: dict[Any, Any] = field(default_factory=dict)

    @property
    def id_attribute(self) -> str:
        return self.id_spec.attribute if self.id_spec else "id"

    def parse_id(self, raw: Any) -> Any:
        """Convert an id from a URL or document to the key type; ``ValueError`` if it can't."""
        if self.id_spec is None or isinstance(self.id_spec.field, ma_fields.Raw):
            return raw
        try:
            return self.id_spec.field.deserialize(raw)
        except marshmallow.ValidationError as error:
            raise ValueError(str(error.messages)) from error

    def format_id(self, value: Any) -> str:
        """The document form of an id: always a string (ID-1)."""
        if self.id_spec is not None and not isinstance(value, (str, int)):
            value = self.id_spec.field._serialize(value, self.id_spec.name, None)
        return str(value)

    def load_attributes(self, attributes: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        """Deserialise and validate request attributes; 422 with a pointer per bad member."""
        errors = []
        for member in attributes:
            spec = self.attributes.get(member)
            if spec is None:
                detail = f"'{member}' is not an attribute of '{self.type_}'."
                if member in self.relationships:
                    detail = f"'{member}' is a relationship: send it under 'relationships'."
                errors.append(ValidationFailed(detail, attribute=member, title="Unknown attribute"))
            elif not spec.load:
                errors.append(
                    ValidationFailed(
                        f"'{member}' is read-only.", attribute=member, title="Read-only attribute"
                    )
                )
        if self.integers:
            errors.extend(_fractions(self.integers, attributes))
        # Read-only members are reported above; loading them too would add "Unknown field".
        known = {
            k: v for k, v in attributes.items() if k in self.attributes and self.attributes[k].load
        }
        loaded: dict[str, Any] = {}
        try:
            # The id is never an attribute: a schema's `id = fields.UUID(required=True)`
            # must not make every create 422.
            only_id = (self.id_spec.name,) if self.id_spec is not None else False
            loaded = self._make_loader(partial).load(known, partial=partial or only_id)
        except marshmallow.ValidationError as error:
            errors.extend(self._validation_errors(error.messages, attributes))
        if self.integers:
            errors.extend(_out_of_range(self.integers, attributes, loaded, errors))
        if errors:
            raise ErrorList(errors)
        return loaded

    def _validation_errors(self, messages: Any, given: dict[str, Any]) -> list[ValidationFailed]:
        errors = []
        items = messages.items() if isinstance(messages, dict) else [("", messages)]
        # In declaration order, whatever order marshmallow validated in (see compat).
        rank = {member: position for position, member in enumerate(self.attributes)}
        for key, value in sorted(items, key=lambda item: rank.get(item[0], len(rank))):
            pointer = f"/data/attributes/{pointer_token(key)}"
            prefix = ""
            if key in ("_schema", "") or key not in given:
                # A pointer must name a value present in the request (ERR-8): a missing
                # member is reported on its parent, and the detail names it.
                pointer = "/data/attributes" if given else "/data"
                prefix = f"'{key}': " if key not in ("_schema", "") else ""
            for message in _flatten(value):
                errors.append(ValidationFailed(prefix + message, source={"pointer": pointer}))
        return errors

    def _make_loader(self, partial: bool) -> marshmallow.Schema:
        loader = self._partial_loader if partial else self._loader
        if loader is None:
            names = [spec.name for spec in self.attributes.values() if spec.load]
            if self.id_spec is not None:
                # marshmallow_jsonapi refuses schemas without `id`; no input ever carries it
                # here, since `id` is not an attribute member.
                names.append(self.id_spec.name)
            loader = _loader_class(self.schema_cls)(only=names, unknown=marshmallow.RAISE)
            if partial:
                self._partial_loader = loader
            else:
                self._loader = loader
        return loader

    @property
    def dump_hooks(self) -> list[str]:
        """The user's ``@pre_dump``/``@post_dump`` methods of the schema (marshmallow_jsonapi's
        own document formatting excluded): with any, attributes go through ``Schema.dump``."""
        hooks = self.__dict__.get("_dump_hooks")
        if hooks is None:
            hooks = self.__dict__["_dump_hooks"] = _dump_hooks(self.schema_cls)
        return hooks

    def dumper(self, names: list[str]) -> marshmallow.Schema:
        """A schema instance dumping the fields ``names`` of one object to a flat dict,
        the user's dump hooks run (slower than the compiled serializer)."""
        only = [*names, self.id_spec.name] if self.id_spec is not None else names
        return _flat_class(self.schema_cls, "Dumper")(only=only)


def _fractions(integers: tuple[AttributeSpec, ...], given: dict[str, Any]) -> list[Any]:
    """422 for a number with a fraction sent for an integer (marshmallow would cut it)."""
    return [
        ValidationFailed(
            f"'{spec.member}' must be a whole number, not {given[spec.member]!r}.",
            attribute=spec.member,
        )
        for spec in integers
        if isinstance(given.get(spec.member), float) and not given[spec.member].is_integer()
    ]


def _out_of_range(
    integers: tuple[AttributeSpec, ...], given: dict[str, Any], loaded: dict[str, Any], errors: list
) -> list[Any]:
    """422 for an integer that no database column can hold (more than 64 bits)."""
    pointed = {(error.source or {}).get("pointer") for error in errors} if errors else ()
    found = []
    for spec in integers:
        if spec.member not in given:
            continue  # most requests send few of the integers
        value = loaded.get(spec.attribute, loaded.get(spec.name))
        sent = given[spec.member]
        # orjson reads a JSON integer past 64 bits as a float, its last digits rounded off.
        rounded = type(sent) is float and not -(2**63) < sent < 2**63
        pointer = f"/data/attributes/{pointer_token(spec.member)}"
        if pointer not in pointed and (rounded or not int64_fits(value)):
            found.append(
                ValidationFailed(
                    f"'{spec.member}' is out of range for an integer: at most 64 bits.",
                    source={"pointer": pointer},
                )
            )
    return found


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [message for nested in value.values() for message in _flatten(nested)]
    if isinstance(value, (list, tuple)):
        return [message for nested in value for message in _flatten(nested)]
    return [str(value)]


def _dump_hooks(schema_cls: type) -> list[str]:
    names = []
    for key, entries in getattr(schema_cls, "_hooks", {}).items():
        tag = key[0] if isinstance(key, tuple) else key  # marshmallow 3 keys (tag, many)
        if tag not in ("pre_dump", "post_dump"):
            continue
        for entry in entries:
            name = entry[0] if isinstance(entry, tuple) else entry
            module = getattr(getattr(schema_cls, name, None), "__module__", "") or ""
            if not module.startswith(("marshmallow_jsonapi", "flask_jsonapi")):
                names.append(name)
    return names


def _loader_class(schema_cls: type) -> type:
    return _flat_class(schema_cls, "AttributesLoader")


def _flat_class(schema_cls: type, suffix: str) -> type:
    """A subclass that loads one flat dict of attributes, keeping the user's validators.

    marshmallow_jsonapi schemas unwrap whole documents in a ``pre_load`` hook and
    reformat errors in ``_do_load``; the library parses documents itself, so those two
    are switched off here while ``@validates`` and ``@validates_schema`` hooks stay.
    ``marshmallow_jsonapi.flask.Schema`` writes ``self_url`` into its ``Meta`` and refuses a
    ``Meta`` with one: the loader gets a ``Meta`` without URLs (it renders no links).
    """
    overrides: dict[str, Any] = {}
    for base in schema_cls.__mro__:
        if base.__module__.startswith("marshmallow_jsonapi"):
            no_urls = dict.fromkeys(("self_url", "self_url_kwargs", "self_url_many"))
            overrides = {
                "Meta": type("Meta", (schema_cls.Meta,), no_urls),
                "unwrap_request": lambda self, data, **kw: data,
                "format_json_api_response": lambda self, data, **kw: data,
                "_do_load": marshmallow.Schema._do_load,
            }
            break
    return type(f"{schema_cls.__name__}{suffix}", (schema_cls,), overrides)


_cache: dict[type, CompiledSchema] = {}
_lock = threading.Lock()


def compile_schema(schema_cls: type | marshmallow.Schema) -> CompiledSchema:
    """Compile (once per class) a schema class or instance."""
    if isinstance(schema_cls, marshmallow.Schema):
        schema_cls = type(schema_cls)
    compiled = _cache.get(schema_cls)
    if compiled is None:
        with _lock:
            compiled = _cache.get(schema_cls) or _compile(schema_cls)
            _cache[schema_cls] = compiled
    return compiled


def _compile(schema_cls: type) -> CompiledSchema:
    opts = getattr(schema_cls, "opts", None)
    type_ = getattr(opts, "type_", None) or getattr(
        getattr(schema_cls, "Meta", None), "type_", None
    )
    if not type_:
        raise ValueError(f"{schema_cls.__name__} must define the resource type in Meta.type_")
    _check_member_name(type_, f"{schema_cls.__name__}.Meta.type_")
    instance = schema_cls()
    inflect = getattr(opts, "inflect", None)
    id_spec = None
    attributes: dict[str, AttributeSpec] = {}
    relationships: dict[str, RelationshipSpec] = {}
    for name, schema_field in ordered_fields(instance).items():
        if type(schema_field).__name__ in _IGNORED_FIELD_CLASSES:
            continue
        member = schema_field.data_key or (inflect(name) if inflect else name)
        attribute = schema_field.attribute or name
        if name == "id":
            id_spec = AttributeSpec("id", name, attribute, schema_field, True, True)
            continue
        _check_member_name(member, f"{schema_cls.__name__}.{name}")
        if member in ("type", "id"):
            raise ValueError(f"{schema_cls.__name__}: a member may not be named {member!r}")
        if is_relationship(schema_field):
            relationships[member] = RelationshipSpec(
                member=member,
                name=name,
                attribute=attribute,
                type_=schema_field.type_,
                many=bool(schema_field.many),
                include_linkage=bool(schema_field.include_resource_linkage),
                allow_replace=getattr(schema_field, "allow_replace", True),
                load=not schema_field.dump_only,
                field=schema_field,
                related_schema=getattr(schema_field, "related_schema", None)
                or getattr(schema_field, "_Relationship__schema", None),
            )
        else:
            attributes[member] = AttributeSpec(
                member,
                name,
                attribute,
                schema_field,
                dump=not schema_field.load_only,
                load=not schema_field.dump_only,
            )
    integers = tuple(
        spec
        for spec in attributes.values()
        if spec.load and isinstance(spec.field, ma_fields.Integer)
    )
    return CompiledSchema(
        schema_cls, type_, instance, id_spec, attributes, relationships, integers=integers
    )


def _check_member_name(name: str, where: str) -> None:
    if not MEMBER_NAME.match(name):
        raise ValueError(f"{where}: {name!r} is not a valid JSON:API member name (NAME-2..4)")
