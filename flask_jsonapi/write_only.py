"""Members of a ``lazy="write_only"`` relationship, which the ORM never iterates: read
through its ``select()`` on the parent's session (a ``dynamic`` one iterates already)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import WriteOnlyCollection


def is_write_only(value: Any) -> bool:
    """Whether ``value`` is a write-only collection (its members must be selected)."""
    return isinstance(value, WriteOnlyCollection)


def all_members(value: Any) -> Any:
    """The members of a write-only collection as a list, in its order; any other value
    as it is."""
    if not isinstance(value, WriteOnlyCollection):
        return value
    return list(_session(value).scalars(value.select()))


def member_page(collection: WriteOnlyCollection, offset: int, limit: int) -> tuple[list, int]:
    """``limit`` members of a write-only collection from ``offset``, in its order, and
    how many it holds: two statements, whatever its size."""
    session = _session(collection)
    statement = collection.select()
    counted = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    total = session.scalar(counted) or 0
    if offset >= total or limit <= 0:
        return [], total
    return list(session.scalars(statement.offset(offset).limit(limit))), total


def replace_members(collection: WriteOnlyCollection, value: Any) -> None:
    """Make ``value`` the members of a persistent object's write-only collection: the
    ORM refuses to assign one, so the members that go are removed and the new added."""
    current = all_members(collection)
    wanted = list(value or ())
    kept = {id(obj) for obj in wanted}
    for obj in current:
        if id(obj) not in kept:
            collection.remove(obj)
    held = {id(obj) for obj in current}
    collection.add_all([obj for obj in wanted if id(obj) not in held])


def _session(collection: WriteOnlyCollection) -> orm.Session:
    session = orm.object_session(collection.instance)
    if session is None:
        raise orm.exc.DetachedInstanceError(
            "A write-only collection of a detached object cannot be read."
        )
    return session
