"""Parse a request's query string into one :class:`ResourceQuery` (400s name the parameter)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..exceptions import (
    InvalidField,
    InvalidInclude,
    InvalidPage,
    InvalidQueryParameter,
    InvalidSort,
    UnknownField,
    UnknownFieldType,
)
from ..schema.compiled import CompiledSchema
from .config import QueryConfig
from .cursor import decode_cursor
from .model import IncludeNode, Page, ResourceQuery, SortKey

FAMILIES = frozenset({"include", "fields", "sort", "page", "filter"})
_FAMILY = re.compile(r"^([^\[\]]*)((?:\[[^\[\]]*\])*)$")
MAX_PAGE_INTEGER = 2**31 - 1
_ALL_LOWERCASE = re.compile(r"^[a-z]+$")

SchemaLookup = Callable[[str], "CompiledSchema | None"]


def check_parameter_names(args: Any, *, allow: frozenset[str] = frozenset()) -> None:
    """Reject all-a-z parameter names outside the JSON:API families (QP-2), and NUL
    characters anywhere (no database column can compare with them)."""
    for name, value in args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise InvalidQueryParameter(
                "Query parameters may not contain NUL characters.", parameter=name
            )
    for name in args:
        match = _FAMILY.match(name)
        base = match.group(1) if match else name
        if base in ("include", "sort") and name != base:
            raise InvalidQueryParameter(
                f"'{name}' is not a valid '{base}' parameter.", parameter=name
            )
        if base in FAMILIES or base in allow:
            continue
        if _ALL_LOWERCASE.match(base):
            raise InvalidQueryParameter(
                f"'{name}' is not a query parameter this server knows; "
                "implementation-specific parameters must contain a non a-z character.",
                parameter=name,
            )


def single_parameter(args: Any, name: str, error: type) -> str | None:
    """The one value of a query parameter (``None`` when absent); ``error`` when repeated."""
    values = args.getlist(name)
    if len(values) > 1:
        raise error(f"'{name}' may be given only once.", parameter=name)
    return values[0] if values else None


def parse_include(
    value: str | None, compiled: CompiledSchema, lookup: SchemaLookup, max_depth: int
) -> dict[str, IncludeNode]:
    """``include=a,b.c`` -> a tree of relationships, each validated against its type."""
    if not value:
        return {}
    tree: dict[str, Any] = {}
    for path in value.split(","):
        members = path.strip().split(".")
        if not path.strip() or "" in members:
            raise InvalidInclude(f"'{value}' is not a valid include list.")
        if len(members) > max_depth:
            raise InvalidInclude(
                f"'{path}' is deeper than the maximum include depth of {max_depth}."
            )
        node, schema = tree, compiled
        for member in members:
            spec = schema.relationships.get(member) if schema else None
            if spec is None:
                raise InvalidInclude(
                    f"'{member}' in '{path}' is not a relationship of "
                    f"'{schema.type_ if schema else '?'}'."
                )
            related = lookup(spec.type_)
            if related is None:
                # Linkage may name a type another server serves; including it cannot work
                # here, and JSON:API wants a 400 for a path it will not include from (INC-6).
                raise InvalidInclude(
                    f"'{member}' in '{path}' cannot be included: this API serves no "
                    f"'{spec.type_}' resources."
                )
            entry = node.setdefault(member, (spec, {}))
            node, schema = entry[1], related
    return _freeze(tree)


def _freeze(tree: dict[str, Any]) -> dict[str, IncludeNode]:
    return {
        member: IncludeNode(spec.member, spec.attribute, spec.type_, spec.many, _freeze(children))
        for member, (spec, children) in tree.items()
    }


def parse_fields(args: Any, lookup: SchemaLookup) -> dict[str, frozenset[str]]:
    """``fields[TYPE]=a,b`` for each type; unknown types and members are 400 (FLD-*)."""
    fieldsets: dict[str, frozenset[str]] = {}
    for name in args:
        if name != "fields" and not name.startswith("fields["):
            continue
        match = re.fullmatch(r"fields\[([^\[\]]+)\]", name)
        if not match:
            raise InvalidField(f"'{name}' must be written fields[TYPE].", parameter=name)
        type_ = match.group(1)
        schema = lookup(type_)
        if schema is None:
            raise UnknownFieldType(f"'{type_}' is not a resource type.", parameter=name)
        value = single_parameter(args, name, InvalidField) or ""
        # `id` and `type` are always rendered; the original required `id` in every
        # fieldset, so clients written for it send it: accepted and ignored.
        members = frozenset(
            m.strip() for m in value.split(",") if m.strip() and m.strip() not in ("id", "type")
        )
        unknown = sorted(m for m in members if not _is_field(schema, m))
        if unknown:
            raise UnknownField(
                f"'{type_}' has no field {', '.join(repr(m) for m in unknown)}.", parameter=name
            )
        fieldsets[type_] = members
    return fieldsets


def _is_field(schema: CompiledSchema, member: str) -> bool:
    spec = schema.attributes.get(member)
    return (spec is not None and spec.dump) or member in schema.relationships


def parse_sort(
    value: str | None,
    compiled: CompiledSchema,
    lookup: SchemaLookup,
    sortable: frozenset[str] | None = None,
) -> tuple[SortKey, ...]:
    """``sort=-a,b,rel.c`` -> sort keys on model attributes; what cannot sort is 400 (SRT-*).

    ``sortable`` names the fields a client may sort by; ``None`` allows ``id``, every
    attribute and, through to-one relationships, the related attributes (``author.name``).
    """
    if value is None:
        return ()
    keys, seen = [], set()
    for raw in value.split(","):
        raw = raw.strip()
        descending = raw.startswith("-")
        name = raw[1:] if descending else raw
        if not name:
            raise InvalidSort(f"'{value}' is not a valid sort list.")
        if name in seen:
            raise InvalidSort(f"'{name}' appears twice in the sort list.")
        seen.add(name)
        if sortable is not None and name not in sortable:
            raise InvalidSort(f"'{name}' is not sortable on '{compiled.type_}'.")
        keys.append(SortKey(_sort_path(name, compiled, lookup), descending))
    return tuple(keys)


def _sort_path(name: str, compiled: CompiledSchema, lookup: SchemaLookup) -> tuple[str, ...]:
    *relations, member = name.split(".")
    path: list[str] = []
    schema: CompiledSchema | None = compiled
    for relation in relations:
        spec = schema.relationships.get(relation) if schema else None
        if spec is None or spec.many:
            raise InvalidSort(
                f"'{relation}' in '{name}' is not a to-one relationship of "
                f"'{schema.type_ if schema else '?'}'."
            )
        path.append(spec.attribute)
        schema = lookup(spec.type_)
    if schema is not None and member == "id":
        return (*path, schema.id_attribute)
    spec = schema.attributes.get(member) if schema else None
    if spec is None or not spec.dump:
        raise InvalidSort(f"'{name}' is not an attribute of '{compiled.type_}' to sort by.")
    return (*path, spec.attribute)


def _page_int(args: Any, name: str, minimum: int) -> int | None:
    raw = single_parameter(args, name, InvalidPage)
    if raw is None:
        return None
    try:
        number = int(raw)
    except ValueError:
        raise InvalidPage(f"'{name}' must be an integer, not '{raw}'.", parameter=name) from None
    if number < minimum:
        raise InvalidPage(f"'{name}' must be at least {minimum}.", parameter=name)
    if number > MAX_PAGE_INTEGER:
        # Offsets past a 64-bit integer overflow in the database, not just empty pages.
        raise InvalidPage(f"'{name}' may be at most {MAX_PAGE_INTEGER}.", parameter=name)
    return number


_PAGE_MEMBERS = {
    "number": ("number", "size"),
    "offset": ("offset", "limit"),
    "cursor": ("after", "before", "size"),
}
CURSOR_PROFILE = "https://jsonapi.org/profiles/ethanresnick/cursor-pagination"


def _page_count(args: Any, config: QueryConfig) -> bool:
    raw = single_parameter(args, "page[count]", InvalidPage)
    default = config.count if config.count is not None else config.pagination != "cursor"
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise InvalidPage("'page[count]' must be true or false.", parameter="page[count]")
    if raw == "true" and config.count is False:
        raise InvalidPage(
            "This collection is not counted; 'page[count]=true' is not available.",
            parameter="page[count]",
        )
    return raw == "true"


def parse_page(args: Any, config: QueryConfig, sorting: tuple[str, ...] = ()) -> Page | None:
    """``page[number]``/``page[size]``, ``page[offset]``/``page[limit]`` or ``page[after]``/
    ``page[before]``/``page[size]`` (cursors of ``sorting``), and ``page[count]`` (PAG-*).
    ``None`` (the whole collection) when ``config.paginate`` is off and no ``page``
    parameter was sent."""
    members = _PAGE_MEMBERS[config.pagination]
    paged = config.paginate
    for name in args:
        if name == "page" or name.startswith("page["):
            paged = True
            inner = name[5:-1] if name.endswith("]") else None
            if inner not in members and inner != "count":
                listed = ", ".join(f"page[{m}]" for m in (*members, "count"))
                raise InvalidPage(f"'{name}' is not supported here; use {listed}.", parameter=name)
    if not paged:
        return None
    size_name = "page[limit]" if config.pagination == "offset" else "page[size]"
    size = _page_int(args, size_name, 1)
    if size is None:
        size = config.page_size
    elif size > config.max_page_size:
        links = meta = None
        if config.pagination == "cursor":
            links = {"type": f"{CURSOR_PROFILE}/max-size-exceeded"}
            meta = {"page": {"maxSize": config.max_page_size}}
        raise InvalidPage(
            f"'{size_name}' may be at most {config.max_page_size}, not {size}.",
            parameter=size_name,
            links=links,
            meta=meta,
        )
    count = _page_count(args, config)
    if config.pagination == "number":
        number = _page_int(args, "page[number]", 1) or 1
        return Page("number", size, (number - 1) * size, count)
    if config.pagination == "offset":
        return Page("offset", size, _page_int(args, "page[offset]", 0) or 0, count)
    after = single_parameter(args, "page[after]", InvalidPage)
    before = single_parameter(args, "page[before]", InvalidPage)
    if after is not None and before is not None:
        raise InvalidPage(
            "'page[after]' and 'page[before]' cannot be combined (range pagination).",
            parameter="page[before]",
            links={"type": f"{CURSOR_PROFILE}/range-pagination-not-supported"},
        )
    return Page(
        "cursor",
        size,
        count=count,
        after=None if after is None else decode_cursor(after, sorting, "page[after]"),
        before=None if before is None else decode_cursor(before, sorting, "page[before]"),
    )


def load_tree(
    include: Mapping[str, IncludeNode],
    compiled: CompiledSchema,
    fields: Mapping[str, frozenset[str]],
    lookup: SchemaLookup,
) -> dict[str, IncludeNode]:
    """The include tree plus the relationships whose linkage is always rendered."""
    fieldset = fields.get(compiled.type_)
    tree: dict[str, IncludeNode] = {}
    for spec in compiled.relationships.values():
        if fieldset is not None and spec.member not in fieldset and spec.member not in include:
            continue
        node = include.get(spec.member)
        if node is not None:
            related = lookup(spec.type_)
            children = load_tree(node.children, related, fields, lookup) if related else {}
            tree[spec.member] = IncludeNode(
                node.member, node.attribute, node.type_, node.many, children
            )
        elif spec.include_linkage:
            tree[spec.member] = IncludeNode(
                spec.member, spec.attribute, spec.type_, spec.many, {}, included=False
            )
    return tree


def parse_query(
    args: Any,
    compiled: CompiledSchema,
    lookup: SchemaLookup,
    config: QueryConfig,
    *,
    collection: bool,
    filters: Callable[..., dict[str, Any]] | None = None,
    sortable: frozenset[str] | None = None,
) -> ResourceQuery:
    """Everything a GET (or a write's response) asks for, validated once.

    ``filters`` parses the ``filter`` family (a ``FilterSchema``'s ``parse``); without it,
    the schema's attributes are the filters (:class:`~flask_jsonapi.filters_schema.SchemaFilters`).
    """
    if not args and not collection:
        return plain_query(compiled, lookup)
    check_parameter_names(args)
    include = parse_include(
        single_parameter(args, "include", InvalidInclude),
        compiled,
        lookup,
        config.max_include_depth,
    )
    fields = parse_fields(args, lookup)
    query = ResourceQuery(
        include=include, load=load_tree(include, compiled, fields, lookup), fields=fields
    )
    if not collection:
        for name in args:
            if name.split("[")[0] in ("sort", "page", "filter"):
                raise InvalidQueryParameter(
                    f"'{name}' applies to collections only.", parameter=name
                )
        return query
    sort = parse_sort(
        single_parameter(args, "sort", InvalidSort),
        compiled,
        lookup,
        sortable if sortable is not None else config.sortable_fields,
    )
    page = parse_page(args, config, tuple(key.legacy for key in sort))
    return ResourceQuery(
        include=query.include,
        load=query.load,
        fields=fields,
        sort=sort,
        page=page,
        filters=_parse_filters(args, compiled, lookup, config, filters),
    )


@functools.lru_cache(maxsize=512)
def plain_query(compiled: CompiledSchema, lookup: SchemaLookup) -> ResourceQuery:
    """The query of a request without parameters on one resource (most writes and
    single-resource reads): the linkage that is always rendered, nothing else."""
    return ResourceQuery(load=load_tree({}, compiled, {}, lookup))


def _parse_filters(
    args: Any,
    compiled: CompiledSchema,
    lookup: SchemaLookup,
    config: QueryConfig,
    filters: Callable[..., dict[str, Any]] | None,
) -> dict[str, Any]:
    from ..filters_schema import FilterSchemaBase, SchemaFilters

    if filters is None:
        filters = SchemaFilters(compiled, lookup).parse
    if isinstance(getattr(filters, "__self__", None), FilterSchemaBase):
        from ..services import call_hook

        # A keyword, so that a FilterSchema overriding the original's `parse(self)` (which
        # reads the request's query string itself) gets only what it accepts.
        return call_hook(filters, args=args, expressions=config.filter_expressions)
    return filters(args)
