"""Declared filters: ``filter[title]=x``, ``filter[views][gt]=3``, ``filter[author][name]=Bob``.

The original flask-jsonapi's API (``FilterSchema``, ``FilterField``, ``ListFilterField``,
``RelationshipFilterField``, ``Operators``); ``parse`` returns the same flat dict
(``{'author__name': 'Bob', 'views__gt': 3}``) that repositories receive.
"""

from __future__ import annotations

import re
from typing import Any

import flask
from marshmallow import ValidationError
from marshmallow import fields as ma_fields

from .exceptions import InvalidFilters
from .schema.compiled import is_relationship

_FILTER_KEY = re.compile(r"^filter((?:\[[^\[\]]*\])+)$")
_GROUP = re.compile(r"\[([^\[\]]*)\]")


class Operators:
    """The filter operators (the value appended to the key as ``__op``)."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    LT = "lt"
    GTE = "gte"
    LTE = "lte"
    CONTAINS = "contains"
    ICONTAINS = "icontains"
    NOTCONTAINS = "notcontains"
    IN = "in"
    NOTIN = "notin"
    EXACT = "exact"
    IEXACT = "iexact"
    STARTSWITH = "startswith"
    ISTARTSWITH = "istartswith"
    ENDSWITH = "endswith"
    IENDSWITH = "iendswith"
    ISNULL = "isnull"
    RANGE = "range"
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


LIST_OPERATORS = frozenset({Operators.IN, Operators.NOTIN, Operators.RANGE})


class FilterField:
    """One filterable value: its type, the operators allowed and the key it produces."""

    def __init__(
        self,
        *,
        attribute: str | None = None,
        type_: Any = ma_fields.String,
        operators: list[str | None] | None = None,
        default_operator: str | None = None,
    ) -> None:
        self.attribute = attribute
        self.type_ = type_
        self.default_operator = default_operator
        self.operators = list(operators) if operators is not None else [default_operator]

    def parse(self, name: str, value: str, operator: str | None, parameter: str) -> Any:
        """Check ``operator`` and convert ``value``; returns ``(key, value)``."""
        if operator is None:
            operator = self.default_operator
        if operator not in self.operators:
            raise InvalidFilters(
                f"Error parsing '{parameter}={value}': forbidden operator '{operator}'",
                parameter=parameter,
            )
        if value == "":
            raise InvalidFilters(
                f"Error parsing '{parameter}=': a filter value may not be empty",
                parameter=parameter,
            )
        key = self.attribute or name
        if operator is not None:
            key = f"{key}__{operator}"
        return key, self.parse_value(value, operator, parameter)

    def parse_value(self, value: str, operator: str | None, parameter: str) -> Any:
        if operator in LIST_OPERATORS:
            return [self._convert(part, parameter) for part in value.split(",")]
        if operator == Operators.ISNULL:
            return self._convert(value, parameter, ma_fields.Boolean)
        return self._convert(value, parameter)

    def _convert(self, value: str, parameter: str, type_: Any = None) -> Any:
        field_type = type_ or self.type_
        field = field_type() if isinstance(field_type, type) else field_type
        try:
            return field.deserialize(value)
        except ValidationError as error:
            messages = "; ".join(str(m) for m in _messages(error.messages))
            raise InvalidFilters(
                f"Error parsing '{parameter}={value}': {messages}", parameter=parameter
            ) from None


def _messages(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _messages(value)]
    if isinstance(messages, list):
        return [str(m) for m in messages]
    return [str(messages)]


class ListFilterField(FilterField):
    """A filter whose value is a comma-separated list, each part converted."""

    def parse_value(self, value: str, operator: str | None, parameter: str) -> Any:
        return [self._convert(part, parameter) for part in value.split(",")]


class RelationshipFilterField:
    """Filters on a related resource, declared by another ``FilterSchema``."""

    def __init__(
        self, filters_schema_cls: type, field_name: str | None = None, attribute: str | None = None
    ) -> None:
        self.filters_schema_cls = filters_schema_cls
        self.field_name = field_name
        self.attribute = attribute


class FilterSchemaOptions:
    def __init__(self, meta: Any) -> None:
        self.schema = getattr(meta, "schema", None)
        self.fields = getattr(meta, "fields", None)
        if self.fields and self.schema is None:
            raise ValueError("FilterSchema Meta.fields needs Meta.schema")


class FilterSchemaMeta(type):
    """Collects declared (and ``Meta``-generated) filters into ``base_filters``."""

    def __new__(mcs, name: str, bases: tuple, attrs: dict) -> Any:
        cls = super().__new__(mcs, name, bases, attrs)
        base_filters: dict[str, Any] = {}
        for base in reversed(cls.__mro__[1:]):
            base_filters.update(getattr(base, "base_filters", {}))
        opts = FilterSchemaOptions(attrs.get("Meta"))
        if opts.fields:
            base_filters.update(_generated_filters(opts.schema, opts.fields))
        for key, value in attrs.items():
            if isinstance(value, (FilterField, RelationshipFilterField)):
                base_filters[key] = value
        cls.base_filters = base_filters
        cls._meta = opts
        return cls


def _generated_filters(schema_cls: Any, names: list[str]) -> dict[str, FilterField]:
    declared = schema_cls._declared_fields
    generated = {}
    for name in names:
        field = declared[name]
        if is_relationship(field):
            id_field = getattr(field, "id_field", None) or "id"
            attribute = f"{field.attribute or name}__{id_field}"
            generated[name] = FilterField(attribute=attribute, type_=ma_fields.String)
        else:
            generated[name] = FilterField(attribute=field.attribute, type_=type(field))
    return generated


class FilterSchemaBase:
    base_filters: dict[str, Any] = {}

    def parse(self, args: Any = None) -> dict[str, Any]:
        """The filters of the request (``flask.request.args`` unless ``args`` is given)."""
        if args is None:
            args = flask.request.args
        parsed: dict[str, Any] = {}
        for parameter in args:
            if parameter != "filter" and not parameter.startswith("filter["):
                continue
            match = _FILTER_KEY.match(parameter)
            if not match:
                raise InvalidFilters(
                    f"Error parsing '{parameter}': write filter[FIELD] or filter[FIELD][OP]",
                    parameter=parameter,
                )
            names = [g.replace("-", "_") for g in _GROUP.findall(match.group(1))]
            value = args.getlist(parameter)[-1]
            key, parsed_value = self._parse_names(names, value, parameter)
            parsed[key] = parsed_value
        return parsed

    def _parse_names(self, names: list[str], value: str, parameter: str) -> tuple[str, Any]:
        name, rest = names[0], names[1:]
        field = self.base_filters.get(name)
        if field is None:
            raise InvalidFilters(
                f"Error parsing '{parameter}={value}': '{name}' is not a filter here",
                parameter=parameter,
            )
        if isinstance(field, RelationshipFilterField):
            if not rest:
                raise InvalidFilters(
                    f"Error parsing '{parameter}={value}': "
                    "filtering directly by relationship is forbidden",
                    parameter=parameter,
                )
            key, parsed = field.filters_schema_cls()._parse_names(rest, value, parameter)
            return f"{field.attribute or field.field_name or name}__{key}", parsed
        if len(rest) > 1:
            raise InvalidFilters(
                f"Error parsing '{parameter}={value}': too many [segments]", parameter=parameter
            )
        return field.parse(name, value, rest[0] if rest else None, parameter)


class FilterSchema(FilterSchemaBase, metaclass=FilterSchemaMeta):
    """Declare filters as class attributes (``title = FilterField()``)."""
