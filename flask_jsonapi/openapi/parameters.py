"""The query parameters an endpoint accepts, as OpenAPI parameter objects.

``include`` lists the paths the type allows (up to its include depth), ``fields[TYPE]``
the members of each type a document can hold, ``sort`` the sort keys, ``page[...]`` the
members of the type's pagination style, and ``filter[...]`` the declared filters (a
``filter_schema``'s, or the filters a schema gives by default) with their operators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from marshmallow import fields as ma_fields

from ..filters_schema import LIST_OPERATORS, Operators, RelationshipFilterField
from ..query.config import QueryConfig
from ..query.parser import MAX_PAGE_INTEGER
from ..schema.compiled import CompiledSchema

__all__ = [
    "fields_parameters",
    "filter_parameters",
    "include_parameter",
    "page_parameters",
    "scalar",
    "sort_parameter",
]

Lookup = Callable[[str], "CompiledSchema | None"]
Convert = Callable[[ma_fields.Field], dict[str, Any]]
# Beyond these, a list would drown the page it is shown on; the description says so.
MAX_LISTED_PATHS = 200
_PROPERTY_NOISE = ("readOnly", "writeOnly", "default", "nullable")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, **_doc(description)}


def _list(name: str, items: dict[str, Any], description: str) -> dict[str, Any]:
    """A comma-separated list (``a,b,c``): ``form`` style, not exploded."""
    parameter = _query(name, {"type": "array", "items": items, "uniqueItems": True}, description)
    parameter.update(style="form", explode=False)
    return parameter


def _doc(description: str) -> dict[str, str]:
    return {"description": description} if description else {}


def include_paths(compiled: CompiledSchema, lookup: Lookup, depth: int) -> list[str]:
    """Every include path of a type, ``a`` then ``a.b`` ..., at most ``depth`` long."""
    paths: list[str] = []

    def walk(schema: CompiledSchema | None, prefix: str, left: int) -> None:
        if schema is None or left == 0:
            return
        for member, spec in schema.relationships.items():
            if len(paths) >= MAX_LISTED_PATHS:
                return
            path = f"{prefix}{member}"
            paths.append(path)
            walk(lookup(spec.type_), f"{path}.", left - 1)

    walk(compiled, "", depth)
    return paths


def include_parameter(compiled: CompiledSchema, lookup: Lookup, depth: int) -> list[dict]:
    """``include``: the relationship paths to include, comma-separated."""
    paths = include_paths(compiled, lookup, depth)
    if not paths:
        return []
    return [
        _list(
            "include",
            {"type": "string", "enum": paths},
            f"Related resources to include (at most {depth} relationships deep).",
        )
    ]


def fields_parameters(types: list[CompiledSchema]) -> list[dict[str, Any]]:
    """``fields[TYPE]`` for each type the document can hold: the members to show."""
    parameters = []
    for compiled in types:
        members = [m for m, spec in compiled.attributes.items() if spec.dump]
        members += list(compiled.relationships)
        parameters.append(
            _list(
                f"fields[{compiled.type_}]",
                {"type": "string", "enum": members} if members else {"type": "string"},
                f"The fields of '{compiled.type_}' to show (a sparse fieldset).",
            )
        )
    return parameters


def sort_keys(
    compiled: CompiledSchema, lookup: Lookup, sortable: frozenset[str] | None, depth: int
) -> list[str]:
    """The sort fields of a type: ``sortable``, or ``id``, its attributes and those of
    to-one relationships (``author.name``) up to ``depth`` relationships deep."""
    if sortable is not None:
        return sorted(sortable)
    keys: list[str] = []

    def walk(schema: CompiledSchema | None, prefix: str, left: int) -> None:
        if schema is None:
            return
        if schema.id_spec is not None or not prefix:
            keys.append(f"{prefix}id")
        keys.extend(f"{prefix}{m}" for m, spec in schema.attributes.items() if spec.dump)
        if left == 0:
            return
        for member, spec in schema.relationships.items():
            if not spec.many and len(keys) < MAX_LISTED_PATHS:
                walk(lookup(spec.type_), f"{prefix}{member}.", left - 1)

    walk(compiled, "", depth)
    return keys


def sort_parameter(
    compiled: CompiledSchema, lookup: Lookup, sortable: frozenset[str] | None, depth: int
) -> list[dict[str, Any]]:
    """``sort``: sort fields, comma-separated, each ascending or (``-``) descending."""
    keys = sort_keys(compiled, lookup, sortable, depth)
    if not keys:
        return []
    return [
        _list(
            "sort",
            {"type": "string", "enum": [k for key in keys for k in (key, f"-{key}")]},
            "Sort fields in order of precedence; '-' sorts descending. A field may appear once.",
        )
    ]


def page_parameters(config: QueryConfig) -> list[dict[str, Any]]:
    """``page[...]`` of the type's pagination style, and ``page[count]``."""
    size = {"type": "integer", "minimum": 1, "maximum": config.max_page_size}
    position = {"type": "integer", "maximum": MAX_PAGE_INTEGER}
    if config.pagination == "offset":
        parameters = [
            _query("page[offset]", {**position, "minimum": 0}, "Members to skip."),
            _query("page[limit]", size, f"Page size (default {config.page_size})."),
        ]
    elif config.pagination == "cursor":
        parameters = [
            _query("page[after]", {"type": "string"}, "The page after this cursor."),
            _query("page[before]", {"type": "string"}, "The page before this cursor."),
            _query("page[size]", size, f"Page size (default {config.page_size})."),
        ]
    else:
        parameters = [
            _query("page[number]", {**position, "minimum": 1}, "Page number, from 1."),
            _query("page[size]", size, f"Page size (default {config.page_size})."),
        ]
    count: dict[str, Any] = {"type": "boolean"}
    if config.count is False:
        count["const"] = False
    parameters.append(_query("page[count]", count, "Whether to count the collection."))
    return parameters


def filter_parameters(filters: Any, convert: Convert, expressions: bool) -> list[dict]:
    """``filter[NAME]`` and ``filter[NAME][OP]`` for each declared filter; a related type's
    filters (``filter[author][name]``) with their default operator only."""
    parameters = [
        _query(name, schema, description)
        for name, schema, description in _filters(filters, convert)
    ]
    if expressions:
        parameters.append(
            _query(
                "filter",
                {"type": "string", "contentMediaType": "application/json"},
                'Filter expressions: a JSON list of {"name", "op", "val"} conditions, '
                'combined with {"and": [...]}, {"or": [...]} and {"not": ...}.',
            )
        )
    return parameters


def _filters(filters: Any, convert: Convert, prefix: str = "filter", related: bool = False):
    for name, field in getattr(filters, "base_filters", {}).items():
        if isinstance(field, RelationshipFilterField):
            if not related:
                yield from _filters(field.filters_schema_cls(), convert, f"{prefix}[{name}]", True)
            continue
        operators = [op for op in field.operators if op is not None]
        default = field.default_operator
        if None in field.operators or default is not None:
            parameter = f"{prefix}[{name}]"
            yield parameter, _value(field, default, convert), _ops_text(parameter, operators)
        if related:
            continue
        for op in operators:
            if op != default:
                yield f"{prefix}[{name}][{op}]", _value(field, op, convert), ""


def _ops_text(parameter: str, operators: list[str]) -> str:
    return f"Also {parameter}[OP], OP one of: {', '.join(operators)}." if operators else ""


def _value(field: Any, operator: str | None, convert: Convert) -> dict[str, Any]:
    """The schema of a filter's value: the field's type, a list, or a boolean."""
    if operator == Operators.ISNULL:
        return {"type": "boolean"}
    type_ = field.type_
    schema = scalar(convert(type_() if isinstance(type_, type) else type_))
    if schema.get("type") == "string":
        schema["minLength"] = max(schema.get("minLength", 1), 1)  # an empty value is 400
    if operator in LIST_OPERATORS or _is_list_field(field):
        items: dict[str, Any] = {"type": "array", "items": schema, "minItems": 1}
        if operator == Operators.RANGE:
            items["minItems"] = items["maxItems"] = 2
        return items
    return schema


def _is_list_field(field: Any) -> bool:
    from ..filters_schema import ListFilterField

    return isinstance(field, ListFilterField)


def scalar(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string value: no null, no read/write markers."""
    schema = {k: v for k, v in schema.items() if k not in _PROPERTY_NOISE}
    types = schema.get("type")
    if isinstance(types, list):
        types = [t for t in types if t != "null"]
        schema["type"] = types[0] if len(types) == 1 else types
    return schema


def related_types(compiled: CompiledSchema, lookup: Lookup) -> Iterator[CompiledSchema]:
    """The type itself, then every type reachable through its relationships."""
    seen = {compiled.type_}
    yield compiled
    stack = [compiled]
    while stack:
        for spec in stack.pop().relationships.values():
            related = lookup(spec.type_)
            if related is not None and related.type_ not in seen:
                seen.add(related.type_)
                yield related
                stack.append(related)
