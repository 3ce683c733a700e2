"""Members hidden from a client (a policy's field level) taken out of a parsed query.

A hidden member answers as an unknown one: naming it in ``fields``, ``include``, ``sort``
or ``filter`` is the same 400, and every fieldset of a type with hidden members leaves
them out, so no document shows them (primary data, included resources, results).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..exceptions import InvalidField, InvalidFilters, InvalidInclude, InvalidSort
from ..schema.compiled import CompiledSchema
from .model import EXPRESSION_KEY, FilterExpression, FilterKey, IncludeNode, ResourceQuery

SchemaLookup = Callable[[str], "CompiledSchema | None"]
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def without_hidden(
    query: ResourceQuery,
    compiled: CompiledSchema,
    lookup: SchemaLookup,
    hidden: Mapping[str, frozenset[str]],
    args: Any = None,
) -> ResourceQuery:
    """``query`` with the ``hidden`` members (type -> member names) out of every fieldset;
    400 when the query names one (``args``: the raw parameters, for ``source.parameter``)."""
    for type_, members in query.fields.items():
        named = sorted(members & hidden.get(type_, frozenset()))
        if named:
            raise InvalidField(
                f"'{type_}' has no field {', '.join(repr(m) for m in named)}.",
                parameter=f"fields[{type_}]",
            )
    _check_tree(query.include, compiled, lookup, hidden)
    for key in query.sort:
        if _hidden_path(key.path, compiled, lookup, hidden):
            name = ".".join(key.path)
            raise InvalidSort(f"'{name}' is not an attribute of '{compiled.type_}' to sort by.")
    for name in _filter_parameters(args):
        if _hidden_path(_SEGMENT.findall(name), compiled, lookup, hidden, members=True):
            raise InvalidFilters(f"Error parsing '{name}': it is not a filter here", parameter=name)
    for key in _filter_keys(query.filters):
        if _hidden_path(key.split("__"), compiled, lookup, hidden):
            raise _hidden_filter(key)
    fields = dict(query.fields)
    for type_, members in hidden.items():
        schema = lookup(type_)
        if schema is None or not members:
            continue
        shown = fields.get(type_)
        if shown is None:
            shown = frozenset(schema.attributes) | frozenset(schema.relationships)
        fields[type_] = shown - members
    return dataclasses.replace(query, fields=fields)


def _hidden_filter(key: str) -> InvalidFilters:
    """The 400 of a filter that reaches a hidden member, naming what the client wrote
    (a declared filter may reach it under another name: the model's is not shown)."""
    if not isinstance(key, FilterKey):
        return InvalidFilters(f"Error parsing 'filter': '{key}' is not a filter here")
    if key.name == key.parameter:
        detail = f"Error parsing '{key.parameter}': it is not a filter here"
    else:
        detail = f"Error parsing '{key.parameter}': '{key.name}' is not a filter here"
    return InvalidFilters(detail, parameter=key.parameter)


def _check_tree(
    tree: Mapping[str, IncludeNode],
    compiled: CompiledSchema | None,
    lookup: SchemaLookup,
    hidden: Mapping[str, frozenset[str]],
) -> None:
    if compiled is None:
        return
    for member, node in tree.items():
        if member in hidden.get(compiled.type_, ()):
            raise InvalidInclude(f"'{member}' is not a relationship of '{compiled.type_}'.")
        _check_tree(node.children, lookup(node.type_), lookup, hidden)


def _hidden_path(
    path: Iterable[str],
    compiled: CompiledSchema | None,
    lookup: SchemaLookup,
    hidden: Mapping[str, frozenset[str]],
    *,
    members: bool = False,
) -> bool:
    """Whether a path of object attributes (``members``: member names) passes through a
    hidden member; steps it cannot resolve (operators) end the walk."""
    schema = compiled
    for step in path:
        if schema is None:
            return False
        secret = hidden.get(schema.type_, frozenset())
        relationship = _find(schema.relationships, step, members)
        if relationship is not None:
            if relationship.member in secret:
                return True
            schema = lookup(relationship.type_)
            continue
        attribute = _find(schema.attributes, step, members)
        return attribute is not None and attribute.member in secret
    return False


def _find(specs: Mapping[str, Any], step: str, members: bool) -> Any:
    if members:
        return specs.get(step)
    return next((spec for spec in specs.values() if spec.attribute == step), None)


def _filter_parameters(args: Any) -> list[str]:
    if args is None:
        return []
    return [name for name in args if name.startswith("filter[")]


def _filter_keys(filters: Mapping[str, Any]) -> list[str]:
    keys = []
    for key, value in filters.items():
        if key == EXPRESSION_KEY:
            keys.extend(_expression_keys(value))
        else:
            keys.append(key)
    return keys


def _expression_keys(expression: FilterExpression) -> list[str]:
    keys = []
    for item in expression.items:
        if isinstance(item, FilterExpression):
            keys.extend(_expression_keys(item))
        else:
            keys.append(item[0])
    return keys


def reached_types(
    query: ResourceQuery, compiled: CompiledSchema, lookup: SchemaLookup
) -> list[str]:
    """The resource types whose rows ``query`` reaches beyond ``compiled``'s own: through
    its include tree, and through relationships on its sort and filter paths."""
    types: list[str] = []
    _tree_types(query.include, types)
    paths = [key.path for key in query.sort]
    paths.extend(key.split("__") for key in _filter_keys(query.filters))
    for path in paths:
        schema: CompiledSchema | None = compiled
        for step in path:
            relationship = _find(schema.relationships, step, False) if schema else None
            if relationship is None:
                break
            types.append(relationship.type_)
            schema = lookup(relationship.type_)
    return types


def _tree_types(tree: Mapping[str, IncludeNode], types: list[str]) -> None:
    for node in tree.values():
        types.append(node.type_)
        _tree_types(node.children, types)
