"""Filter conditions as SQL, with the same meaning on SQLite and PostgreSQL.

A path through relationships becomes ``EXISTS`` subqueries (``has``/``any``), so filtering
on a to-many relationship never duplicates rows. Case-sensitive matching avoids ``LIKE``
(case-insensitive on SQLite) and compares substrings instead.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.operators import eq as operator_eq

from .. import exceptions, scopes
from ..query.model import FilterExpression, FilterKey


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ilike(column: Any, pattern: str) -> Any:
    return sa.func.lower(column).like(pattern.lower(), escape="\\")


def _starts(column: Any, value: str) -> Any:
    return sa.func.substr(column, 1, len(value)) == value


def _ends(column: Any, value: str) -> Any:
    return sa.func.substr(column, sa.func.length(column) - len(value) + 1) == value


def _contains(column: Any, value: str) -> Any:
    # LIKE ignores case on SQLite and instr/strpos differ by dialect; replace() is
    # case-sensitive on both.
    return sa.func.replace(column, value, "") != column


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda c, v: c.is_(None) if v is None else c == v,
    "exact": lambda c, v: c == v,
    "ne": lambda c, v: c.is_not(None) if v is None else sa.or_(c != v, c.is_(None)),
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "in": lambda c, v: c.in_(list(v)),
    "notin": lambda c, v: sa.or_(c.not_in(list(v)), c.is_(None)),
    "contains": _contains,
    "notcontains": lambda c, v: sa.or_(sa.not_(_contains(c, v)), c.is_(None)),
    "icontains": lambda c, v: _ilike(c, f"%{_escape_like(v)}%"),
    "iexact": lambda c, v: sa.func.lower(c) == str(v).lower(),
    "startswith": _starts,
    "istartswith": lambda c, v: _ilike(c, f"{_escape_like(v)}%"),
    "endswith": _ends,
    "iendswith": lambda c, v: _ilike(c, f"%{_escape_like(v)}"),
    "isnull": lambda c, v: c.is_(None) if v else c.is_not(None),
    "range": lambda c, v: c.between(v[0], v[1]),
    "year": lambda c, v: sa.extract("year", c) == v,
    "month": lambda c, v: sa.extract("month", c) == v,
    "day": lambda c, v: sa.extract("day", c) == v,
}


def condition(
    model: Any,
    path: list[str],
    operator: str,
    value: Any,
    key: str,
    dialect: Callable[[], str] | None = None,
    parameter: str | None = None,
) -> Any:
    """The SQL condition ``path operator value``, following relationships from ``model``.

    With ``dialect`` (a function answering the database's dialect name, asked only for an
    integer past 16 bits), an integer the column cannot hold is 400 (naming ``parameter``)
    instead of an error in the database. A :class:`FilterKey` ``key`` names the client's
    parameter and filter in the errors."""
    mapper = sa.inspect(model)
    if isinstance(key, FilterKey):
        parameter = parameter or key.parameter
    name, rest = path[0], path[1:]
    if rest and name in mapper.column_attrs and _references(getattr(model, name), rest):
        # `author_id__id`: a relationship declared over its foreign-key column
        # (`attribute='author_id'`) filters that column.
        return condition(model, [name], operator, value, key, dialect, parameter)
    if rest:
        if name not in mapper.relationships:
            if name in mapper.column_attrs:
                raise exceptions.UnknownFilter(
                    _client_words(key, "this relationship can be filtered only by its id")
                    or f"No idea what to do with '{rest[0]}' in filter \"{key}\": "
                    f"'{name}' is a column, not a relationship.",
                    parameter=parameter,
                )
            raise exceptions.UnknownFilter(
                _client_words(key, "the resource has no such field")
                or f"Could not find column for filter \"{key}\": '{name}' is not a relationship.",
                parameter=parameter,
            )
        relationship = mapper.relationships[name]
        related = relationship.mapper.class_
        inner = condition(related, rest, operator, value, key, dialect, parameter)
        current = scopes.current()
        if current is not None:
            if current.checks_objects(related):
                raise exceptions.InvalidFilters(
                    _client_words(key, "filtering through this relationship is not possible")
                    or f"'{key}': filtering through '{name}' is not possible",
                    parameter=parameter,
                )
            # Only rows the client may see can match: no oracle on hidden values.
            criterion = current.criterion(related)
            if criterion is not None:
                inner = sa.and_(inner, criterion)
        return _through(model, relationship, inner)
    if name in mapper.relationships:
        # A relationship compared directly: compare the related primary key.
        relationship = mapper.relationships[name]
        related_pk = sa.inspect(relationship.mapper).primary_key[0].key
        return condition(model, [name, related_pk], operator, value, key, dialect, parameter)
    if name not in mapper.column_attrs:
        raise exceptions.UnknownFilter(
            _client_words(key, "the resource has no such field")
            or f"Could not find column for filter \"{key}\": '{name}' is not a column.",
            parameter=parameter,
        )
    column = getattr(model, name)
    if operator == "range" and (not isinstance(value, (list, tuple)) or len(value) != 2):
        raise exceptions.InvalidFilters(
            f"'{_shown(key)}': range needs two values", parameter=parameter
        )
    table_column = mapper.column_attrs[name].columns[0]
    python_type = python_type_of(table_column)
    if operator in _TEXT_OPERATORS:
        if not _stored_as_text(table_column.type):
            # Matching text in a number, a date or an enum: the text the database writes
            # for it (PostgreSQL's text functions take no other type).
            column = sa.cast(column, sa.String)
    elif operator in _COMPARISONS:
        value = _typed(python_type, value, key, parameter)
        if dialect is not None:
            _check_integers(table_column, value, dialect, key, parameter)
    return OPERATORS[operator](column, value)


def _stored_as_text(column_type: Any) -> bool:
    """Whether the database stores a column of this type as text (an enum is a type of
    its own on PostgreSQL, though its values are strings)."""
    stored = _stored_type(column_type)
    return isinstance(stored, sa.String) and not isinstance(stored, sa.Enum)


_TEXT_OPERATORS = frozenset(
    {"contains", "notcontains", "icontains", "iexact"}
    | {"startswith", "istartswith", "endswith", "iendswith"}
)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    decimal.Decimal: "a number",
    datetime.datetime: "a date and time",
    datetime.date: "a date",
    datetime.time: "a time",
    uuid.UUID: "a UUID",
}


def python_type_of(column: Any) -> type:
    """The Python type of a column's values; ``object`` when its type does not say. An
    application's ``TypeDecorator`` that does not say has the values of the type it stores."""
    column_type = column.type
    while True:
        try:
            python_type = column_type.python_type
        except NotImplementedError:  # SQLAlchemy before 2.1
            python_type = object
        if python_type is not object or not isinstance(column_type, sa.TypeDecorator):
            return python_type
        column_type = column_type.impl_instance


def _typed(python_type: type, value: Any, key: str, parameter: str | None) -> Any:
    """Query-string text (an untyped filter's value, as the original flask-jsonapi's
    ``FilterField`` gives it) read as the column's type: text compared with an integer or a
    date is an error on PostgreSQL, and a silent mismatch on SQLite."""
    if python_type not in _TYPE_NAMES:
        return value
    if isinstance(value, (list, tuple)):
        return [_typed_one(python_type, item, key, parameter) for item in value]
    return _typed_one(python_type, value, key, parameter)


def _typed_one(python_type: type, item: Any, key: str, parameter: str | None) -> Any:
    if not isinstance(item, str):
        return item
    text = item.strip()
    try:
        if python_type is bool:
            return _BOOLEANS[text.lower()]
        if python_type is int:
            if not _INTEGER_TEXT.match(text):
                raise ValueError(text)
            return int(text)
        if python_type in (datetime.datetime, datetime.date, datetime.time):
            return python_type.fromisoformat(text)  # type: ignore[attr-defined]
        number = python_type(text)
        if isinstance(number, (float, decimal.Decimal)) and not number.is_finite():
            raise ValueError(text)
        return number
    except (KeyError, ValueError, ArithmeticError) as error:
        raise exceptions.InvalidFilters(
            f"'{_shown(key)}': '{item}' is not {_TYPE_NAMES[python_type]}.",
            parameter=_parameter(key, parameter),
        ) from error


def _parameter(key: str, parameter: str | None) -> str:
    """The query parameter a filter came from: given, carried by its :class:`FilterKey`, or
    (a plain key, from code that calls a repository itself) rebuilt from the key."""
    if parameter:
        return parameter
    if isinstance(key, FilterKey):
        return key.parameter
    return "filter[" + "][".join(key.split("__")) + "]"


def _shown(key: str) -> str:
    """The filter as the client wrote it when known, else its key."""
    return key.name if isinstance(key, FilterKey) else key


def _client_words(key: str, problem: str) -> str | None:
    """An error detail in the client's terms, for a key parsed from a request: the model's
    names (a foreign-key column, a relationship's attribute) mean nothing to the client."""
    if not isinstance(key, FilterKey):
        return None
    return f"'{key.name}' cannot be filtered: {problem}."


def _references(column: Any, rest: list[str]) -> bool:
    """Whether ``rest`` names the column that the foreign key ``column`` references."""
    foreign_keys = getattr(column.expression, "foreign_keys", ())
    return len(rest) == 1 and any(fk.column.key == rest[0] for fk in foreign_keys)


_COMPARISONS = frozenset({"eq", "exact", "ne", "lt", "lte", "gt", "gte", "in", "notin", "range"})
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")


def _stored_type(column_type: Any) -> Any:
    """The type the database stores, through the application's ``TypeDecorator``s."""
    while isinstance(column_type, sa.TypeDecorator):
        column_type = column_type.impl_instance
    return column_type


def integer_type(column_type: Any) -> sa.Integer | None:
    """The integer type a column stores (an application's id type over ``Integer``
    included); ``None`` for a column of another type."""
    stored = _stored_type(column_type)
    return stored if isinstance(stored, sa.Integer) else None


def fits_32_bits(column_type: Any, value: int) -> bool:
    """Whether a column of this type holds ``value`` on every database, so that its
    dialect need not be asked: 32 bits fit every integer column but a ``SMALLINT``."""
    return -(2**31) <= value < 2**31 and not isinstance(integer_type(column_type), sa.SmallInteger)


def integer_bits(column_type: sa.Integer, dialect: str) -> int:
    """The width of an integer type (:func:`integer_type`): SQLite stores every integer in
    64 bits."""
    if dialect == "sqlite" or isinstance(column_type, sa.BigInteger):
        return 64
    return 16 if isinstance(column_type, sa.SmallInteger) else 32


def integer_range(column: Any, dialect: str) -> tuple[int, int] | None:
    """The lowest and highest value of an integer column, ``None`` for other columns."""
    column_type = integer_type(getattr(column, "type", None))
    if column_type is None:
        return None
    bits = integer_bits(column_type, dialect)
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _check_integers(
    column: Any, value: Any, dialect: Callable[[], str], key: str, parameter: str | None
) -> None:
    """400 for an integer (or integer text) outside an integer column's range: the database
    would fail the statement (PostgreSQL) or the driver refuse it (SQLite)."""
    if integer_type(getattr(column, "type", None)) is None:
        return
    bounds = None
    for item in value if isinstance(value, (list, tuple)) else (value,):
        number = item if type(item) is int else None
        if isinstance(item, str) and _INTEGER_TEXT.match(item):
            number = int(item)
        if number is None or -(2**15) <= number < 2**15:
            continue  # fits every integer column
        if bounds is None:
            bounds = integer_range(column, dialect())
        low, high = bounds
        if not low <= number <= high:
            raise exceptions.InvalidFilters(
                f"'{_shown(key)}': {item} is out of range for its column ({low} to {high}).",
                parameter=_parameter(key, parameter),
            )


def _through(model: Any, relationship: Any, inner: Any) -> Any:
    """``inner`` holds for a related row: an uncorrelated ``IN`` where the join is one plain
    column equality (the database evaluates it once, not once per row), else ``EXISTS``."""
    join = relationship.primaryjoin
    simple = (
        relationship.secondary is None
        and isinstance(join, sa.BinaryExpression)
        and join.operator is operator_eq
        and len(relationship.local_remote_pairs) == 1
    )
    if not simple:
        attribute = getattr(model, relationship.key)
        return attribute.any(inner) if relationship.uselist else attribute.has(inner)
    local, remote = relationship.local_remote_pairs[0]
    # The NULL checks keep NOT (...) meaning "no related row matches", as NOT EXISTS does.
    related = sa.select(remote).where(inner, remote.is_not(None))
    return sa.and_(local.is_not(None), local.in_(related))


def key_condition(
    model: Any,
    key: str,
    value: Any,
    dialect: Callable[[], str] | None = None,
    parameter: str | None = None,
) -> Any:
    """The condition of one entry of the flat filter form (``author__name__icontains``);
    ``dialect``: check integers against their columns' range."""
    *path, operator = key.split("__")
    if operator not in OPERATORS:
        path, operator = [*path, operator], "eq"
    if not path or not all(path):
        raise exceptions.InvalidFilters(
            f"'{_shown(key)}' names no attribute",
            parameter=parameter or getattr(key, "parameter", None),
        )
    return condition(model, path, operator, value, key, dialect, parameter)


def expression_condition(
    model: Any, expression: FilterExpression, dialect: Callable[[], str] | None = None
) -> Any:
    """The condition of a filter expression: and/or/not over flat-form conditions."""
    parts = [
        expression_condition(model, item, dialect)
        if isinstance(item, FilterExpression)
        else key_condition(model, *item, dialect, "filter")
        for item in expression.items
    ]
    if expression.op == "not":
        return sa.not_(parts[0])
    return sa.or_(*parts) if expression.op == "or" else sa.and_(*parts)
