"""One parent's relationship as rows: the fast path of relationship and related endpoints.

Private API. ``/articles/1/relationships/tags`` and ``/articles/1/comments`` need of the
parent only that it exists for this client and the value its relationship matches on;
of the members only their ids (the linkage) or a page of them (the related collection).
So, like the row reads of lists (``row_reads.py``), they are read as plain SELECTs: the
parent's key column, scoped by its type's policy, then the members' ids paged in SQL (or
the related type's row reader narrowed to the parent), scoped by theirs. A plan is made
only for a plain foreign-key relationship (one column pair, or one association table);
``None`` otherwise, and the ORM path runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .. import exceptions, scopes
from .row_reads import (
    _column,
    _column_key,
    _mapped_key,
    _plain_mapper,
    _Unplannable,
    relation_join,
)

# Relationships left to the ORM: "noload" answers no members, "raise" may refuse to read
# them. A "dynamic" or "write_only" one, which the ORM never loads whole, is served here
# (a page of its members at a time).
_UNLOADED = ("noload", "raise", "raise_on_sql")
# The bound parameter of a related page's criterion: the parent's matched value.
_PARENT_MATCH = "jsonapi_parent_match"
_NO_MEMBERS = sa.false()


@dataclass(frozen=True)
class RelationPlan:
    """The statements of one relationship of one model."""

    parent_mapper: Any
    target_mapper: Any
    parent: Any  # SELECT the parent's matched column and id WHERE its primary key = :pk
    members: Any  # SELECT the members' id column WHERE the match column = :value, ordered
    match: Any  # the column the parent's value is compared with (in the secondary, if any)
    target: Any  # the target's column in the association table's join (None without one)
    secondary: Any  # the association table's column of the target (None without one)
    members_of: Any  # the target's rows that are members of the parent matching :parent_match
    # `members` read from the association table alone, when its column is a foreign key to
    # the target's id and orders alike: for a target no policy scopes (None otherwise).
    unjoined: Any = None


def plan_relation(
    model: Any, attribute: str, parent_id_attribute: str, id_attribute: str
) -> RelationPlan | None:
    """The plan to read the relationship ``attribute`` of ``model`` (resources identified
    by ``parent_id_attribute``) as rows, its members identified by their
    ``id_attribute``; ``None`` when only the ORM reads it alike."""
    try:
        parent_mapper = _plain_mapper(model)
        relation = parent_mapper.relationships.get(attribute)
        if relation is None or relation.lazy in _UNLOADED:
            raise _Unplannable
        target_mapper = _plain_mapper(relation.mapper.class_)
        join = relation_join(relation, target_mapper)
        _mapped_key(target_mapper, join.target)
        local, match, source, secondary_column = join.local, join.match, join.source, join.secondary
        target_column = join.target if secondary_column is not None else None
        parent_key = _mapped_key(parent_mapper, local)
        id_column = _column(target_mapper, _column_key(target_mapper, id_attribute))
        parent_id = _column(parent_mapper, _column_key(parent_mapper, parent_id_attribute))
    except _Unplannable:
        return None
    pk = parent_mapper.primary_key[0]
    key_column = _column(parent_mapper, parent_key)
    columns = (key_column,) if key_column is parent_id else (key_column, parent_id)
    parent = sa.select(*columns).where(pk == sa.bindparam("pk"))
    order = list(relation.order_by or ())
    target_pk = target_mapper.primary_key[0]
    if not any(column.compare(target_pk) for column in order):
        order.append(target_pk)  # a total order: pages neither repeat nor skip members
    members = (
        sa.select(id_column)
        .select_from(source)
        .where(match == sa.bindparam("value"))
        .order_by(*order)
    )
    bound = match == sa.bindparam(_PARENT_MATCH)
    if secondary_column is None:
        members_of = bound
    else:
        members_of = target_column.in_(sa.select(secondary_column).where(bound))
    unjoined = None
    if (
        secondary_column is not None
        and id_column is target_pk
        and target_column is target_pk
        and len(order) == 1
        and order[0].compare(target_pk)
        and any(fk.column is target_pk for fk in secondary_column.foreign_keys)
    ):
        # The database keeps every key of the column a row of the target's: no join needed.
        unjoined = (
            sa.select(secondary_column)
            .where(match == sa.bindparam("value"))
            .order_by(secondary_column)
        )
    return RelationPlan(
        parent_mapper,
        target_mapper,
        parent,
        members,
        match,
        target_column,
        secondary_column,
        members_of,
        unjoined,
    )


def _paged(members: Any) -> tuple[Any, Any]:
    """The count of ``members`` (a SELECT of one parent's member ids), and a page of them
    with that count on every row. A scalar subquery, not ``count(*) OVER ()``: SQLite
    builds a temporary table for a window, which costs several times the whole read."""
    count = sa.select(sa.func.count()).select_from(members.order_by(None).subquery())
    paged = (
        members.add_columns(count.scalar_subquery())
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )
    return count, paged


class RelationReader:
    """The reads of one parent's relationship for one request, within its policies."""

    def __init__(self, repository: Any, plan: RelationPlan) -> None:
        self.repository = repository
        self.plan = plan
        self._scopes = scopes.current()

    def _scoped(self, statement: Any, mapper: Any) -> Any:
        if self._scopes is None:
            return statement
        criterion = self._scopes.criterion(mapper.class_)
        return statement if criterion is None else scopes.narrowed(statement, criterion)

    def parent(self, id: Any) -> tuple[Any, Any]:
        """The value the members of parent ``id`` match on, and the parent's resource id;
        404 when the client may not see the parent (or there is none), as a missing one."""
        repository = self.repository
        key = repository._coerce_id(id)
        statement = self._scoped(self.plan.parent, self.plan.parent_mapper)
        row = repository.connection().execute(statement, {"pk": key}).first()
        if row is None:
            raise exceptions.ObjectNotFound(
                None, f"{repository.instance_name.capitalize()} {id} not found."
            )
        return row[0], row[-1]

    def ids(self, value: Any, offset: int = 0, limit: int | None = None) -> tuple[list[Any], int]:
        """The ids of the members the client may see, in the relationship's order (from
        ``offset``, at most ``limit`` of them), and how many there are in all: one
        SELECT, counted by a subquery (a page past the end counts with one more)."""
        if value is None:
            return [], 0
        statement = self._scoped(self.plan.members, self.plan.target_mapper)
        if statement is self.plan.members and self.plan.unjoined is not None:
            statement = self.plan.unjoined  # no policy narrows the members
        connection = self.repository.connection()
        if limit is None:
            ids = list(connection.execute(statement, {"value": value}).scalars())
            return ids, len(ids)
        count, paged = scopes.memo("relation-page", (statement,), lambda: _paged(statement))
        rows = connection.execute(paged, {"value": value, "limit": limit, "offset": offset}).all()
        if rows:
            return [row[0] for row in rows], rows[0][1]
        if offset == 0:
            return [], 0
        return [], connection.execute(count, {"value": value}).scalar_one()

    def criterion(self, value: Any) -> tuple[Any, dict[str, Any]]:
        """The rows of the target that are members of a parent matching ``value`` (for the
        related type's row reader, which scopes them by their own policy), and the
        parameters to execute it with. The criterion is the plan's, the same object for
        every parent (the value is bound), so the statements built with it are kept."""
        if value is None:
            return _NO_MEMBERS, {}
        return self.plan.members_of, {_PARENT_MATCH: value}
