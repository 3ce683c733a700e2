"""The original flask-jsonapi's query-string parsers, for code written against it.

Views of this library parse the query string themselves (:mod:`flask_jsonapi.query`);
these classes exist so that views written for the original, which call
``IncludeParser(schema).parse()`` and friends, keep working. Each ``parse()`` reads
``flask.request.args`` and answers the original's shapes, but validates as this library
does: a bad parameter raises a 400 from :mod:`flask_jsonapi.exceptions` whose
``source.parameter`` names it, never a 500.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flask

from .exceptions import InvalidInclude, InvalidPage, InvalidSort
from .links import pagination_links
from .query.config import QueryConfig
from .query.model import Page
from .query.parser import parse_fields, parse_include, parse_page, parse_sort, single_parameter
from .registry import Registry
from .schema.compiled import CompiledSchema, compile_schema

__all__ = [
    "IncludeParser",
    "Pagination",
    "QueryStringParser",
    "SizeNumberPagination",
    "SortParser",
    "SparseFieldsParser",
]


class QueryStringParser:
    """A parser of one query-string family of the current request (the original's base)."""

    def parse(self) -> Any:
        raise NotImplementedError


class _SchemaParser(QueryStringParser):
    """A parser built for a schema class (or instance), as the original's were."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._own_registry: Registry | None = None

    def _resolve(self) -> tuple[CompiledSchema, Any]:
        """The compiled schema and the type lookup: the app's ``Api`` registry when it
        knows this type (so related types resolve), else one built for this schema."""
        own = compile_schema(self.schema)
        for api in flask.current_app.extensions.get("flask_jsonapi", ()):
            compiled = api.registry.schema(own.type_)
            if compiled is not None:
                return compiled, api.registry.schema
        if self._own_registry is None:
            self._own_registry = Registry()
            self._own_registry.add(self.schema)
        return self._own_registry.schema(own.type_) or own, self._own_registry.schema


class Pagination(QueryStringParser):
    """A pagination strategy: ``parse()`` answers a dict, ``get_links()`` the links."""

    def get_links(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError


class SizeNumberPagination(Pagination):
    """``page[size]``/``page[number]``: ``{}`` when neither is given, else
    ``{'size': int, 'number': int}``.

    As in the original, one of the two alone is a 400 (``InvalidPage`` naming the missing
    one: the code calling this parser expects both); both must be positive integers, the
    size at most ``JSONAPI_MAX_PAGE_SIZE`` (400 on ``page[size]``/``page[number]``).
    """

    def parse(self) -> dict[str, int]:
        args = flask.request.args
        given = [name for name in ("page[size]", "page[number]") if name in args]
        if not given:
            return {}
        config = dataclasses.replace(
            QueryConfig.from_app_config(flask.current_app.config), pagination="number"
        )
        page = parse_page(args, config)
        if len(given) == 1:
            missing = "page[number]" if given == ["page[size]"] else "page[size]"
            raise InvalidPage(
                f"One of page parameters wrongly or not specified: '{missing}' is missing.",
                parameter=missing,
            )
        return {"size": page.size, "number": page.number}

    def get_links(self, page_size: int, current_page: int, total_count: int) -> dict[str, Any]:
        """``self``, ``first``, ``prev``, ``next``, ``last`` of a page (``null`` where there
        is none), as this library writes them: the link is ``prev``, not ``previous``."""
        page = Page("number", page_size, (current_page - 1) * page_size)
        return pagination_links(page, total_count, page_size)


class IncludeParser(_SchemaParser):
    """``include=comments,comments.author`` -> ``('comments', 'comments.author')``.

    Paths use the schema's field names (what marshmallow-jsonapi's ``include_data=``
    takes); each relationship is checked against its type, deeper than
    ``JSONAPI_MAX_INCLUDE_DEPTH`` is refused.
    """

    def parse(self) -> tuple[str, ...]:
        value = single_parameter(flask.request.args, "include", InvalidInclude)
        compiled, lookup = self._resolve()
        config = QueryConfig.from_app_config(flask.current_app.config)
        if not parse_include(value, compiled, lookup, config.max_include_depth):
            return ()
        paths: dict[str, None] = {}
        for path in value.split(","):
            names, schema = [], compiled
            for member in path.strip().split("."):
                spec = schema.relationships[member]
                names.append(spec.name)
                schema = lookup(spec.type_)
            paths[".".join(names)] = None
        return tuple(paths)


class SparseFieldsParser(_SchemaParser):
    """``fields[TYPE]=...`` -> a tuple for marshmallow's ``only=``, or ``None``.

    Fieldsets are keyed by resource type, as JSON:API says (the original keyed related
    ones by relationship name). The primary type's fields come as they are, a related
    type's as ``'<relationship>.<field>'`` for each relationship of the primary type to it
    that the primary's fieldset keeps; ``id`` is always listed. When only related types
    are given, every field of the primary type is listed. Unknown types and fields are 400
    on ``fields[TYPE]``. A type reached only through nested includes is not listed (a
    dotted ``only=`` reaches one level, as in the original).
    """

    def parse(self) -> tuple[str, ...] | None:
        compiled, lookup = self._resolve()
        fieldsets = parse_fields(flask.request.args, lookup)
        if not fieldsets:
            return None
        own = fieldsets.get(compiled.type_)
        names = _field_names(compiled, own)
        for spec in compiled.relationships.values():
            related = lookup(spec.type_)
            wanted = own is None or spec.member in own
            if wanted and spec.type_ in fieldsets and related is not None:
                nested = _field_names(related, fieldsets[spec.type_])
                names.extend(f"{spec.name}.{name}" for name in nested)
        return tuple(names)


def _field_names(compiled: CompiledSchema, members: frozenset[str] | None) -> list[str]:
    """Schema field names of ``members`` (``None``: every rendered field), ``id`` first."""
    names = [compiled.id_spec.name] if compiled.id_spec is not None else []
    for member, spec in compiled.attributes.items():
        if spec.dump and (members is None or member in members):
            names.append(spec.name)
    for member, spec in compiled.relationships.items():
        if members is None or member in members:
            names.append(spec.name)
    return names


class SortParser(_SchemaParser):
    """``sort=name,-age`` -> ``('name', '-age')``, each mapped to the object attribute.

    Besides attributes and ``id``, attributes of to-one relationships sort too
    (``author.name`` -> ``'author__name'``); ``sortable`` limits the fields a client may
    use. What cannot sort is 400 on ``sort``.
    """

    def __init__(self, schema: Any, sortable: frozenset[str] | None = None) -> None:
        super().__init__(schema)
        self.sortable = frozenset(sortable) if sortable is not None else None

    def parse(self) -> tuple[str, ...]:
        value = single_parameter(flask.request.args, "sort", InvalidSort)
        compiled, lookup = self._resolve()
        return tuple(key.legacy for key in parse_sort(value, compiled, lookup, self.sortable))
