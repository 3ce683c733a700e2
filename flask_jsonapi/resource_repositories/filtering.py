"""Filter conditions as SQL, with the same meaning on SQLite and PostgreSQL.

A path through relationships becomes ``EXISTS`` subqueries (``has``/``any``), so filtering
on a to-many relationship never duplicates rows. Case-sensitive matching avoids ``LIKE``
(case-insensitive on SQLite) and compares substrings instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.operators import eq as operator_eq

from .. import exceptions
from ..query.model import FilterExpression


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


def condition(model: Any, path: list[str], operator: str, value: Any, key: str) -> Any:
    """The SQL condition ``path operator value``, following relationships from ``model``."""
    mapper = sa.inspect(model)
    name, rest = path[0], path[1:]
    if rest:
        if name not in mapper.relationships:
            raise exceptions.InvalidFilters(f"'{key}': '{name}' is not a relationship")
        relationship = mapper.relationships[name]
        inner = condition(relationship.mapper.class_, rest, operator, value, key)
        return _through(model, relationship, inner)
    if name in mapper.relationships:
        # A relationship compared directly: compare the related primary key.
        relationship = mapper.relationships[name]
        related_pk = sa.inspect(relationship.mapper).primary_key[0].key
        return condition(model, [name, related_pk], operator, value, key)
    if name not in mapper.column_attrs:
        raise exceptions.InvalidFilters(f"'{key}': '{name}' is not a column")
    column = getattr(model, name)
    if operator == "range" and (not isinstance(value, (list, tuple)) or len(value) != 2):
        raise exceptions.InvalidFilters(f"'{key}': range needs two values")
    if isinstance(column.type, sa.Integer) and not isinstance(column.type, sa.BigInteger):
        value = _widened(value)
    return OPERATORS[operator](column, value)


def _widened(value: Any) -> Any:
    """Integers beyond 32 bits as BIGINT parameters: PostgreSQL casts a parameter compared
    with an INTEGER column to INTEGER, and one out of its range fails the query (a 500),
    where ``views < 2^40`` simply holds for every row."""
    if isinstance(value, (list, tuple)):
        return [_widened(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        return sa.literal(value, sa.BigInteger())
    return value


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


def key_condition(model: Any, key: str, value: Any) -> Any:
    """The condition of one entry of the flat filter form (``author__name__icontains``)."""
    *path, operator = key.split("__")
    if operator not in OPERATORS:
        path, operator = [*path, operator], "eq"
    if not path or not all(path):
        raise exceptions.InvalidFilters(f"'{key}' names no attribute")
    return condition(model, path, operator, value, key)


def expression_condition(model: Any, expression: FilterExpression) -> Any:
    """The condition of a filter expression: and/or/not over flat-form conditions."""
    parts = [
        expression_condition(model, item)
        if isinstance(item, FilterExpression)
        else key_condition(model, *item)
        for item in expression.items
    ]
    if expression.op == "not":
        return sa.not_(parts[0])
    return sa.or_(*parts) if expression.op == "or" else sa.and_(*parts)
