"""To-many relationship writes as Core statements: adding, removing and replacing members
without trusting a collection the ORM loaded earlier.

Through the ORM, a change of a to-many loads the collection, changes it in Python and
flushes the difference; when another request changed the same rows in between, the flush
fails (``StaleDataError``, a duplicate key) or undoes the other request's work. Here every
change is computed and applied by the database, right whatever the rows are by then:

- The parent row is locked first, within the request's scope (no row: 404), so writes of
  one relationship run one after the other and a concurrent ``DELETE`` of the parent waits
  for them (or makes them 404).
- Over an association table (many-to-many), adding is ``INSERT ... SELECT ... WHERE NOT
  EXISTS (...) ON CONFLICT DO NOTHING``: a member already there, or added at the same
  moment, is no error. Removing is ``DELETE ... WHERE ... IN (...)``: zero rows is fine.
- Over a foreign key (one-to-many), adding is one ``UPDATE ... SET fk = :parent WHERE id
  IN (...)``; removing sets the key to ``NULL`` (or deletes the orphans, when the
  relationship's cascade says ``delete-orphan``).
- Replacing removes the members not given and adds the given ones. Members the client may
  not see (the policies' scope of the related type) are never removed.

A writer is made only where the ORM would do nothing more (:func:`member_writer` says
when): no validators, attribute, mapper or flush events, version counter or inheritance
on the models involved, and one column on each side of each join.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from .. import scopes
from ..limits import DATABASE_PARAMETERS
from .row_reads import listened, plain_join

__all__ = ["MemberWriter", "member_writer"]

_MODES = ("add", "remove", "replace")
_ATTRIBUTE_EVENTS = ("append", "remove", "set", "bulk_replace")
_MAPPER_EVENTS = (
    "before_insert",
    "after_insert",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
)
_SESSION_EVENTS = ("before_flush", "after_flush", "after_flush_postexec")
# Dialects whose INSERT takes ON CONFLICT DO NOTHING (a race with another adding request).
_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def member_writer(repository: Any, attribute: str, mode: str) -> MemberWriter | None:
    """A writer of ``mode`` for the to-many ``attribute`` of the repository's model, or
    ``None`` when the ORM would run something of the application's for it."""
    if mode not in _MODES:
        return None
    mapper = sa.inspect(repository.model)
    relation = mapper.relationships.get(attribute)
    if relation is None or not relation.uselist or relation.viewonly:
        return None
    session = repository.get_session()
    if any(listened(getattr(session.dispatch, name)) for name in _SESSION_EVENTS):
        return None
    child = relation.mapper
    if not (_plain_model(mapper) and _plain_model(child)):
        return None
    if attribute in mapper.validators or _listened_attribute(relation):
        return None
    if any(
        reverse.key in child.validators or _listened_attribute(reverse)
        for reverse in relation._reverse_property
    ):
        return None
    if len(mapper.primary_key) != 1 or len(child.primary_key) != 1:
        return None
    if relation.secondary is not None:
        return _secondary_writer(repository, relation, mode)
    if relation.direction is orm.ONETOMANY:
        return _foreign_key_writer(repository, relation, mode)
    return None


def _secondary_writer(repository: Any, relation: Any, mode: str) -> MemberWriter | None:
    if not isinstance(relation.secondary, sa.Table):
        return None
    if len(relation.synchronize_pairs) != 1 or len(relation.secondary_synchronize_pairs) != 1:
        return None
    if not plain_join(relation.primaryjoin) or not plain_join(relation.secondaryjoin):
        return None
    parent_key, parent_column = relation.synchronize_pairs[0]
    child_key, child_column = relation.secondary_synchronize_pairs[0]
    if parent_key is not relation.parent.primary_key[0]:
        return None
    if child_key is not relation.mapper.primary_key[0]:
        return None
    return MemberWriter(repository, relation, parent_column, child_column, orphans=False)


def _foreign_key_writer(repository: Any, relation: Any, mode: str) -> MemberWriter | None:
    if len(relation.local_remote_pairs) != 1 or not plain_join(relation.primaryjoin):
        return None
    parent_key, foreign = relation.local_remote_pairs[0]
    child = relation.mapper
    if parent_key is not relation.parent.primary_key[0] or foreign.table is not child.local_table:
        return None
    if foreign in child.primary_key:
        return None
    orphans = "delete-orphan" in relation.cascade
    if orphans and mode != "add" and not _deleted_alone(child):
        return None  # deleting a child would cascade in the ORM: its unit of work does it
    return MemberWriter(repository, relation, foreign, child.primary_key[0], orphans=orphans)


def _plain_model(mapper: Any) -> bool:
    """No version counter, inheritance or mapper events: a statement on its table is all
    the ORM would run."""
    if mapper.version_id_col is not None or mapper.inherits is not None:
        return False
    if mapper.polymorphic_on is not None or not isinstance(mapper.local_table, sa.Table):
        return False
    return not any(listened(getattr(mapper.dispatch, name)) for name in _MAPPER_EVENTS)


def _listened_attribute(relation: Any) -> bool:
    dispatch = relation.class_attribute.dispatch
    return any(listened(getattr(dispatch, name)) for name in _ATTRIBUTE_EVENTS)


def _deleted_alone(mapper: Any) -> bool:
    """Whether deleting a row of ``mapper`` is one ``DELETE`` for the ORM too: it holds no
    collection the ORM would empty or delete first."""
    return all(
        relation.viewonly or relation.direction is orm.MANYTOONE
        for relation in mapper.relationships
    )


class MemberWriter:
    """Adds, removes and replaces members of one to-many relationship as statements.

    ``link`` is the column that holds the parent's key (of the association table, or the
    child's foreign key); ``member`` the column that names the child (of the association
    table, or the child's primary key)."""

    def __init__(
        self, repository: Any, relation: Any, link: Any, member: Any, *, orphans: bool
    ) -> None:
        self.repository = repository
        self.relation = relation
        self.link = link
        self.member = member
        self.orphans = orphans
        self.child = relation.mapper
        self.child_key = relation.mapper.primary_key[0]

    def keys(self, values: Sequence[Any]) -> list[Any] | None:
        """The primary keys of the related objects ``values``, or ``None`` when one is not
        a stored object of the related model (then the ORM has to write it)."""
        keys = []
        for value in values:
            try:
                state = sa.inspect(value)
            except sa.exc.NoInspectionAvailable:
                return None
            if not isinstance(value, self.child.class_) or state.identity is None:
                return None
            keys.append(state.identity[0])
        return list(dict.fromkeys(keys))

    def lock(self, parent: Any) -> bool:
        """Lock the parent row (see the repository's ``lock``); ``False``: none in scope."""
        return self.repository.lock(parent)

    def change(self, parent: Any, keys: Sequence[Any], mode: str) -> None:
        """Add (``"add"``), remove (``"remove"``) or make the members (``"replace"``) the
        related rows ``keys`` of the (locked) parent row ``parent``."""
        parent = self.repository._coerce_id(parent)
        if mode == "replace":
            self._remove_others(parent, keys)
        if mode == "remove":
            for chunk in _chunks(keys):
                self._execute(self._removal(parent, self.member.in_(chunk)))
        else:
            for chunk in _chunks(keys):
                self._execute(self._addition(parent, chunk))
        self._expire(parent, keys)

    # -- statements ----------------------------------------------------------------

    def _addition(self, parent: Any, keys: Sequence[Any]) -> Any:
        if self.relation.secondary is None:
            statement = sa.update(self.child.local_table).values({self.link.key: parent})
            return statement.where(self.child_key.in_(keys), *self._visible(self.child_key))
        table = self.link.table
        link = sa.literal(parent, self.link.type)
        already = sa.exists().where(self.link == link, self.member == self.child_key)
        rows = sa.select(link, self.child_key).where(
            self.child_key.in_(keys), ~already, *self._visible(self.child_key)
        )
        upsert = _UPSERT.get(self._dialect())
        if upsert is None:
            return sa.insert(table).from_select([self.link, self.member], rows)
        return upsert(table).from_select([self.link, self.member], rows).on_conflict_do_nothing()

    def _removal(self, parent: Any, which: Any) -> Any:
        if self.relation.secondary is None and not self.orphans:
            table = self.child.local_table
            statement = sa.update(table).values({self.link.key: None})
        else:
            statement = sa.delete(self.link.table)
        return statement.where(self.link == parent, which, *self._visible(self.member))

    def _remove_others(self, parent: Any, keys: Sequence[Any]) -> None:
        """Remove the visible members that are not among ``keys``."""
        if len(keys) <= DATABASE_PARAMETERS:
            which = self.member.not_in(keys) if keys else sa.true()
            self._execute(self._removal(parent, which))
            return
        # Too many keys for one statement: the current members, then the others in chunks
        # (the parent row is locked, so no write of this relationship comes in between).
        current = sa.select(self.member).where(self.link == parent, *self._visible(self.member))
        given = set(keys)
        gone = [key for key in self._execute(current).scalars() if key not in given]
        for chunk in _chunks(gone):
            self._execute(self._removal(parent, self.member.in_(chunk)))

    def _visible(self, column: Any) -> list[Any]:
        """Conditions limiting ``column`` (a related row's key) to the rows the request's
        policies let the client see: a write never touches the others."""
        criterion = scopes.criterion(self.child.class_)
        if criterion is None:
            return []
        if column is self.child_key:
            return [criterion]
        return [column.in_(sa.select(self.child_key).where(criterion))]

    # -- running -------------------------------------------------------------------

    def _execute(self, statement: Any) -> Any:
        repository = self.repository
        with repository.database_errors():
            return repository.connection(writing=True).execute(statement)

    def _dialect(self) -> str:
        return self.repository._dialect()

    def _expire(self, parent: Any, keys: Sequence[Any]) -> None:
        """Objects of this session that may hold the old members reload them when read:
        the parent's collection, and the other side of the given and former members."""
        session = self.repository.get_session()
        identity_map = session.identity_map
        children = [identity_map.get(orm.util.identity_key(self.child.class_, k)) for k in keys]
        loaded = identity_map.get(orm.util.identity_key(self.relation.parent.class_, parent))
        if loaded is not None:
            children.extend(loaded.__dict__.get(self.relation.key) or ())
            session.expire(loaded, [self.relation.key])
        reverse = [prop.key for prop in self.relation._reverse_property]
        if self.relation.secondary is None:
            reverse.append(self.child.get_property_by_column(self.link).key)
        if not reverse:
            return
        for child in children:
            if child is not None and child in session:
                session.expire(child, reverse)


def _chunks(keys: Sequence[Any]) -> Iterator[Sequence[Any]]:
    # One IN list may not pass the database's limit on bind parameters.
    for start in range(0, len(keys), DATABASE_PARAMETERS):
        yield keys[start : start + DATABASE_PARAMETERS]
