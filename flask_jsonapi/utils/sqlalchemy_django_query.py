"""Django-style lookups on SQLAlchemy's legacy ``Query`` (the original's ``DjangoQuery``).

Kept for code written against the original flask-jsonapi; the repositories of this
library build ``select()`` statements and do not use it. Written afresh for SQLAlchemy 2::

    query = DjangoQuery(Article, session=session)
    query.filter_by(author__name__istartswith="al", tags__name="python")
    query.exclude_by(published__year=2020)
    query.order_by("-author__name", "title", Article.id)

or ``sessionmaker(query_cls=DjangoQuery)`` so that ``session.query(...)`` returns one.

Keys are ``name``, ``name__op``, ``relation__name``, ``relation__name__op`` (any depth);
every name is looked up on the model reached so far, starting from the query's first
entity (so ``author__id`` is ``Author.id``). Operators: ``eq``/``exact``, ``ne``, ``gt``,
``lt``, ``gte``, ``lte``, ``contains``, ``notcontains``, ``startswith``, ``endswith``
(``LIKE``), ``iexact``, ``istartswith``, ``iendswith`` (``ILIKE``), ``isnull`` (``True``:
``IS NULL``), ``range`` (two values, ``BETWEEN``), ``year``/``month``/``day``
(``EXTRACT``), ``in``/``notin`` (a list). Patterns are escaped: ``%`` and ``_`` in a value
match themselves. On SQLite ``LIKE`` ignores ASCII case, as SQLite's ``LIKE`` always does.

Filters through relationships are ``EXISTS`` subqueries (``has()`` for to-one, ``any()``
for to-many), not joins: no duplicate rows, and the query's ``whereclause`` stands alone.
A path matches when some related row matches, so ``author__publisher__isnull=True`` needs
an author (the original's inner joins meant the same).
Ordering by ``author__name`` outer-joins an alias per relationship path (to-one only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import RelationshipProperty
from sqlalchemy.orm.util import AliasedClass, AliasedInsp

__all__ = ["DjangoQuery", "DjangoQueryMixin", "get_column", "get_mapper"]

_LIKE_ESCAPE = "/"


def _escape_like(value: Any) -> str:
    text = str(value)
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _range(column: Any, value: Any) -> Any:
    bounds = _as_list(value)
    if len(bounds) != 2:
        raise ValueError(f"range needs two values, not {value!r}")
    return column.between(bounds[0], bounds[1])


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": lambda c, v: c == v,
    "exact": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "lt": lambda c, v: c < v,
    "gte": lambda c, v: c >= v,
    "lte": lambda c, v: c <= v,
    "contains": lambda c, v: c.contains(v, autoescape=True),
    "notcontains": lambda c, v: ~c.contains(v, autoescape=True),
    "startswith": lambda c, v: c.startswith(v, autoescape=True),
    "endswith": lambda c, v: c.endswith(v, autoescape=True),
    "iexact": lambda c, v: c.ilike(_escape_like(v), escape=_LIKE_ESCAPE),
    "istartswith": lambda c, v: c.ilike(_escape_like(v) + "%", escape=_LIKE_ESCAPE),
    "iendswith": lambda c, v: c.ilike("%" + _escape_like(v), escape=_LIKE_ESCAPE),
    "isnull": lambda c, v: c.is_(None) if v else c.is_not(None),
    "range": _range,
    "year": lambda c, v: sa.extract("year", c) == v,
    "month": lambda c, v: sa.extract("month", c) == v,
    "day": lambda c, v: sa.extract("day", c) == v,
    "in": lambda c, v: c.in_(_as_list(v)),
    "notin": lambda c, v: c.not_in(_as_list(v)),
}
# What a key may end with when its last name is a relationship (``author=obj``).
_RELATIONSHIP_OPERATORS = {"eq", "exact", "ne", "isnull"}


def get_mapper(mixed: Any) -> orm.Mapper[Any]:
    """The mapper of a mapped class, instance, ``aliased()`` class, mapper, ORM attribute
    (its class) or relationship attribute (its target). ``ValueError`` if there is none."""
    if isinstance(mixed, orm.Mapper):
        return mixed
    prop = getattr(mixed, "property", None)
    if isinstance(prop, RelationshipProperty):
        return prop.mapper
    if isinstance(mixed, orm.QueryableAttribute):
        return get_mapper(mixed.parent)
    try:
        inspected = sa.inspect(mixed)
    except sa.exc.NoInspectionAvailable:
        inspected = None
    mapper = getattr(inspected, "mapper", None)
    if not isinstance(mapper, orm.Mapper):
        raise ValueError(f"{mixed!r} is not mapped")
    return mapper


def _entity(mixed: Any) -> Any:
    """What to take attributes from: the class, or the ``aliased()`` class."""
    if isinstance(mixed, AliasedInsp):
        return mixed.entity
    if isinstance(mixed, AliasedClass):
        return mixed
    prop = getattr(mixed, "property", None)
    if isinstance(prop, RelationshipProperty):
        return prop.mapper.class_
    return get_mapper(mixed).class_


def _is_relationship(attribute: Any) -> bool:
    return isinstance(getattr(attribute, "property", None), RelationshipProperty)


def _lookup(entity: Any, name: str) -> Any:
    mapper = get_mapper(entity)
    if name not in mapper.all_orm_descriptors:
        return None
    attribute = getattr(_entity(entity), name)
    # Columns, column_property, synonyms, hybrids and relationships; not hybrid methods
    # or association proxies, which are no column of this model.
    if _is_relationship(attribute) or hasattr(attribute, "__clause_element__"):
        return attribute
    return None


def get_column(joinpoint: Any, token: str, joins_needed: Iterable[Any] = ()) -> Any:
    """The ORM attribute (column or relationship) named ``token`` on ``joinpoint`` (a
    mapped class, alias or mapper), else on the target of the first of ``joins_needed``
    (relationship attributes or entities) that has it; ``None`` if none has.

    ``joinpoint`` is always tried first; the original tried the query's root model first,
    which resolved ``author__id`` to the root's ``id``: :class:`DjangoQuery` passes the
    model reached so far.
    """
    for candidate in (joinpoint, *joins_needed):
        attribute = _lookup(candidate, token)
        if attribute is not None:
            return attribute
    return None


class DjangoQueryMixin:
    """``filter_by``/``exclude_by`` with ``__`` lookups and ``order_by`` with strings, for
    any subclass of :class:`sqlalchemy.orm.Query`."""

    _django_order_joins: dict[tuple[str, ...], Any] = {}

    def _django_root(self) -> Any:
        descriptions = self.column_descriptions  # type: ignore[attr-defined]
        root = descriptions[0]["entity"] if descriptions else None
        if root is None:
            raise ValueError("DjangoQuery needs a mapped class as its first entity")
        return root

    # -- filtering -------------------------------------------------------------------

    def filter_by(self, **kwargs: Any) -> Any:
        """``WHERE`` every ``key=value`` (all must hold); see the module for the key syntax.

        ``ValueError('Could not find column for filter "key"')`` for an unknown name and
        ``ValueError("No idea what to do with 'op'")`` for an unknown operator.
        """
        root = self._django_root()
        criteria = [_criterion(root, key, value) for key, value in kwargs.items()]
        return self.filter(*criteria)  # type: ignore[attr-defined]

    def exclude_by(self, **kwargs: Any) -> Any:
        """Drop the rows each ``key=value`` matches (each keyword is negated on its own,
        as in the original): exactly the rows ``filter_by(key=value)`` would not return,
        including those where the column is ``NULL`` or the related row is missing."""
        root = self._django_root()
        criteria = [_criterion(root, key, value, negate=True) for key, value in kwargs.items()]
        return self.filter(*criteria)  # type: ignore[attr-defined]

    # -- ordering --------------------------------------------------------------------

    def order_by(self, *clauses: Any) -> Any:
        """``ORDER BY`` clauses; a string is ``[+|-]name`` or ``[+|-]relation__name``
        (to-one relationships, outer-joined once per path). Other clauses, ``None`` and
        ``False`` behave as in ``Query.order_by``."""
        query: Any = self
        resolved = []
        for clause in clauses:
            if isinstance(clause, str):
                query, clause = query._django_order_clause(clause)
            resolved.append(clause)
        return super(DjangoQueryMixin, query).order_by(*resolved)

    def _django_order_clause(self, text: str) -> tuple[Any, Any]:
        descending = text.startswith("-")
        key = text[1:] if text[:1] in "+-" else text
        *relations, name = key.split("__")
        query: Any = self
        entity = self._django_root()
        joins = dict(self._django_order_joins)
        for depth, relation in enumerate(relations):
            attribute = get_column(entity, relation)
            if attribute is None or not _is_relationship(attribute):
                raise ValueError(f'Could not find column for ordering "{key}"')
            if attribute.property.uselist:
                raise ValueError(f'Cannot order by "{key}": "{relation}" is a to-many relationship')
            path = tuple(relations[: depth + 1])
            if path not in joins:
                alias = orm.aliased(attribute.property.mapper.class_)
                query = query.outerjoin(alias, attribute.of_type(alias))
                joins[path] = alias
            entity = joins[path]
        column = get_column(entity, name)
        if column is None or _is_relationship(column):
            raise ValueError(f'Could not find column for ordering "{key}"')
        if query is not self:
            query._django_order_joins = joins
        return query, column.desc() if descending else column.asc()

    # -- eager loading ---------------------------------------------------------------

    def select_related(self, *paths: str) -> Any:
        """Joined-eager-load each ``relation`` or ``relation__relation`` path."""
        options = []
        for path in paths:
            entity = self._django_root()
            loader = None
            for name in path.replace(".", "__").split("__"):
                attribute = get_column(entity, name)
                if attribute is None or not _is_relationship(attribute):
                    raise ValueError(f'Could not find relationship for "{path}"')
                loader = (
                    orm.joinedload(attribute) if loader is None else loader.joinedload(attribute)
                )
                entity = attribute.property.mapper.class_
            options.append(loader)
        return self.options(*options)  # type: ignore[attr-defined]


class DjangoQuery(DjangoQueryMixin, orm.Query):
    """``Query`` with Django-style ``filter_by``, ``exclude_by``, ``order_by`` and
    ``select_related``: ``DjangoQuery(Model, session=session)``."""


def _criterion(root: Any, key: str, value: Any, *, negate: bool = False) -> Any:
    """The SQL condition for one ``key=value`` starting at ``root``."""
    tokens = key.split("__")
    entity = root
    relations: list[Any] = []
    column = None
    index = 0
    while index < len(tokens):
        attribute = get_column(entity, tokens[index])
        if attribute is None:
            break
        index += 1
        if not _is_relationship(attribute):
            column = attribute
            break
        relations.append(attribute)
        entity = attribute.property.mapper.class_
    rest = tokens[index:]
    if column is None and rest:
        # Unknown name, or ``relation__op``.
        if not relations or len(rest) > 1 or rest[0] not in OPERATORS:
            raise ValueError(f'Could not find column for filter "{key}"')
    if len(rest) > 1:
        unknown = next((token for token in rest if token not in OPERATORS), rest[1])
        raise ValueError(f"No idea what to do with {unknown!r}")
    operator = rest[0] if rest else "eq"
    if operator not in OPERATORS:
        raise ValueError(f"No idea what to do with {operator!r}")
    if column is not None:
        condition = OPERATORS[operator](column, value)
        if negate and not relations and operator != "isnull":
            # NOT (x = 1) is NULL where x is NULL; those rows are not matched either.
            return sa.or_(sa.not_(condition), column.is_(None))
    else:
        if operator not in _RELATIONSHIP_OPERATORS:
            raise ValueError(f"No idea what to do with {operator!r}")
        condition = _relationship_condition(relations.pop(), operator, value)
    for relation in reversed(relations):
        condition = (
            relation.any(condition) if relation.property.uselist else relation.has(condition)
        )
    return sa.not_(condition) if negate else condition


def _relationship_condition(relation: Any, operator: str, value: Any) -> Any:
    many = relation.property.uselist
    if operator == "isnull":
        present = relation.any() if many else relation.has()
        return sa.not_(present) if value else present
    if value is None:
        condition = sa.not_(relation.any() if many else relation.has())
    elif many:
        condition = relation.contains(value)
    elif operator == "ne":
        # ``!=`` on a many-to-one also matches rows whose foreign key is NULL.
        return relation != value
    else:
        condition = relation == value
    return sa.not_(condition) if operator == "ne" else condition
