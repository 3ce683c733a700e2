"""JSON:API documents: parsing request documents and building response documents."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import limits
from .exceptions import InvalidDocument, JsonApiException, PayloadTooLarge, pointer_token
from .query.model import IncludeNode
from .schema.compiled import CompiledSchema
from .schema.serializer import LinkSource, read_each, serializer_for

JSONAPI_VERSION = "1.1"


# -- request documents -------------------------------------------------------------------


@dataclass(frozen=True)
class Identifier:
    """A resource identifier from a request: ``type`` and ``id`` or ``lid``."""

    type: str
    id: str | None = None
    lid: str | None = None
    pointer: str = ""


@dataclass(frozen=True)
class ResourceInput:
    """The primary resource object of a POST or PATCH body, its members unconverted."""

    type: str
    id: str | None
    lid: str | None
    attributes: dict[str, Any]
    relationships: dict[str, Identifier | list[Identifier] | None]
    pointer: str = "/data"
    relationship_pointers: dict[str, str] = field(default_factory=dict)


def load_json(body: bytes) -> Any:
    """Parse a request body; malformed JSON is 400 with a pointer to the root."""
    if not body or not body.strip():
        raise InvalidDocument("The request body is empty; a JSON:API document is required.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidDocument(f"The request body is not valid JSON: {error}.") from None


def _object(value: Any, pointer: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidDocument(f"{what} must be an object.", pointer)
    return value


def _visible(members: dict[str, Any]) -> dict[str, Any]:
    """Drop @-members, which JSON:API says to ignore (DOC-13)."""
    return {k: v for k, v in members.items() if not k.startswith("@")}


def _member_pointer(value: dict[str, Any], pointer: str, member: str) -> str:
    """The member's pointer if it is present, else its object's (ERR-8: it must exist)."""
    return f"{pointer}/{member}" if member in value else pointer


def parse_identifier(value: Any, pointer: str) -> Identifier:
    """A resource identifier object (``type`` plus ``id`` or ``lid``)."""
    value = _object(value, pointer, "A resource identifier")
    type_, id_, lid = _type_and_ids(value, pointer, "A resource identifier")
    if id_ is None and lid is None:
        raise InvalidDocument("A resource identifier needs an 'id' (or 'lid').", pointer)
    return Identifier(type_, id_, lid, pointer)


def _type_and_ids(value: dict[str, Any], pointer: str, what: str) -> tuple[str, Any, Any]:
    """``type`` (a non-empty string), ``id`` and ``lid`` (strings when present)."""
    type_ = value.get("type")
    if not isinstance(type_, str) or not type_:
        raise InvalidDocument(
            f"{what} needs a 'type' string.", _member_pointer(value, pointer, "type")
        )
    id_, lid = value.get("id"), value.get("lid")
    for name, member in (("id", id_), ("lid", lid)):
        if member is not None and not isinstance(member, str):
            raise InvalidDocument(f"'{name}' must be a string.", f"{pointer}/{name}")
    return type_, id_, lid


def parse_linkage(value: Any, pointer: str) -> Identifier | list[Identifier] | None:
    """Resource linkage: ``null``, an identifier, or a list of identifiers."""
    if value is None:
        return None
    if isinstance(value, list):
        limit = limits.get("JSONAPI_MAX_RELATIONSHIP_IDENTIFIERS")
        if len(value) > limit:
            raise PayloadTooLarge(
                {"pointer": pointer},
                f"A relationship may be given at most {limit} identifiers, not {len(value)}.",
            )
        return [parse_identifier(item, f"{pointer}/{i}") for i, item in enumerate(value)]
    return parse_identifier(value, pointer)


def parse_relationship_document(document: Any, pointer: str = "") -> Any:
    """The body of a relationship endpoint request: ``{"data": linkage}``."""
    document = _object(document, pointer or "", "The request document")
    if "data" not in document:
        raise InvalidDocument("The request document needs a 'data' member.", pointer or "")
    return parse_linkage(document["data"], f"{pointer}/data")


def parse_resource(value: Any, pointer: str = "/data") -> ResourceInput:
    """A resource object from a request (POST, PATCH, or an atomic operation's ``data``)."""
    value = _object(value, pointer, "Primary data")
    type_, id_, lid = _type_and_ids(value, pointer, "The resource object")
    attributes = _visible(
        _object(value.get("attributes", {}), f"{pointer}/attributes", "attributes")
    )
    raw_relationships = _object(
        value.get("relationships", {}), f"{pointer}/relationships", "relationships"
    )
    relationships: dict[str, Any] = {}
    pointers: dict[str, str] = {}
    for name, relationship in _visible(raw_relationships).items():
        rel_pointer = f"{pointer}/relationships/{pointer_token(name)}"
        relationship = _object(relationship, rel_pointer, "A relationship")
        if "data" not in relationship:
            raise InvalidDocument("A relationship needs a 'data' member.", rel_pointer)
        relationships[name] = parse_linkage(relationship["data"], f"{rel_pointer}/data")
        pointers[name] = rel_pointer
    return ResourceInput(type_, id_, lid, attributes, relationships, pointer, pointers)


def parse_resource_document(document: Any) -> ResourceInput:
    """The resource object of a POST/PATCH document (``{"data": {...}}``)."""
    document = _object(document, "", "The request document")
    if "data" not in document:
        raise InvalidDocument("The request document needs a 'data' member.", "")
    if isinstance(document["data"], list):
        raise InvalidDocument("'data' must be a single resource object here.", "/data")
    return parse_resource(document["data"])


# -- response documents ------------------------------------------------------------------

SchemaLookup = Callable[[str], "CompiledSchema | None"]


class CompoundDocument:
    """Primary data plus ``included``: every resource once, each reachable (INC-*, CMP-*)."""

    def __init__(
        self,
        lookup: SchemaLookup,
        links: LinkSource,
        fields: Mapping[str, frozenset[str]],
        checks: Mapping[str, Callable[[Any], bool]] | None = None,
        fetch: Callable[[str, list[Any]], list[Any]] | None = None,
    ) -> None:
        self._lookup = lookup
        self._links = links
        self._fields = fields
        # Type -> check of a loaded object: objects it refuses are neither included nor
        # named in linkage.
        self._checks = checks or None
        # Related objects of a relationship that holds ids (one declared over a foreign-key
        # column, `attribute='author_id'`), fetched by type and ids.
        self._fetch = fetch

    def build(
        self, objects: Iterable[Any], compiled: CompiledSchema, include: Mapping[str, IncludeNode]
    ) -> tuple[list[dict], list[dict]]:
        """Resource objects for ``objects`` and the included resources of the tree."""
        checks = self._checks
        if not include:
            resource = serializer_for(compiled, self._fields.get(compiled.type_)).resource
            kit = self._links.kit(compiled.type_)
            return [resource(obj, kit, frozenset(), checks) for obj in objects], []
        objects = list(objects)
        fields = self._fields
        links = self._links
        # (type, id) -> the relationships its resource object gives linkage for: the
        # names of the tree node(s) that reached it (one frozenset shared by all the
        # resources one node reaches, unless another node reaches them too).
        linkage: dict[tuple[str, str], frozenset[str]] = {}
        found: dict[tuple[str, str], tuple[Any, CompiledSchema]] = {}
        names = frozenset(include)
        primary_keys = [
            (compiled.type_, compiled.format_id(raw))
            for raw in read_each(objects, compiled.id_attribute)
        ]
        for key in primary_keys:
            held = linkage.get(key)
            linkage[key] = names if held is None else held | names
        level = [(objects, include)]
        while level:
            next_level = []
            for parents, tree in level:
                for node in tree.values():
                    related_schema = self._lookup(node.type_)
                    if related_schema is None:
                        continue
                    check = checks.get(node.type_) if checks else None
                    candidates = []
                    held_ids = []
                    for value in read_each(parents, node.attribute):
                        for child in value if node.many else [value]:
                            if isinstance(child, (str, int, uuid.UUID)):
                                held_ids.append(child)
                            elif child is not None:
                                candidates.append(child)
                    if held_ids and self._fetch is not None:
                        candidates.extend(self._fetch(node.type_, list(dict.fromkeys(held_ids))))
                    names = frozenset(node.children)
                    # The resources to walk on from, once each (only under a node with children).
                    onward: dict[tuple[str, str], Any] | None = {} if node.children else None
                    if check is not None:
                        candidates = [child for child in candidates if check(child)]
                    type_ = node.type_
                    format_id = related_schema.format_id
                    raw_ids = read_each(candidates, related_schema.id_attribute)
                    for child, raw in zip(candidates, raw_ids, strict=True):
                        # format_id's answer for the usual ids, without its call
                        id_ = str(raw) if type(raw) is int or type(raw) is str else format_id(raw)
                        key = (type_, id_)
                        held = linkage.get(key)
                        if held is None:
                            linkage[key] = names
                            found[key] = (child, related_schema)
                        else:
                            if not names <= held:
                                linkage[key] = held | names
                            found.setdefault(key, (child, related_schema))
                        if onward is not None:
                            onward.setdefault(key, child)
                    if onward:
                        next_level.append((list(onward.values()), node.children))
            level = next_level
        resource = serializer_for(compiled, fields.get(compiled.type_)).resource
        kit = links.kit(compiled.type_)
        data = [
            resource(obj, kit, linkage[key], checks)
            for obj, key in zip(objects, primary_keys, strict=True)
        ]
        primary = set(primary_keys)
        included = []
        # type -> its serializer's resource() and link templates, looked up once
        writers: dict[str, tuple[Any, Any]] = {}
        for key, (obj, schema) in found.items():
            if key in primary:
                continue
            writer = writers.get(key[0])
            if writer is None:
                serializer = serializer_for(schema, fields.get(key[0]))
                writer = writers[key[0]] = (serializer.resource, links.kit(key[0]))
            included.append(writer[0](obj, writer[1], linkage[key], checks))
        return data, included


def jsonapi_object(ext: tuple[str, ...] = (), profile: tuple[str, ...] = ()) -> dict[str, Any]:
    """The top-level ``jsonapi`` member (DOC-10, DOC-11, CN-19)."""
    member: dict[str, Any] = {"version": JSONAPI_VERSION}
    if ext:
        member["ext"] = list(ext)
    if profile:
        member["profile"] = list(profile)
    return member


def error_document(error: JsonApiException, ext: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{"errors": [...], "jsonapi": ...}`` for an exception (ERR-*)."""
    return {"errors": error.error_objects(), "jsonapi": jsonapi_object(ext)}
