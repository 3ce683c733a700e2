"""Declared filters: ``filter[title]=x``, ``filter[views][gt]=3``, ``filter[author][name]=Bob``.

The original flask-jsonapi's API (``FilterSchema``, ``FilterField``, ``ListFilterField``,
``RelationshipFilterField``, ``Operators``); ``parse`` returns the same flat dict
(``{'author__name': 'Bob', 'views__gt': 3}``) that repositories receive.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from typing import Any

import flask
import orjson
from marshmallow import ValidationError
from marshmallow import fields as ma_fields

from . import limits
from .exceptions import InvalidFilters
from .limits import int64_fits
from .query.model import EXPRESSION_KEY, FilterExpression, FilterKey
from .schema.compiled import CompiledSchema, is_relationship

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


class _ValueEquality:
    """Declarations equal when their class and settings are (the original's
    ``EqualityMixin``: ``base_filters == {'title': FilterField()}``); unhashable, as there."""

    def __eq__(self, other: object) -> bool:
        if isinstance(self, other.__class__):
            return self.__dict__ == other.__dict__
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class FilterField(_ValueEquality):
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

    def parse(self, name: str, value: Any, operator: str | None, parameter: str) -> Any:
        """Check ``operator`` and convert ``value``; returns ``(key, value)``.

        ``value`` is the query string text, or a JSON value from a filter expression.
        """
        if operator is None:
            operator = self.default_operator
        if operator not in self.operators:
            raise InvalidFilters(
                f"Error parsing '{parameter}={_text(value)}': forbidden operator '{operator}'",
                parameter=parameter,
            )
        if value == "" or value is None or value == []:
            raise InvalidFilters(
                f"Error parsing '{parameter}': a filter value may not be empty",
                parameter=parameter,
            )
        key = self.attribute or name
        if operator is not None:
            key = f"{key}__{operator}"
        return key, self.parse_value(value, operator, parameter)

    def parse_value(self, value: Any, operator: str | None, parameter: str) -> Any:
        if operator in LIST_OPERATORS:
            values = self._convert_list(value, parameter)
            if operator == Operators.RANGE and len(values) != 2:
                raise InvalidFilters(
                    f"Error parsing '{parameter}={_text(value)}': range takes two values",
                    parameter=parameter,
                )
            return values
        if isinstance(value, (list, dict)):
            raise InvalidFilters(
                f"Error parsing '{parameter}={_text(value)}': one value is expected",
                parameter=parameter,
            )
        if operator == Operators.ISNULL:
            return self._convert(value, parameter, ma_fields.Boolean)
        return self._convert(value, parameter)

    def _convert_list(self, value: Any, parameter: str) -> list[Any]:
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list) or any(isinstance(p, (list, dict)) for p in parts):
            raise InvalidFilters(
                f"Error parsing '{parameter}={_text(value)}': a list of values is expected",
                parameter=parameter,
            )
        limit = max_filter_values()
        if len(parts) > limit:
            raise InvalidFilters(
                f"'{parameter}' has {len(parts)} values; a request may filter by at most {limit}.",
                parameter=parameter,
            )
        return [self._convert(part, parameter) for part in parts]

    def _convert(self, value: Any, parameter: str, type_: Any = None) -> Any:
        field_type = type_ or self.type_
        field = field_type() if isinstance(field_type, type) else field_type
        try:
            converted = field.deserialize(value)
        except ValidationError as error:
            messages = "; ".join(str(m) for m in _messages(error.messages))
            raise InvalidFilters(
                f"Error parsing '{parameter}={_text(value)}': {messages}", parameter=parameter
            ) from None
        if not int64_fits(converted):
            # No integer column of any supported database holds it; the database would fail.
            raise InvalidFilters(
                f"Error parsing '{parameter}={_text(value)}': {value} is out of range "
                "for an integer.",
                parameter=parameter,
            )
        return converted


def max_filter_values() -> int:
    """How many filter values one request may give (``JSONAPI_MAX_FILTER_VALUES``), never
    more than one statement can bind."""
    return min(limits.get("JSONAPI_MAX_FILTER_VALUES"), limits.DATABASE_PARAMETERS)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _messages(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _messages(value)]
    if isinstance(messages, list):
        return [str(m) for m in messages]
    return [str(messages)]


class ListFilterField(FilterField):
    """A filter whose value is a comma-separated list, each part converted."""

    def parse_value(self, value: Any, operator: str | None, parameter: str) -> Any:
        return self._convert_list(value, parameter)


class RelationshipFilterField(_ValueEquality):
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
            # As the original: a relationship over a foreign-key column
            # (`attribute='author_id'`) filters that column; any other filters the related id.
            id_field = getattr(field, "id_field", None) or "id"
            attribute = field.attribute or f"{name}__{id_field}"
            generated[name] = FilterField(attribute=attribute, type_=ma_fields.String)
        else:
            generated[name] = FilterField(attribute=field.attribute or name, type_=type(field))
    return generated


# Names of the filter expression syntax (Flask-REST-JSONAPI's) for our operators.
_EXPRESSION_OPERATORS = {"ge": "gte", "le": "lte", "in_": "in", "notin_": "notin"}


class FilterSchemaBase:
    base_filters: dict[str, Any] = {}

    def parse(self, args: Any = None, *, expressions: bool = False) -> dict[str, Any]:
        """The filters of the request (``flask.request.args`` unless ``args`` is given).

        ``expressions`` accepts ``filter=[...]``, a JSON list of conditions
        (``{"name": "title", "op": "eq", "val": "x"}``) combined with ``and``/``or``/``not``.
        """
        if args is None:
            args = flask.request.args
        parsed: dict[str, Any] = {}
        budget = None
        for parameter in args:
            if parameter != "filter" and not parameter.startswith("filter["):
                continue
            values = args.getlist(parameter)
            if len(values) > 1:
                raise InvalidFilters(f"'{parameter}' may be given only once.", parameter=parameter)
            if parameter == "filter":
                if not expressions:
                    raise InvalidFilters(
                        "Filter expressions ('filter=[...]') are not available here; "
                        "write filter[FIELD] or filter[FIELD][OP].",
                        parameter=parameter,
                    )
                parsed[EXPRESSION_KEY] = self.parse_expression(values[0], parameter)
                budget = _spend(budget, _count_values(parsed[EXPRESSION_KEY]), parameter)
                continue
            match = _FILTER_KEY.match(parameter)
            if not match:
                raise InvalidFilters(
                    f"Error parsing '{parameter}': write filter[FIELD] or filter[FIELD][OP]",
                    parameter=parameter,
                )
            names = [
                name.replace("-", "_")
                for group in _GROUP.findall(match.group(1))
                for name in group.split(".")
            ]
            key, parsed_value = self._parse_names(names, values[0], parameter)
            parsed[key] = parsed_value
            if isinstance(parsed_value, list):
                budget = _spend(budget, len(parsed_value), parameter)
        return parsed

    def _lookup(self, names: list[str], parameter: str) -> tuple[list[str], Any, str, list[str]]:
        """The filter a path names: its key prefix, the field, its name and the rest."""
        name, rest = names[0], names[1:]
        field = self.base_filters.get(name)
        if field is None:
            raise InvalidFilters(
                f"Error parsing '{parameter}': '{name}' is not a filter here", parameter=parameter
            )
        if isinstance(field, RelationshipFilterField):
            if not rest:
                raise InvalidFilters(
                    f"Error parsing '{parameter}': filtering directly by relationship is "
                    "forbidden; name one of its fields",
                    parameter=parameter,
                )
            prefix, leaf, leaf_name, leaf_rest = field.filters_schema_cls()._lookup(rest, parameter)
            return (
                [field.attribute or field.field_name or name, *prefix],
                leaf,
                leaf_name,
                leaf_rest,
            )
        return [], field, name, rest

    def _parse_names(self, names: list[str], value: Any, parameter: str) -> tuple[str, Any]:
        prefix, field, name, rest = self._lookup(names, parameter)
        if len(rest) > 1:
            raise InvalidFilters(
                f"Error parsing '{parameter}={value}': too many [segments]", parameter=parameter
            )
        key, parsed = field.parse(name, value, rest[0] if rest else None, parameter)
        return FilterKey("__".join([*prefix, key]), parameter), parsed

    # -- filter expressions ------------------------------------------------------------

    def parse_expression(self, raw: str, parameter: str = "filter") -> FilterExpression:
        """``filter=[...]`` -> an ``and`` of its conditions (400 on anything invalid)."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise InvalidFilters(
                f"'{parameter}' must be a JSON list of conditions.", parameter=parameter
            ) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list) or not data:
            raise InvalidFilters(
                f"'{parameter}' must be a non-empty JSON list of conditions.", parameter=parameter
            )
        budget = [limits.get("JSONAPI_MAX_FILTER_CONDITIONS")]
        return FilterExpression(
            "and", tuple(self._condition(item, [], parameter, budget, 1) for item in data)
        )

    def _condition(
        self, node: Any, prefix: list[str], parameter: str, budget: list[int], depth: int
    ) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise InvalidFilters(
                f"'{parameter}' has more than {limits.get('JSONAPI_MAX_FILTER_CONDITIONS')} "
                "conditions.",
                parameter=parameter,
            )
        max_depth = limits.get("JSONAPI_MAX_FILTER_DEPTH")
        if depth > max_depth:
            raise InvalidFilters(
                f"'{parameter}' nests and/or/not deeper than {max_depth} levels.",
                parameter=parameter,
            )
        if not isinstance(node, dict):
            raise InvalidFilters(
                f"'{parameter}': each condition must be a JSON object.", parameter=parameter
            )
        for op in ("and", "or"):
            if op in node:
                items = node[op]
                if len(node) != 1 or not isinstance(items, list) or not items:
                    raise InvalidFilters(
                        f"'{parameter}': '{op}' takes a non-empty list, alone in its object.",
                        parameter=parameter,
                    )
                return FilterExpression(
                    op,
                    tuple(self._condition(i, prefix, parameter, budget, depth + 1) for i in items),
                )
        if "not" in node:
            if len(node) != 1:
                raise InvalidFilters(
                    f"'{parameter}': 'not' takes one condition, alone in its object.",
                    parameter=parameter,
                )
            return FilterExpression(
                "not", (self._condition(node["not"], prefix, parameter, budget, depth + 1),)
            )
        name, op = node.get("name"), node.get("op", "eq")
        if set(node) - {"name", "op", "val"} or not isinstance(name, str) or not name:
            raise InvalidFilters(
                f'\'{parameter}\': a condition is {{"name": ..., "op": ..., "val": ...}}.',
                parameter=parameter,
            )
        if not isinstance(op, str):
            raise InvalidFilters(f"'{parameter}': 'op' must be a string.", parameter=parameter)
        names = [*prefix, *(n for part in name.split("__") for n in part.split("."))]
        if op in ("has", "any"):
            return self._condition(node.get("val"), names, parameter, budget, depth + 1)
        if "val" not in node:
            raise InvalidFilters(
                f"'{parameter}': the condition on '{name}' needs a 'val'.", parameter=parameter
            )
        op = _EXPRESSION_OPERATORS.get(op, op)
        path, field, leaf, rest = self._lookup(names, parameter)
        if rest:
            raise InvalidFilters(
                f"'{parameter}': '{name}' is not a filter here.", parameter=parameter
            )
        if op == "eq" and "eq" not in field.operators and None in field.operators:
            op = None
        key, value = field.parse(leaf, node["val"], op, parameter)
        return FilterKey("__".join([*path, key]), parameter, name), value


def _count_values(expression: FilterExpression) -> int:
    return sum(
        _count_values(item)
        if isinstance(item, FilterExpression)
        else len(item[1])
        if isinstance(item[1], list)
        else 1
        for item in expression.items
    )


def _spend(budget: int | None, count: int, parameter: str) -> int:
    """What is left of the request's filter values after ``count`` more (400 past it)."""
    if budget is None:
        budget = max_filter_values()
    budget -= count
    if budget < 0:
        raise InvalidFilters(
            f"The filters of one request may give at most {max_filter_values()} values; "
            f"'{parameter}' passes that.",
            parameter=parameter,
        )
    return budget


class FilterSchema(FilterSchemaBase, metaclass=FilterSchemaMeta):
    """Declare filters as class attributes (``title = FilterField()``)."""


# -- filters derived from a schema ------------------------------------------------------

_TEXT = ["eq", "ne", "in", "notin", "contains", "icontains", "startswith", "istartswith"]
_TEXT += ["endswith", "iendswith", "isnull"]
_ORDERED = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "notin", "isnull"]
_EQUALITY = ["eq", "ne", "in", "notin", "isnull"]
_BOOLEAN = ["eq", "ne", "isnull"]
_TEMPORAL = tuple(
    getattr(ma_fields, name)
    for name in ("DateTime", "Date", "Time", "TimeDelta", "NaiveDateTime", "AwareDateTime")
    if hasattr(ma_fields, name)
)
MAX_FILTER_DEPTH = 3


def schema_field_operators(field: ma_fields.Field) -> list[str] | None:
    """The operators a schema field is filtered with when no FilterSchema is declared.

    Text (``String``, ``Email``, ``Url``): equality, ``in``/``notin``, the (i)contains,
    (i)startswith and (i)endswith matches, ``isnull``. Numbers, dates and times: equality,
    ``lt``/``lte``/``gt``/``gte``, ``in``/``notin``, ``isnull``. ``UUID`` and ``Enum``:
    equality, ``in``/``notin``, ``isnull``. ``Boolean``: ``eq``/``ne``/``isnull``.
    Anything else (``Raw``, ``Dict``, ``List``, ``Nested``, ``Method``...) is not filterable.
    """
    if isinstance(field, (ma_fields.UUID, ma_fields.Enum)):
        return _EQUALITY
    if isinstance(field, ma_fields.String):
        return _TEXT
    if isinstance(field, (ma_fields.Number, *_TEMPORAL)):
        return _ORDERED
    if isinstance(field, ma_fields.Boolean):
        return _BOOLEAN
    return None


def _value_field(field: ma_fields.Field) -> ma_fields.Field:
    """The schema field, without its validators, to convert filter values."""
    value_field = copy.copy(field)
    value_field.validators = []
    return value_field


def default_filters(registry: Any, compiled: CompiledSchema) -> SchemaFilters:
    """The filters of a type that declares no ``filter_schema`` (its attributes, and those
    of related types through ``registry``), built once per set of registered types."""
    cache = registry.cached_default_filters()
    filters = cache.get(compiled)
    if filters is None:
        filters = cache[compiled] = SchemaFilters(compiled, registry.schema)
    return filters


class SchemaFilters(FilterSchemaBase):
    """The filters of a resource that declares no ``filter_schema``: ``id`` and each
    attribute the schema shows (operators by field type, see :func:`schema_field_operators`),
    and the same on related types through relationships (``filter[author][name]=Bob``),
    at most :data:`MAX_FILTER_DEPTH` relationships deep. Nothing else can be filtered."""

    def __init__(
        self,
        compiled: CompiledSchema,
        lookup: Callable[[str], CompiledSchema | None],
        depth: int = 0,
    ) -> None:
        filters: dict[str, Any] = {}
        if compiled.id_spec is not None:
            operators = schema_field_operators(compiled.id_spec.field) or _EQUALITY
            filters["id"] = FilterField(
                attribute=compiled.id_attribute,
                type_=_value_field(compiled.id_spec.field),
                operators=[None, *operators],
            )
        for spec in compiled.attributes.values():
            operators = schema_field_operators(spec.field) if spec.dump else None
            if operators is not None:
                filters[spec.member.replace("-", "_")] = FilterField(
                    attribute=spec.attribute,
                    type_=_value_field(spec.field),
                    operators=[None, *operators],
                )
        if depth < MAX_FILTER_DEPTH:
            for rel in compiled.relationships.values():
                related = lookup(rel.type_) if rel.type_ else None
                if related is not None:
                    filters[rel.member.replace("-", "_")] = RelationshipFilterField(
                        functools.partial(SchemaFilters, related, lookup, depth + 1),
                        attribute=rel.attribute,
                    )
        self.base_filters = filters
