"""The JSON Schemas of one API's documents: each type's resource object, request bodies,
collection and single-resource documents, linkage, errors and Atomic Operations.

Attributes are described by apispec's marshmallow converter, so a field's type, format,
validators (lengths, ranges, choices), ``allow_none``, ``dump_only`` (``readOnly``) and
``load_only`` (``writeOnly``) show as marshmallow declares them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields as ma_fields

from ..registry import Registry, ResourceEntry
from ..resource_repositories.repositories import is_library_storage
from ..schema.compiled import CompiledSchema

__all__ = ["Components", "ref"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_NULL = {"type": "null"}
_LINK = {
    "anyOf": [
        {"type": "string", "format": "uri-reference"},
        {
            "type": "object",
            "required": ["href"],
            "properties": {"href": {"type": "string", "format": "uri-reference"}},
        },
        _NULL,
    ]
}


def ref(name: str) -> dict[str, str]:
    """A ``$ref`` to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def _const_type(type_: str) -> dict[str, Any]:
    return {"type": "string", "const": type_}


def _object(properties: dict[str, Any], required: Iterable[str] = (), **extra: Any) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    required = list(required)
    if required:
        schema["required"] = required
    return schema


class Components:
    """Component schemas of the registered types, added to ``spec`` as they are asked for."""

    def __init__(self, spec: APISpec, plugin: MarshmallowPlugin, registry: Registry) -> None:
        self.spec = spec
        self.converter = plugin.converter
        self.registry = registry
        self._names: dict[str, str] = {}
        self._added: set[str] = set()
        self._add_common()

    # -- names -------------------------------------------------------------------------

    def name(self, type_: str) -> str:
        """A component name for a resource type (component keys allow ``[A-Za-z0-9._-]``)."""
        name = self._names.get(type_)
        if name is None:
            base = _UNSAFE.sub("_", type_)
            name, n = base, 1
            while name in self._names.values():
                n += 1
                name = f"{base}_{n}"
            self._names[type_] = name
        return name

    def _add(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        if name not in self._added:
            self._added.add(name)
            self.spec.components.schema(name, schema)
        return ref(name)

    # -- shared members ----------------------------------------------------------------

    def _add_common(self) -> None:
        self._add("Link", _LINK)
        self._add("Links", {"type": "object", "additionalProperties": ref("Link")})
        self._add("Meta", {"type": "object"})
        self._add(
            "JsonApi",
            _object(
                {
                    "version": {"type": "string"},
                    "ext": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "profile": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "meta": ref("Meta"),
                },
                additionalProperties=False,
            ),
        )
        source = _object(
            {
                "pointer": {"type": "string"},
                "parameter": {"type": "string"},
                "header": {"type": "string"},
            }
        )
        self._add(
            "Error",
            _object(
                {
                    "id": {"type": "string"},
                    "links": ref("Links"),
                    "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
                    "code": {"type": "string"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "source": source,
                    "meta": ref("Meta"),
                },
                additionalProperties=False,
            ),
        )
        self._add(
            "ErrorDocument",
            _object(
                {
                    "errors": {"type": "array", "items": ref("Error"), "minItems": 1},
                    "jsonapi": ref("JsonApi"),
                    "links": ref("Links"),
                    "meta": ref("Meta"),
                },
                ["errors"],
                additionalProperties=False,
            ),
        )

    # -- one type ----------------------------------------------------------------------

    def attribute(self, field: Any) -> dict[str, Any]:
        """The JSON Schema of one marshmallow field, as apispec's converter gives it."""
        prop = self.converter.field2property(field)
        if prop.get("format") == "date-time" and not isinstance(field, ma_fields.AwareDateTime):
            # A naive datetime is written without an offset, which RFC 3339 (the
            # "date-time" format) requires: say ISO 8601 in words instead.
            del prop["format"]
            prop.setdefault("description", "An ISO 8601 date and time.")
        return prop

    def identifier(self, type_: str) -> dict[str, str]:
        """A resource identifier object of ``type_`` (linkage)."""
        return self._add(
            f"{self.name(type_)}.identifier",
            _object(
                {"type": _const_type(type_), "id": {"type": "string"}, "meta": ref("Meta")},
                ["type", "id"],
                additionalProperties=False,
            ),
        )

    def linkage(self, type_: str, many: bool) -> dict[str, Any]:
        """``data`` of a relationship: an array of identifiers, or one identifier or null."""
        if many:
            return {"type": "array", "items": self.identifier(type_)}
        return {"anyOf": [self.identifier(type_), _NULL]}

    def resource(self, type_: str) -> dict[str, str]:
        """The resource object of ``type_`` as responses show it."""
        name = self.name(type_)
        if f"{name}.resource" in self._added:
            return ref(f"{name}.resource")
        compiled = self._compiled(type_)
        attributes = {
            member: self.attribute(spec.field)
            for member, spec in compiled.attributes.items()
            if spec.dump
        }
        relationships = {
            member: _object(
                {
                    "links": _object(
                        {"self": ref("Link"), "related": ref("Link")},
                        additionalProperties=ref("Link"),
                    ),
                    "data": self.linkage(spec.type_, spec.many),
                    "meta": ref("Meta"),
                },
                additionalProperties=False,
            )
            for member, spec in compiled.relationships.items()
        }
        properties: dict[str, Any] = {"type": _const_type(type_), "id": {"type": "string"}}
        if attributes:
            properties["attributes"] = _object(attributes, additionalProperties=False)
        if relationships:
            properties["relationships"] = _object(relationships, additionalProperties=False)
        properties["links"] = _object({"self": ref("Link")}, additionalProperties=ref("Link"))
        properties["meta"] = ref("Meta")
        return self._add(
            f"{name}.resource",
            _object(properties, ["type", "id"], additionalProperties=False),
        )

    def request_document(self, entry: ResourceEntry, *, create: bool) -> dict[str, str]:
        """The request body of a create (``POST``) or an update (``PATCH``) of a type."""
        type_ = entry.type_
        kind = "create" if create else "update"
        name = f"{self.name(type_)}.{kind}"
        if name in self._added:
            return ref(name)
        compiled = entry.compiled
        attributes, required_attributes = {}, []
        for member, spec in compiled.attributes.items():
            if not spec.load:
                continue
            prop = self.attribute(spec.field)
            prop.pop("writeOnly", None)
            attributes[member] = prop
            if create and spec.field.required:
                required_attributes.append(member)
        relationships, required_relationships = {}, []
        for member, spec in compiled.relationships.items():
            if not spec.load:
                continue
            relationships[member] = _object(
                {"data": self.linkage(spec.type_, spec.many), "meta": ref("Meta")},
                ["data"],
                additionalProperties=False,
            )
            if create and spec.field.required:
                required_relationships.append(member)
        properties: dict[str, Any] = {"type": _const_type(type_)}
        required = ["type"]
        if not create:
            properties["id"] = {"type": "string"}
            required.append("id")
        elif _client_generated_ids(entry):
            properties["id"] = {"type": "string"}
        properties["attributes"] = _object(
            attributes, required_attributes, additionalProperties=False
        )
        if required_attributes:
            required.append("attributes")
        if relationships:
            properties["relationships"] = _object(
                relationships, required_relationships, additionalProperties=False
            )
            if required_relationships:
                required.append("relationships")
        properties["meta"] = ref("Meta")
        data = _object(properties, required, additionalProperties=False)
        return self._add(
            name, _object({"data": data, "meta": ref("Meta")}, ["data"], additionalProperties=False)
        )

    # -- documents ---------------------------------------------------------------------

    def document(self, type_: str, *, many: bool, nullable: bool = False) -> dict[str, Any]:
        """A response document whose primary data is of ``type_``."""
        if many:
            data: dict[str, Any] = {"type": "array", "items": self.resource(type_)}
        elif nullable:
            data = {"anyOf": [self.resource(type_), _NULL]}
        else:
            data = self.resource(type_)
        included = [self.resource(t) for t in self._reachable(type_)]
        properties = {
            "data": data,
            "included": {"type": "array", "items": {"anyOf": included}}
            if included
            else {"type": "array", "maxItems": 0},
            "links": ref("Links"),
            "meta": _collection_meta() if many else ref("Meta"),
            "jsonapi": ref("JsonApi"),
        }
        return _object(properties, ["data"], additionalProperties=False)

    def linkage_document(self, type_: str, many: bool) -> dict[str, Any]:
        """The document of a relationship endpoint: linkage, links and (to-many) a count."""
        properties = {
            "data": self.linkage(type_, many),
            "links": ref("Links"),
            "meta": _collection_meta() if many else ref("Meta"),
            "jsonapi": ref("JsonApi"),
        }
        return _object(properties, ["data"], additionalProperties=False)

    def linkage_request(self, type_: str, many: bool) -> dict[str, Any]:
        """The request body of a relationship endpoint."""
        return _object(
            {"data": self.linkage(type_, many), "meta": ref("Meta")},
            ["data"],
            additionalProperties=False,
        )

    def atomic_request(self) -> dict[str, str]:
        """``{"atomic:operations": [...]}``: add, update or remove resources and linkage."""
        target = _object(
            {
                "type": {"type": "string", "enum": sorted(e.type_ for e in self.registry)},
                "id": {"type": "string"},
                "lid": {"type": "string"},
                "relationship": {"type": "string"},
            },
            ["type"],
        )
        identifier = _object(
            {"type": {"type": "string"}, "id": {"type": "string"}, "lid": {"type": "string"}},
            ["type"],
        )
        resource = _object(
            {
                "type": {"type": "string"},
                "id": {"type": "string"},
                "lid": {"type": "string"},
                "attributes": {"type": "object"},
                "relationships": {"type": "object"},
                "meta": ref("Meta"),
            },
            ["type"],
        )
        operation = _object(
            {
                "op": {"type": "string", "enum": ["add", "update", "remove"]},
                "ref": target,
                "href": {"type": "string", "format": "uri-reference"},
                "data": {
                    "anyOf": [resource, {"type": "array", "items": identifier}, _NULL],
                },
                "meta": ref("Meta"),
            },
            ["op"],
        )
        return self._add(
            "AtomicOperations",
            _object(
                {
                    "atomic:operations": {"type": "array", "items": operation, "minItems": 1},
                    "meta": ref("Meta"),
                },
                ["atomic:operations"],
            ),
        )

    def atomic_results(self) -> dict[str, str]:
        """``{"atomic:results": [...]}``: one result per operation, in order."""
        resources = [self.resource(entry.type_) for entry in self.registry]
        result = _object(
            {"data": {"anyOf": [*resources, _NULL]}, "meta": ref("Meta")},
            additionalProperties=False,
        )
        return self._add(
            "AtomicResults",
            _object(
                {
                    "atomic:results": {"type": "array", "items": result},
                    "jsonapi": ref("JsonApi"),
                    "links": ref("Links"),
                    "meta": ref("Meta"),
                },
                ["atomic:results"],
                additionalProperties=False,
            ),
        )

    # -- helpers -----------------------------------------------------------------------

    def _compiled(self, type_: str) -> CompiledSchema:
        compiled = self.registry.schema(type_)
        if compiled is None:
            raise LookupError(f"'{type_}' is not a registered resource type")
        return compiled

    def _reachable(self, type_: str) -> list[str]:
        """The types an ``include`` from ``type_`` can reach (the document's ``included``)."""
        seen: list[str] = []
        stack = [type_]
        while stack:
            compiled = self.registry.schema(stack.pop())
            for spec in compiled.relationships.values() if compiled else ():
                if spec.type_ not in seen and self.registry.schema(spec.type_) is not None:
                    seen.append(spec.type_)
                    stack.append(spec.type_)
        return sorted(seen)


def _collection_meta() -> dict[str, Any]:
    return _object({"count": {"type": "integer", "minimum": 0}})


def _client_generated_ids(entry: ResourceEntry) -> bool:
    """As the view set's views decide (``ResourceBase.accepts_client_ids``)."""
    option = getattr(entry.viewset, "client_generated_ids", False)
    if option is not None:
        return bool(option)
    id_spec = entry.compiled.id_spec
    loads_id = id_spec is not None and not id_spec.field.dump_only
    return loads_id and not is_library_storage(getattr(entry.viewset, "repository", None))
