"""``flask jsonapi routes``: each resource type with its endpoints, fields and filters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
import flask
from flask.cli import AppGroup

from .filters_schema import FilterField, RelationshipFilterField, default_filters

jsonapi_cli = AppGroup("jsonapi", help="Inspect the JSON:API of the app.")

_HIDDEN_METHODS = {"HEAD", "OPTIONS"}


@jsonapi_cli.command("routes")
def routes_command() -> None:
    """List each resource type: endpoints, attributes, relationships and filters."""
    app = flask.current_app
    for line in describe(app, app.extensions["flask_jsonapi"]):
        click.echo(line)


def describe(app: flask.Flask, apis: list[Any]) -> Iterator[str]:
    """The lines ``flask jsonapi routes`` prints."""
    rules: dict[str, list[Any]] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, []).append(rule)
    first = True
    for api in apis:
        for entry in sorted(api.registry, key=lambda entry: entry.type_):
            endpoints = [
                e
                for e in (
                    entry.list_endpoint,
                    entry.detail_endpoint,
                    entry.relationship_endpoint,
                    entry.related_endpoint,
                )
                if e is not None
            ]
            if not endpoints:
                continue  # a type only reached through relationships, served by no URL
            if not first:
                yield ""
            first = False
            yield from _describe_entry(api, entry, [r for e in endpoints for r in rules.get(e, [])])
    operations = [rule for rule in app.url_map.iter_rules() if _is_operations(app, rule)]
    if operations:
        yield ""
        yield "atomic operations"
        for rule in operations:
            yield f"  {_methods(rule):<24} {rule.rule}"


def _is_operations(app: flask.Flask, rule: Any) -> bool:
    from .operations import OperationsView

    view_class = getattr(app.view_functions.get(rule.endpoint), "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, OperationsView)


def _describe_entry(api: Any, entry: Any, rules: list[Any]) -> Iterator[str]:
    compiled = entry.compiled
    yield entry.type_
    yield "  endpoints:"
    for rule in rules:
        yield f"    {_methods(rule):<24} {rule.rule}"
    attributes = []
    for spec in compiled.attributes.values():
        marker = (
            "" if spec.dump and spec.load else (" (read-only)" if spec.dump else " (write-only)")
        )
        attributes.append(spec.member + marker)
    yield "  attributes: " + (", ".join(attributes) or "-")
    relationships = [
        f"{spec.member} -> {spec.type_ or '?'} ({'to-many' if spec.many else 'to-one'})"
        for spec in compiled.relationships.values()
    ]
    yield "  relationships: " + (", ".join(relationships) or "-")
    yield "  filters:" + ("" if _filters(api, entry) else " -")
    for line in _filters(api, entry):
        yield f"    {line}"


def _filters(api: Any, entry: Any) -> list[str]:
    filters = entry.filter_schema
    if filters is None:
        filters = default_filters(api.registry, entry.compiled)
    related_types = {
        spec.member.replace("-", "_"): spec.type_ for spec in entry.compiled.relationships.values()
    }
    lines = []
    for name, field in filters.base_filters.items():
        if isinstance(field, RelationshipFilterField):
            target = related_types.get(name)
            lines.append(
                f"filter[{name}][...]  the filters of {target}"
                if target
                else f"filter[{name}][...]  related filters"
            )
        elif isinstance(field, FilterField):
            operators = [op for op in field.operators if op is not None]
            key = f"filter[{name}]" if None in field.operators else f"filter[{name}][OP]"
            lines.append(f"{key}  operators: {', '.join(operators) or '-'}")
    return lines


def _methods(rule: Any) -> str:
    return ", ".join(sorted((rule.methods or set()) - _HIDDEN_METHODS))
