"""Writes as Core statements: the fast path of :class:`SqlAlchemyModelRepository` for
POST and PATCH.

Through the ORM a create costs a SELECT for each related object (to answer 404 when it is
missing), a flush and an object; here it is one ``INSERT ... RETURNING``, and an update
one ``UPDATE ... RETURNING``. A related row that must exist is checked inside that one
statement (``INSERT ... SELECT ... FROM authors WHERE authors.id = :id``; ``UPDATE ...
WHERE EXISTS (...)``); when no row comes back, the caller finds out why through the ORM
path, on the error path only. The answer is a :class:`~.row_reads.Record` with the
columns the response document needs, its include tree loaded by the read plan.

A writer is made only where the ORM would do nothing more (:func:`writable` says when):
no validators, mapper or flush events, custom constructor, version counter or
``onupdate`` column, and every value given is a column of the model's table or a
many-to-one relationship over one foreign key column.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.sql.util import ClauseAdapter

from .. import exceptions, scopes
from .row_reads import ReadPlan, Record, listened, plain_join, reads

try:
    from sqlalchemy.orm.decl_base import _declarative_constructor
except ImportError:  # pragma: no cover - another SQLAlchemy: every model counts as custom
    _declarative_constructor = None

# A foreign key column, the related primary key column, the related model.
_Required = tuple[Any, Any, Any]
_MAPPER_EVENTS = ("before_insert", "after_insert", "before_update", "after_update")
_SESSION_EVENTS = ("before_flush", "after_flush", "after_flush_postexec")


def writable(mapper: Any, session: orm.Session) -> bool:
    """Whether rows of ``mapper`` can be written without the ORM seeing a difference."""
    if not _plain_model(mapper, session.get_bind(mapper=mapper).dialect):
        return False
    # Listeners may come and go while the application runs: asked on every request.
    if listened(mapper.class_manager.dispatch.init):
        return False  # an init listener may set more than the values
    for dispatch, names in ((mapper.dispatch, _MAPPER_EVENTS), (session.dispatch, _SESSION_EVENTS)):
        for name in names:
            if listened(getattr(dispatch, name)):
                return False
    return True


@functools.lru_cache(maxsize=256)
def _plain_model(mapper: Any, dialect: Any) -> bool:
    """What :func:`writable` needs of the mapping and the database, which do not change once
    mapped: no validators, version counter, constructor of the model's own or ``onupdate``
    column, and ``INSERT``/``UPDATE ... RETURNING``."""
    if mapper.validators or mapper.version_id_col is not None:
        return False
    if mapper.class_manager.original_init is not _declarative_constructor:
        return False  # a constructor of the model's own may set more than the values
    if any(c.onupdate is not None or c.server_onupdate is not None for c in mapper.local_table.c):
        return False
    return bool(dialect.insert_returning and dialect.update_returning)


class RowWriter:
    """Creates and updates rows of one model and answers them as records."""

    def __init__(self, repository: Any, plan: ReadPlan, *, alone: bool = False) -> None:
        self.repository = repository
        self.plan = plan
        # Nothing but the library's code runs with the written row before the unit of work
        # ends: the write may take a connection of its own (direct_writes.py).
        self.alone = alone
        self.mapper = plan.columns.mapper
        self.table = self.mapper.local_table

    def values(
        self, data: Mapping[str, Any], related: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, _Required]] | None:
        """Column values for ``data`` (attribute -> value) and ``related`` (to-one
        relationship attribute -> (primary key or ``None``, the related type's
        repository)), and for each related key the foreign key and the related primary key
        column; ``None`` when one of them is not that plain."""
        values: dict[str, Any] = {}
        required: dict[str, _Required] = {}
        mapper = self.mapper
        for attribute, value in data.items():
            column = _plain_column(mapper, attribute)
            if column is None:
                return None
            name, events = column
            if listened(events.set):
                return None  # a "set" listener may change or refuse the value
            values[name] = value
        for attribute, pair in related.items():
            relation = _plain_relation(mapper, attribute)
            if relation is None:
                return None
            events, model, foreign, remote = relation
            if listened(events.set):
                return None
            key, repository = pair
            finds_by_key = getattr(repository, "finds_by_key", None)
            if finds_by_key is None or not finds_by_key(model):
                return None
            if key is not None:
                try:
                    key = repository._coerce_id(key)
                except exceptions.ObjectNotFound:
                    return None  # a key its column cannot hold: the ORM path answers 404
            if key is None and not foreign.nullable:
                return None  # the ORM path refuses to empty it, with its own error
            values[foreign.key] = key
            if key is not None:
                required[foreign.key] = (foreign, remote, model)
        return values, required

    def create(self, values: dict[str, Any], required: dict[str, _Required]) -> Any:
        """INSERT the row; ``None`` when a required related row does not exist (or is out
        of the request's scope); 403 when the new row itself would be out of it."""
        current = scopes.current()
        if current is not None:
            # The policies' criteria hold this request's values: the statement is reused
            # only for the very same criterion objects.
            names = tuple(values)
            statement = scopes.memo(
                "insert",
                (self.plan, *self._criteria(current, required), *names, *required),
                lambda: self._insert(names, required, current),
            )
            return self._answer(statement, _parameters(values), scoped=True)
        key = ("insert", tuple(values), tuple(required))
        statement = self.plan.statements.get(key)
        if statement is None:
            statement = self.plan.statements[key] = self._insert(tuple(values), required)
        return self._answer(statement, _parameters(values))

    def _insert(
        self, names: tuple[str, ...], required: dict[str, _Required], current: Any = None
    ) -> Any:
        returning = self._returning(current)
        if not required:
            values = {name: sa.bindparam(f"jsonapi_p{i}") for i, name in enumerate(names)}
            return sa.insert(self.table).values(values).returning(*returning)
        # INSERT ... SELECT from the related tables: no row when one of them is missing.
        selected, conditions, sources = [], [], []
        for i, name in enumerate(names):
            if name in required:
                _, remote, related = required[name]
                alias = remote.table.alias()
                selected.append(alias.c[remote.key])
                conditions.append(alias.c[remote.key] == sa.bindparam(f"jsonapi_p{i}"))
                conditions.extend(_related_scope(current, related, alias))
                sources.append(alias)
            else:
                selected.append(sa.bindparam(f"jsonapi_p{i}", type_=self.table.c[name].type))
        joined = sources[0]
        for alias in sources[1:]:
            joined = joined.join(alias, sa.true())  # one row each: their product is one row
        source = sa.select(*selected).select_from(joined).where(*conditions)
        return sa.insert(self.table).from_select(list(names), source).returning(*returning)

    def update(self, key: Any, values: dict[str, Any], required: dict[str, _Required]) -> Any:
        """UPDATE the row ``key``; ``None`` when it or a required related row is missing
        (or out of the request's scope); 403 when the write would put it out of scope."""
        try:
            key = self.repository._coerce_id(key)
        except exceptions.ObjectNotFound:
            return None
        if not values:
            return reads(self.plan, self.repository.connection()).one(key)
        parameters = {**_parameters(values), "jsonapi_key": key}
        current = scopes.current()
        if current is not None:
            names = tuple(values)
            statement = scopes.memo(
                "update",
                (self.plan, *self._criteria(current, required), *names, *required),
                lambda: self._update(names, required, current),
            )
            return self._answer(statement, parameters, scoped=True)
        cache_key = ("update", tuple(values), tuple(required))
        statement = self.plan.statements.get(cache_key)
        if statement is None:
            statement = self.plan.statements[cache_key] = self._update(tuple(values), required)
        return self._answer(statement, parameters)

    def _update(
        self, names: tuple[str, ...], required: dict[str, _Required], current: Any = None
    ) -> Any:
        primary_key = self.mapper.primary_key[0]
        values = {name: sa.bindparam(f"jsonapi_p{i}") for i, name in enumerate(names)}
        statement = sa.update(self.table).where(primary_key == sa.bindparam("jsonapi_key"))
        statement = statement.values(values)
        if current is not None:
            criterion = current.criterion(self.mapper.class_)
            if criterion is not None:
                # A row the client may not see is not updated (no row: 404).
                statement = statement.where(criterion)
        for name, (_, remote, related) in required.items():
            # An alias: a foreign key to its own table must not correlate with the row.
            alias = remote.table.alias()
            condition = alias.c[remote.key] == sa.bindparam(f"jsonapi_p{names.index(name)}")
            scope = _related_scope(current, related, alias)
            statement = statement.where(sa.exists().where(condition, *scope))
        return statement.returning(*self._returning(current))

    def _criteria(self, current: Any, required: dict[str, _Required]) -> tuple[Any, ...]:
        """The criteria a scoped statement of this row and its related rows depends on."""
        models = (self.mapper.class_, *(related for _, _, related in required.values()))
        return tuple(current.criterion(model) for model in models)

    def _returning(self, current: Any) -> tuple[Any, ...]:
        """The plan's columns and, within a request's policies, whether the row written is
        still in scope (the criterion on the new values)."""
        columns = self.plan.columns.columns
        if current is None:
            return columns
        criterion = current.criterion(self.mapper.class_)
        if criterion is None:
            criterion = sa.true()
        return (*columns, sa.case((criterion, 1), else_=0).label("jsonapi_in_scope"))

    def _answer(
        self, statement: Any, parameters: dict[str, Any], *, scoped: bool = False
    ) -> Record | None:
        repository = self.repository
        with repository.database_errors():
            if self.alone:
                connection = repository.write_connection()
            else:
                connection = repository.connection(writing=True)
            rows = connection.execute(statement, parameters).all()
        if scoped and rows:
            if not rows[0][-1]:
                # Rolled back by the caller's transaction with this error.
                raise exceptions.ForbiddenError(
                    "This write would put the resource out of your reach.", {"pointer": "/data"}
                )
            rows = [row[:-1] for row in rows]
        return reads(self.plan, connection).answer(rows)


# What the mapping says of an attribute does not change once mapped (its listeners may: they
# are asked of the attribute's events on every request).


@functools.lru_cache(maxsize=1024)
def _plain_column(mapper: Any, attribute: str) -> tuple[str, Any] | None:
    """The key of the one column of the model's own table that ``attribute`` maps, and the
    attribute's events; ``None`` when it is no such attribute."""
    prop = mapper.column_attrs.get(attribute)
    if prop is None or len(prop.columns) != 1 or prop.columns[0].table is not mapper.local_table:
        return None
    return prop.columns[0].key, prop.class_attribute.dispatch


@functools.lru_cache(maxsize=1024)
def _plain_relation(mapper: Any, attribute: str) -> tuple[Any, Any, Any, Any] | None:
    """The events, related model, foreign key column and related primary key column of a
    many-to-one ``attribute`` over one foreign key column to the related primary key;
    ``None`` when it is not that plain."""
    relation = mapper.relationships.get(attribute)
    if relation is None or relation.direction is not orm.MANYTOONE or relation.viewonly:
        return None
    if len(relation.local_remote_pairs) != 1 or not plain_join(relation.primaryjoin):
        return None
    foreign, remote = relation.local_remote_pairs[0]
    if foreign.table is not mapper.local_table or not isinstance(remote.table, sa.Table):
        return None
    if list(relation.mapper.primary_key) != [remote]:
        return None  # the key given is the related primary key, not this column
    return relation.class_attribute.dispatch, relation.mapper.class_, foreign, remote


def _related_scope(current: Any, related: Any, alias: Any) -> list[Any]:
    """The request's criterion on a related row, written on ``alias`` of its table."""
    if current is None:
        return []
    criterion = current.criterion(related)
    if criterion is None:
        return []
    return [ClauseAdapter(alias).traverse(criterion)]


def _parameters(values: dict[str, Any]) -> dict[str, Any]:
    # Names no column is likely to have: a bind name equal to a column name is refused.
    return {f"jsonapi_p{i}": value for i, value in enumerate(values.values())}
