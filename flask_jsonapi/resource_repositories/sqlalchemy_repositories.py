"""A repository over one SQLAlchemy model: the query object becomes one SELECT per need.

``get_list`` runs one SELECT for the page (filters as EXISTS subqueries, sorting through
outer joins, the primary key as the last sort key) and one ``selectinload`` per
relationship in the include tree, whatever the page size; ``get_count`` one COUNT.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from .. import exceptions, limits, routing, scopes
from ..limits import DATABASE_PARAMETERS
from ..query.cursor import convert_value
from ..query.model import EXPRESSION_KEY, IncludeNode, PageItems, page_bounds
from ..write_only import replace_members
from .direct_reads import close_direct, direct_connection
from .direct_writes import (
    ALLOWED,
    close_written,
    commit_direct,
    direct_write,
    holds_writes,
    written_connection,
)
from .filtering import (
    expression_condition,
    fits_32_bits,
    integer_bits,
    integer_range,
    integer_type,
    key_condition,
    python_type_of,
)
from .member_writes import MemberWriter, member_writer
from .repositories import ResourceRepository
from .row_reads import RowReader, listened, plan_reads
from .row_relations import RelationReader, plan_relation
from .row_writes import RowWriter, writable
from .sessionless import Unit as SessionlessUnit
from .sessionless import begin as begin_sessionless
from .sessionless import end as end_sessionless
from .sessionless import unit as sessionless_unit

logger = logging.getLogger(__name__)

_UNFIT = object()
# Reading methods whose stock versions the row reads (row_reads.py) stand in for.
_READING = (
    "get_query",
    "scoped_query",
    "get_list",
    "get_detail",
    "get_count",
    "apply_related",
    "apply_filters",
    "apply_sorts",
    "_sort_columns",
    "get_cursor_page",
    "keyset_page",
    "apply_pagination",
    "apply_include",
)
# Writing methods whose stock versions the row writes (row_writes.py) stand in for.
_WRITING = (
    "create",
    "update",
    "build",
    "update_attribute",
    "_relationship_values",
    "_run_session_strategy",
    "database_errors",
)
# Methods around a row write on a connection of its own (direct_writes.py): overridden, the
# write stays in the session's transaction.
_DIRECT_WRITING = ("begin_transaction", "connection")
_MAX_PLANS = 256
# Ids named in a "not found" detail; a long list of missing ids is counted instead.
_NAMED_MISSING = 20
# Session.info key: only row reads ran in the session's transaction (nothing to commit).
_READS_ONLY = "flask_jsonapi.reads_only"


class SqlAlchemyModelRepository(ResourceRepository):
    """CRUD and queries for ``model`` through ``session`` (a session or a scoped_session)."""

    model: Any = None
    session: Any = None
    instance_name = "model instance"
    # GETs read through JSONAPI_READ_ENGINE (routing.py); False keeps them on ``session``
    # (say, for tables the replica does not have).
    read_routing = True
    filter_methods_map: dict[str, Callable[[Any], Any]] = {}

    def __init__(
        self, *, model: Any = None, session: Any = None, instance_name: str | None = None
    ) -> None:
        if model is not None:
            self.model = model
        if session is not None:
            self.session = session
        if instance_name is not None:
            self.instance_name = instance_name

    # -- sessions and transactions ---------------------------------------------------

    def get_session(self) -> orm.Session:
        """The session to use now (calls a ``scoped_session`` or a factory): the replica's
        for a GET when read routing is on (``JSONAPI_READ_ENGINE``)."""
        if self.read_routing:
            replica = routing.read_session(self.model)
            if replica is not None:
                return replica
        session = self.session
        if isinstance(session, orm.Session):
            return session
        if type(session) is orm.scoped_session:
            return session.registry()  # what its __call__ does without keywords, one call less
        return session()

    @contextlib.contextmanager
    def begin_transaction(self, *, direct_writes: bool = False) -> Iterator[orm.Session]:
        """One request's unit of work: committed at the end, rolled back on any error. A
        transaction in which only the row reads ran (see :meth:`connection`) has nothing
        to commit and is closed instead, which is cheaper. ``direct_writes``: a view's own
        POST or PATCH, whose row write may run outside the session (``direct_writes.py``;
        the view asks only when :meth:`allows_direct_writes`). A GET whose scoped session
        holds no ``Session`` yet makes none until something needs it
        (``sessionless.py``): it yields the scoped session then, which makes it on use."""
        timeout = limits.get("JSONAPI_STATEMENT_TIMEOUT")
        token = None if direct_writes or timeout else begin_sessionless(self.session)
        if token is not None:
            yield from self._sessionless_transaction(token)
            return
        yield from self._session_transaction(self.get_session(), direct_writes, timeout)

    def _sessionless_transaction(self, token: Any) -> Iterator[Any]:
        try:
            yield self.session
        except BaseException:
            session = end_sessionless(token)
            if session is not None:  # made meanwhile: its unit of work fails as usual
                self._end_failed(session)
            raise
        session = end_sessionless(token)
        if session is not None:
            try:
                self._end_session(session)
            except BaseException:
                self._end_failed(session)
                raise

    def _session_transaction(
        self, session: orm.Session, direct_writes: bool, timeout: int | None
    ) -> Iterator[orm.Session]:
        info = session.info
        info.pop(_READS_ONLY, None)
        if direct_writes:
            info[ALLOWED] = True
        try:
            if timeout:
                self._limit_statements(session, timeout)
            yield session
            self._end_session(session)
        except BaseException:
            self._end_failed(session)
            raise
        finally:
            if direct_writes:
                info.pop(ALLOWED, None)

    def _end_session(self, session: orm.Session) -> None:
        """Commit the unit of work's changes, or close a transaction that only read."""
        if holds_writes(session):
            self._commit_direct(session)
            return
        if close_direct(session) and not session.in_transaction():
            if not _has_changes(session):
                return  # only direct reads (direct_reads.py): the session began nothing
        if session.info.pop(_READS_ONLY, False) and not _has_changes(session):
            # reset(), not close(): a Session(close_resets_only=False) that the application
            # keeps across requests would refuse every later one.
            getattr(session, "reset", session.close)()
        else:
            self._run_session_strategy("commit")
            routing.note_commit(session.get_bind(mapper=self._mapper))

    def _end_failed(self, session: orm.Session) -> None:
        """Roll back the unit of work: its connections of its own closed unused."""
        close_written(session)
        close_direct(session)
        session.info.pop(_READS_ONLY, None)
        session.rollback()

    def _commit_direct(self, session: orm.Session) -> None:
        """Commit the row writes made on a connection of their own (``direct_writes.py``)."""
        if session.in_transaction() or _has_changes(session):
            # The library's code read through the session after the write (a related row
            # fetched by id): that transaction ends first, or SQLite's shared lock it holds
            # would hold up the commit below.
            self._run_session_strategy("commit")
        with self.database_errors():
            bind = commit_direct(session)
        routing.note_commit(bind)

    def allows_direct_writes(self) -> bool:
        """Whether the unit of work and the connections are this class's own, so that a
        row write may run on a connection of its own (``direct_writes.py``)."""
        return self._stock(_DIRECT_WRITING)

    def _limit_statements(self, session: orm.Session, timeout: int) -> None:
        """Begin the transaction with PostgreSQL's ``statement_timeout`` (milliseconds), so a
        runaway statement is cancelled (503) instead of holding a worker."""
        connection = session.connection(bind_arguments={"mapper": self._mapper})
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout)}")

    def note_foreign_work(self) -> None:
        """Code other than the row reads runs in this transaction now: it is committed."""
        self.get_session().info[_READS_ONLY] = False

    def _run_session_strategy(self, strategy: str) -> None:
        session = self.get_session()
        with self.database_errors():
            if strategy == "commit":
                session.commit()
            elif strategy == "flush":
                session.flush()

    @contextlib.contextmanager
    def database_errors(self) -> Iterator[None]:
        """The database's constraint and value errors as JSON:API errors (409, 422), with
        the session rolled back."""
        try:
            yield
        except sa_exc.IntegrityError as error:
            self.get_session().rollback()
            logger.info("integrity error on %s: %s", self.instance_name, error.orig)
            raise exceptions.Conflict(
                None,
                f"{self.instance_name.capitalize()} conflicts with existing data "
                "(a unique or foreign-key constraint).",
            ) from error
        except (sa_exc.DataError, OverflowError) as error:
            # A value the schema accepted but the column cannot store (a NUL character or
            # a string too long on PostgreSQL, a number out of the column's range; SQLite's
            # driver raises OverflowError itself for an integer beyond 64 bits).
            self.get_session().rollback()
            logger.info("data error on %s: %s", self.instance_name, getattr(error, "orig", error))
            raise exceptions.ValidationFailed(
                f"A value cannot be stored as {self.instance_name}: it does not fit its column.",
                source={"pointer": "/data"},
            ) from error

    # -- reading ---------------------------------------------------------------------

    def get_query(self) -> sa.Select:
        """The base SELECT; override to scope every read (tenant, soft delete, ...)."""
        return sa.select(self.model)

    def scoped_query(self, *, loads: bool = True) -> sa.Select:
        """:meth:`get_query` within the current request's policies: the rows of this model
        the client may see and, with ``loads``, the same for every relationship the ORM
        loads from them (eager or lazy)."""
        stmt = self.get_query()
        current = scopes.current()
        if current is None:
            return stmt
        criterion = current.criterion(self.model)
        if criterion is not None:
            stmt = stmt.where(criterion)
        options = current.loader_options() if loads else None
        return stmt.options(*options) if options else stmt

    def in_scope(self, id: Any) -> bool:
        """Whether the row ``id`` is one the current request's policies let the client see."""
        criterion = scopes.criterion(self.model)
        if criterion is None:
            return True
        stmt = sa.select(sa.literal(1)).select_from(self.model)
        stmt = stmt.where(self._pk == self._coerce_id(id), criterion)
        return self.get_session().execute(stmt).first() is not None

    def get_list(
        self,
        filters: dict[str, Any] | None = None,
        sorting: Sequence[str] | None = None,
        pagination: dict[str, int] | None = None,
        *,
        include: dict[str, IncludeNode] | None = None,
        related_to: tuple[Any, str] | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """A page of objects; ``related_to=(parent, attribute)`` limits it to the
        objects in ``parent``'s relationship ``attribute`` (a related endpoint)."""
        stmt = self.apply_related(self.scoped_query(), related_to)
        stmt = self.apply_filters(stmt, dict(filters or {}))
        if pagination and "cursor" in pagination:
            return self.get_cursor_page(stmt, sorting or (), pagination, include)
        stmt = self.apply_sorts(stmt, sorting or ())
        stmt = self.apply_pagination(stmt, pagination or {})
        stmt = self.apply_include(stmt, include or {})
        return list(self.get_session().scalars(stmt).unique())

    def get_cursor_page(
        self,
        stmt: sa.Select,
        sorting: Sequence[str],
        pagination: dict[str, Any],
        include: dict[str, IncludeNode] | None,
    ) -> PageItems:
        """A keyset page: ``WHERE`` the sort keys come after (or before) the cursor's
        values, never ``OFFSET``; the objects come with their sort-key values."""
        stmt, keys = self.keyset_page(stmt, sorting, pagination)
        stmt = stmt.add_columns(*(key.column for key in keys))
        rows = self.get_session().execute(self.apply_include(stmt, include)).all()
        if pagination["cursor"] == "before":
            rows.reverse()
        return PageItems([row[0] for row in rows], [tuple(row[1:]) for row in rows])

    def keyset_page(
        self, stmt: sa.Select, sorting: Sequence[str], pagination: dict[str, Any]
    ) -> tuple[sa.Select, list[_SortColumn]]:
        """``stmt`` limited to the rows after (``before``: just before) the cursor's values
        in sort order (the last rows first, ``before``), and the sort columns."""
        stmt, keys = self._sort_columns(stmt, sorting)
        values = self.cursor_values(keys, pagination)
        backwards = pagination["cursor"] == "before"
        return self._keyset(stmt, keys, backwards, values).limit(pagination["limit"]), keys

    def cursor_values(self, keys: list[_SortColumn], pagination: dict[str, Any]) -> list | None:
        """The cursor's values read as the types of the sort columns ``keys`` (``None``
        without a cursor); 400 for a forged one, or one with an integer its column cannot
        hold (not a database error)."""
        values = pagination.get("values")
        if values is None:
            return None
        parameter = f"page[{pagination['cursor']}]"
        converted = []
        for key, value in zip(keys, values, strict=True):
            value = convert_value(value, key.python_type, parameter)
            # Per request on a deep page: the dialect is not asked for what 32 bits hold.
            if type(value) is int and not fits_32_bits(key.type, value):
                bounds = integer_range(key.column, self._dialect())
                if bounds is not None and not bounds[0] <= value <= bounds[1]:
                    raise exceptions.InvalidPage(
                        f"'{parameter}' is not a valid cursor.", parameter=parameter
                    )
            converted.append(value)
        return converted

    def _keyset(
        self, stmt: sa.Select, keys: list[_SortColumn], backwards: bool, values: list | None
    ) -> sa.Select:
        """``stmt`` after (``backwards``: before) ``values`` (or bound parameters) in sort
        order (reversed, ``backwards``); the page's ``LIMIT`` is the caller's."""
        if values is not None:
            stmt = stmt.where(_keyset_after(keys, values, backwards))
        return stmt.order_by(*(_ordering(key, backwards) for key in keys))

    def get_count(
        self, filters: dict[str, Any] | None = None, *, related_to: tuple[Any, str] | None = None
    ) -> int:
        stmt = self.apply_related(self.scoped_query(loads=False), related_to)
        stmt = self.apply_filters(stmt, dict(filters or {}))
        count = sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
        return self.get_session().scalar(count)

    def get_detail(
        self, id: Any, *, include: dict[str, IncludeNode] | None = None, **kwargs: Any
    ) -> Any:
        key = self._coerce_id(id)
        session = self.get_session()
        current = scopes.current()
        unscoped = current is None or current.criterion(self.model) is None
        if unscoped and type(self).get_query is SqlAlchemyModelRepository.get_query:
            # No scoping: the identity-map lookup with a cached statement is the fast way.
            options = self._load_options(include)
            if current is not None:
                options.extend(current.loader_options())
            obj = (
                session.get(self.model, key, options=options)
                if options
                else session.get(self.model, key)
            )
        else:
            stmt = self.apply_include(self.scoped_query().where(self._pk == key), include)
            obj = session.scalars(stmt).unique().one_or_none()
        if obj is None:
            raise self.not_found(id)
        return obj

    def not_found(self, id: Any) -> exceptions.ObjectNotFound:
        """The 404 of ``id`` when it names no object (an object the client may not see
        answers the same)."""
        return exceptions.ObjectNotFound(None, f"{self.instance_name.capitalize()} {id} not found.")

    def row_reader(
        self,
        compiled: Any,
        load: Mapping[str, IncludeNode],
        fields: Mapping[str, frozenset[str]],
        registry: Any,
    ) -> RowReader | None:
        """Reads of ``compiled`` resources as rows instead of ORM objects (the fast path),
        or ``None`` when a reading method is overridden, a session event may rewrite
        statements, or the schema and include tree need ORM objects (``row_reads.py``)."""
        session = self._row_session()
        if session is None:
            return None
        # The plan depends on the schema and on the registry that resolves related types.
        key = (compiled, registry, _tree_key(load), tuple(sorted(fields.items())))
        plans = self.__dict__.setdefault("_read_plans", {})
        try:
            plan = plans[key]
        except KeyError:
            plan = plan_reads(
                self.model,
                compiled,
                load,
                fields,
                registry.schema,
                lambda type_: (
                    getattr(registry.get(type_), "relationship_endpoint", None) is not None
                ),
            )
            if len(plans) >= _MAX_PLANS:
                plans.clear()
            plans[key] = plan
        if plan is None or not _one_bind(session, plan.mappers):
            return None
        current = scopes.current()
        if current is not None and any(
            current.checks_objects(mapper.class_) for mapper in plan.mappers
        ):
            return None  # objects are checked one by one: they must be ORM objects
        return RowReader(self, plan)

    def _row_session(self) -> orm.Session | SessionlessUnit | None:
        """The session, if rows may stand in for its ORM objects: no reading method
        overridden, no session event that may rewrite statements, no change the ORM would
        answer from unflushed objects."""
        if not self._stock(_READING):
            return None
        unit = sessionless_unit(self.session)
        if unit is not None:
            return unit  # no Session: its class's do_orm_execute was asked (sessionless.py)
        session = self.get_session()
        if listened(session.dispatch.do_orm_execute):
            return None
        if not session.autoflush and _has_changes(session):
            return None
        return session

    def relation_reader(
        self, attribute: str, id_attribute: str, related_id_attribute: str
    ) -> RelationReader | None:
        """Reads of one parent's relationship ``attribute`` as rows (relationship and related
        endpoints; resources identified by ``id_attribute``, members by
        ``related_id_attribute``), or ``None`` when a reading method is overridden, a
        session event may rewrite statements, an object check needs ORM objects or the
        relationship is not a plain foreign-key join (``row_relations.py``)."""
        session = self._row_session()
        if session is None:
            return None
        key = (attribute, id_attribute, related_id_attribute)
        plans = self.__dict__.setdefault("_relation_plans", {})
        try:
            plan = plans[key]
        except KeyError:
            plan = plans[key] = plan_relation(self.model, *key)
        if plan is None or not _one_bind(session, (plan.parent_mapper, plan.target_mapper)):
            return None
        current = scopes.current()
        if current is not None and (
            current.checks_objects(plan.parent_mapper.class_)
            or current.checks_objects(plan.target_mapper.class_)
        ):
            return None
        return RelationReader(self, plan)

    def row_writer(
        self,
        compiled: Any,
        load: Mapping[str, IncludeNode],
        fields: Mapping[str, frozenset[str]],
        registry: Any,
    ) -> RowWriter | None:
        """Creates and updates as one Core statement each (the fast path), answered as rows
        for ``load`` and ``fields``; ``None`` when a method is overridden or the model or
        session has something the ORM would run (``row_writes.py``)."""
        if not self._stock(_WRITING):
            return None
        reader = self.row_reader(compiled, load, fields, registry)
        if reader is None or not writable(reader.plan.columns.mapper, self.get_session()):
            return None
        # Dump hooks of the application's run while the document is built, in the unit of
        # work: they may read through the session, so the write stays in its transaction.
        return RowWriter(self, reader.plan, alone=not _dump_hooks(compiled, load, registry))

    def member_writer(self, attribute: str, mode: str) -> MemberWriter | None:
        """Statements that add (``mode="add"``), remove or replace members of the to-many
        relationship ``attribute`` without trusting a collection loaded earlier, or ``None``
        when a writing method is overridden or the models need the ORM for it
        (``member_writes.py``)."""
        if not self._stock((*_WRITING, "get_detail")):
            return None
        return member_writer(self, attribute, mode)

    def lock(self, id: Any, *, deleting: bool = False) -> bool:
        """Lock the row ``id`` until the transaction ends, if the client may see it
        (PostgreSQL's ``SELECT ... FOR NO KEY UPDATE``, ``FOR UPDATE`` when ``deleting``):
        a concurrent write of the same row waits, then finds it changed or gone. ``False``
        when there is no such row in the request's scope."""
        try:
            key = self._coerce_id(id)
        except exceptions.ObjectNotFound:
            return False
        pk = self._pk
        stmt = self.scoped_query(loads=False).where(pk == key).with_only_columns(pk)
        stmt = stmt.with_for_update(key_share=not deleting, of=pk.table)
        with self.database_errors():
            return self.connection(writing=True).execute(stmt).first() is not None

    def version_attribute(self) -> str | None:
        """The attribute of the model's version column (SQLAlchemy's ``version_id_col``),
        or ``None`` when it has none."""
        mapper = self._mapper
        column = mapper.version_id_col
        return None if column is None else mapper.get_property_by_column(column).key

    def retry_safe(self) -> bool:
        """Whether the writing methods are this class's own, which do nothing a rollback
        cannot undo (a request through them may run again after a conflict)."""
        return self._stock((*_WRITING, "delete", "begin_transaction"))

    def finds_by_key(self, model: Any) -> bool:
        """Whether ``get_many_by_ids`` finds every row of ``model`` by its primary key
        (nothing scopes or overrides it), so a related row can be checked in SQL."""
        current = scopes.current()
        if current is not None and current.checks_objects(model):
            return False  # objects are checked once loaded: the ORM path's get_many_by_ids
        return self.model is model and self._stock(("get_many_by_ids", "get_query"))

    def connection(self, *, writing: bool = False) -> sa.Connection:
        """The connection of the session's transaction for this model (the row reads and
        writes); changes pending in the session are flushed first, as the ORM's autoflush
        would before a query. A read that begins the transaction marks it as holding
        only reads, until a write or :meth:`note_foreign_work` says otherwise. A GET's
        reads in a session that began nothing take a connection of their own
        (``direct_reads.py``), before any ``Session`` is made if none needs to be
        (``sessionless.py``)."""
        if not writing:
            unit = sessionless_unit(self.session)
            if unit is not None:
                return unit.read_connection()
        session = self.get_session()
        written = written_connection(session, self._mapper)
        if written is not None:
            return written  # this unit of work's row writes: what follows must see them
        if writing:
            close_direct(session)
        else:
            direct = direct_connection(session, self._mapper)
            if direct is not None:
                return direct
        if session.autoflush and _has_changes(session):
            with self.database_errors():
                session.flush()
        if writing:
            session.info[_READS_ONLY] = False
        elif not session.in_transaction():
            session.info[_READS_ONLY] = True
        return session.connection(bind_arguments={"mapper": self._mapper})

    def write_connection(self) -> sa.Connection:
        """The connection of a row write (``row_writes.py``): one of its own, outside the
        session, where the unit of work allows it (``direct_writes.py``), else the
        session's (:meth:`connection`)."""
        direct = direct_write(self.get_session(), self._mapper)
        return direct if direct is not None else self.connection(writing=True)

    @property
    def _mapper(self) -> Any:
        """The mapper of ``model``, looked up once per model."""
        cached = self.__dict__.get("_mapper_of")
        model = self.model
        if cached is None or cached[0] is not model:
            cached = self.__dict__["_mapper_of"] = (model, _mapper(model))
        return cached[1]

    def _stock(self, names: tuple[str, ...]) -> bool:
        """Whether neither this repository's class nor the instance itself overrides
        ``names``."""
        return _stock(type(self), names) and self.__dict__.keys().isdisjoint(names)

    def get_many_by_ids(self, ids: Sequence[Any]) -> list[Any]:
        keys = [self._coerce_id(id_) for id_ in ids]
        found = {}
        unique = list(dict.fromkeys(keys))
        # In chunks: one IN list may not pass the database's limit on bind parameters.
        for start in range(0, len(unique), DATABASE_PARAMETERS):
            stmt = self.scoped_query().where(
                self._pk.in_(unique[start : start + DATABASE_PARAMETERS])
            )
            found.update(
                (getattr(obj, self._pk.key), obj) for obj in self.get_session().scalars(stmt)
            )
        missing = [str(id_) for id_, key in zip(ids, keys, strict=True) if key not in found]
        if missing:
            named = ", ".join(missing[:_NAMED_MISSING])
            if len(missing) > _NAMED_MISSING:
                named += f" and {len(missing) - _NAMED_MISSING} more"
            raise exceptions.RelatedObjectNotFound(
                None, f"{self.instance_name.capitalize()} {named} not found."
            )
        return [found[key] for key in keys]

    @property
    def _pk(self) -> Any:
        return _key_column(self.model)

    def _coerce_id(self, id: Any) -> Any:
        python_type = python_type_of(self._pk)
        try:
            key = id if isinstance(id, python_type) else python_type(id)
        except (TypeError, ValueError):
            key = _UNFIT
        if key is _UNFIT or not self._fits_key_column(key):
            # An id the key column cannot hold names nothing; sending it to the database
            # would fail there (out of range) and end the transaction.
            raise exceptions.ObjectNotFound(
                None, f"{self.instance_name.capitalize()} {id} not found."
            )
        return key

    def integer_ranges(self) -> dict[str, tuple[int, int]]:
        """The integer columns narrower than 64 bits on this database (attribute -> lowest
        and highest value), computed once per model and dialect."""
        return _integer_ranges(self.model, self._dialect())

    def _dialect(self) -> str:
        """The name of the database dialect this model is stored with."""
        unit = sessionless_unit(self.session)
        binder = self.get_session() if unit is None else unit
        return binder.get_bind(mapper=self._mapper).dialect.name

    def _fits_key_column(self, key: Any) -> bool:
        if not isinstance(key, int) or isinstance(key, bool):
            return True
        if fits_32_bits(self._pk.type, key):
            return True
        # A key column of another type still meets the driver's 64 bits (SQLite's refuses more).
        key_type = integer_type(self._pk.type)
        bits = 64 if key_type is None else integer_bits(key_type, self._dialect())
        return -(2 ** (bits - 1)) <= key < 2 ** (bits - 1)

    # -- writing ---------------------------------------------------------------------

    def create(self, data: dict[str, Any], strategy: str = "commit", **kwargs: Any) -> Any:
        mapper = sa.inspect(self.model)
        key = data.get(mapper.get_property_by_column(self._pk).key)
        if key is not None and not self._fits_key_column(key):
            # A client-generated id out of the key column's range would fail in the database.
            raise exceptions.ValidationFailed(
                f"'{key}' is not a valid id for {self.instance_name}.",
                source={"pointer": "/data/id"},
            )
        obj = self.build(self._relationship_values(_stored(self.model, data)))
        self.get_session().add(obj)
        self._run_session_strategy(strategy)
        return obj

    def update(self, data: dict[str, Any], strategy: str = "commit", **kwargs: Any) -> Any:
        data = _stored(self.model, data)
        obj = self.get_detail(data.pop("id"))
        for key, value in self._relationship_values(data).items():
            self.update_attribute(obj, key, value)
        self._run_session_strategy(strategy)
        return obj

    def delete(self, id: Any, strategy: str = "commit", **kwargs: Any) -> None:
        session = self.get_session()
        # Locked first: of two DELETEs (or a DELETE and a write) of one row the second waits,
        # then finds the row gone (404) instead of flushing what it loaded before.
        if not self.lock(id, deleting=True):
            raise exceptions.ObjectNotFound(
                None, f"{self.instance_name.capitalize()} {id} not found."
            )
        loaded = session.identity_map.get(orm.util.identity_key(self.model, self._coerce_id(id)))
        if loaded is not None:
            session.expire(loaded)  # loaded before the lock: its collections may be stale
        obj = self.get_detail(id)
        session.delete(obj)
        self._run_session_strategy(strategy)

    def build(self, kwargs: dict[str, Any]) -> Any:
        """A new model object from the loaded data; override to build differently."""
        return self.model(**kwargs)

    def update_attribute(self, obj: Any, key: str, value: Any) -> None:
        """Set one loaded value on an object; override to update differently."""
        state = sa.inspect(obj, raiseerr=False)
        relation = state.mapper.relationships.get(key) if state is not None else None
        if relation is not None and relation.lazy == "write_only" and state.persistent:
            replace_members(getattr(obj, key), value)  # the ORM assigns none to a stored object
            return
        setattr(obj, key, value)

    def _relationship_values(self, data: dict[str, Any]) -> dict[str, Any]:
        """Related objects given for a foreign-key column become their primary keys."""
        mapper = sa.inspect(self.model)
        for key, value in data.items():
            if key in mapper.column_attrs and _is_mapped_object(value):
                data[key] = sa.inspect(value).identity[0] if sa.inspect(value).identity else None
            elif key in mapper.relationships and not mapper.relationships[key].uselist:
                if value is None and _required(mapper.relationships[key]):
                    # Refused up front: with a delete-orphan cascade on the other side the
                    # ORM would silently delete the object instead of failing the constraint.
                    raise exceptions.Conflict(
                        None,
                        f"{self.instance_name.capitalize()} needs its '{key}': "
                        "it cannot be emptied.",
                    )
                if value is not None and not _is_mapped_object(value):
                    related = mapper.relationships[key].mapper.class_
                    data[key] = self.get_session().get(related, value)
        return data

    # -- query building --------------------------------------------------------------

    def apply_related(self, stmt: sa.Select, related_to: tuple[Any, str] | None) -> sa.Select:
        if related_to is None:
            return stmt
        parent, attribute = related_to
        return stmt.where(orm.with_parent(parent, getattr(type(parent), attribute)))

    def apply_filters(self, stmt: sa.Select, filters: dict[str, Any]) -> sa.Select:
        """``WHERE`` each filter; relationship paths are ``EXISTS`` subqueries (no joins,
        so no duplicate rows); ``filter_methods_map`` entries call their function."""
        for key, method in self.filter_methods_map.items():
            if key in filters:
                stmt = stmt.where(method(filters.pop(key)))
        expression = filters.pop(EXPRESSION_KEY, None)
        if expression is not None:
            stmt = stmt.where(expression_condition(self.model, expression, self._dialect))
        for key, value in filters.items():
            stmt = stmt.where(key_condition(self.model, key, value, self._dialect))
        return stmt

    def apply_sorts(self, stmt: sa.Select, sorting: Sequence[str]) -> sa.Select:
        """``ORDER BY`` the keys (through outer joins for ``author__name``), then the
        primary key; ``NULL`` sorts first ascending and last descending on every database."""
        stmt, keys = self._sort_columns(stmt, sorting)
        return stmt.order_by(*(_ordering(key) for key in keys))

    def _sort_columns(
        self, stmt: sa.Select, sorting: Sequence[str]
    ) -> tuple[sa.Select, list[_SortColumn]]:
        """The sort columns (primary key last) and the statement joined to reach them."""
        order = []
        joined: dict[tuple[str, ...], Any] = {}
        for key in sorting:
            descending = key.startswith("-")
            *relations, name = key.lstrip("-+").split("__")
            entity = self.model
            for depth, relation in enumerate(relations):
                prefix = tuple(relations[: depth + 1])
                if prefix not in joined:
                    rel = _relationship(entity, relation, key, exceptions.InvalidSort)
                    related = rel.mapper.class_
                    alias = orm.aliased(related)
                    onclause = getattr(entity, relation).of_type(alias)
                    current = scopes.current()
                    if current is not None:
                        if current.checks_objects(related):
                            raise exceptions.InvalidSort(
                                f"'{key}': sorting through '{relation}' is not possible."
                            )
                        # A hidden related row sorts as a missing one: no order oracle.
                        criterion = current.aliased_criterion(related, alias)
                        if criterion is not None:
                            onclause = onclause.and_(criterion)
                    stmt = stmt.outerjoin(alias, onclause)
                    joined[prefix] = alias
                entity = joined[prefix]
            column = _column(entity, name, key, exceptions.InvalidSort)
            nullable = bool(relations) or any(c.nullable for c in column.property.columns)
            order.append(_sort_column(column, descending, nullable))
        order.append(_sort_column(getattr(self.model, self._pk.key), False, False))
        return stmt, order

    def apply_pagination(self, stmt: sa.Select, pagination: dict[str, int]) -> sa.Select:
        bounds = page_bounds(pagination)
        return stmt if bounds is None else stmt.limit(bounds[0]).offset(bounds[1])

    def apply_include(self, stmt: sa.Select, include: dict[str, IncludeNode] | None) -> sa.Select:
        options = self._load_options(include)
        return stmt.options(*options) if options else stmt

    def _load_options(self, include: dict[str, IncludeNode] | None) -> list[Any]:
        """One ``selectinload`` chain per relationship path of the include tree."""
        options = []
        for node in (include or {}).values():
            options.extend(_load_options(self.model, node, None))
        return options


def _stock(cls: type, names: tuple[str, ...]) -> bool:
    """Whether ``cls`` keeps SqlAlchemyModelRepository's own versions of ``names`` (asked
    on every request: a class may be patched at run time)."""
    read = _reader(names)  # C calls, not a Python loop over the names
    return all(map(operator.is_, read(cls), read(SqlAlchemyModelRepository)))


@functools.lru_cache(maxsize=64)
def _reader(names: tuple[str, ...]) -> Callable[[type], tuple]:
    """The attributes ``names`` (two or more: a tuple comes back) of a class, read in C."""
    return operator.attrgetter(*names)


@functools.lru_cache(maxsize=256)
def _key_column(model: Any) -> Any:
    return sa.inspect(model).primary_key[0]


def _stored(model: Any, data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without the attributes the database computes (a
    ``column_property`` over an SQL expression): the ORM would keep a value set on one as
    if it were stored, and the write's response would show it instead of what a GET shows;
    left unset, it is loaded from the database as a GET loads it."""
    computed = _computed(model)
    if not computed:
        return dict(data)
    return {key: value for key, value in data.items() if key not in computed}


@functools.lru_cache(maxsize=256)
def _computed(model: Any) -> frozenset[str]:
    """The keys of ``model``'s column properties that map no table column."""
    return frozenset(
        prop.key
        for prop in sa.inspect(model).column_attrs
        if not any(isinstance(column, sa.Column) for column in prop.columns)
    )


@functools.lru_cache(maxsize=256)
def _integer_ranges(model: Any, dialect: str) -> dict[str, tuple[int, int]]:
    ranges = {}
    for prop in sa.inspect(model).column_attrs:
        column_type = integer_type(getattr(prop.columns[0], "type", None))
        if len(prop.columns) == 1 and column_type is not None:
            bits = integer_bits(column_type, dialect)
            if bits < 64:
                ranges[prop.key] = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return ranges


def _dump_hooks(compiled: Any, load: Mapping[str, IncludeNode], registry: Any) -> bool:
    """Whether serialising ``compiled`` resources with the ``load`` tree runs the user's
    ``@pre_dump``/``@post_dump`` methods."""
    if compiled.dump_hooks:
        return True
    for node in load.values():
        related = registry.schema(node.type_)
        if related is None or _dump_hooks(related, node.children, registry):
            return True
    return False


def _has_changes(session: orm.Session) -> bool:
    """Whether the session holds objects added, changed or deleted but not flushed."""
    # Only what the identity map holds can be dirty: asking its size is one call, dirty four.
    return bool(session.new or session.deleted or (len(session.identity_map) and session.dirty))


def _one_bind(session: orm.Session, mappers: Sequence[Any]) -> bool:
    """Whether one connection reaches every table of a read (one bind for all models)."""
    if len(mappers) < 2:
        return True
    return len({id(session.get_bind(mapper=mapper)) for mapper in mappers}) == 1


def _tree_key(tree: Mapping[str, IncludeNode]) -> tuple:
    return tuple(
        (name, node.attribute, node.type_, node.many, _tree_key(node.children))
        for name, node in tree.items()
    )


# Relationships the ORM never loads whole (``lazy=``): none can be included.
_NEVER_LOADED = ("dynamic", "write_only")


def _load_options(entity: Any, node: IncludeNode, parent: Any) -> list[Any]:
    attribute = getattr(entity, node.attribute, None)
    mapper = sa.inspect(entity)
    if attribute is None or node.attribute not in mapper.relationships:
        return []
    lazy = mapper.relationships[node.attribute].lazy
    if lazy in _NEVER_LOADED:
        # The model says its members are never loaded whole: they are paged at the
        # relationship's own URLs instead (and no eager loader accepts them).
        if node.included:
            raise exceptions.InvalidInclude(
                f"'{node.member}' cannot be included: its members are read a page at a "
                f'time (lazy="{lazy}").'
            )
        return []
    loader = parent.selectinload(attribute) if parent is not None else orm.selectinload(attribute)
    related = mapper.relationships[node.attribute].mapper.class_
    options = []
    for child in node.children.values():
        options.extend(_load_options(related, child, loader))
    return options or [loader]


class _SortColumn(NamedTuple):
    column: Any
    descending: bool
    nullable: bool
    # Read once: through an ORM attribute, ``column.type`` is a failed lookup (an exception)
    # each time, and a cursor page reads both on every request.
    type: Any
    python_type: type


def _sort_column(column: Any, descending: bool, nullable: bool) -> _SortColumn:
    return _SortColumn(column, descending, nullable, column.type, python_type_of(column))


def _ordering(key: _SortColumn, backwards: bool = False) -> Any:
    """ORDER BY one key; ``NULL`` is the smallest value (first ascending, last descending),
    on SQLite and PostgreSQL alike. Columns that cannot be ``NULL`` keep a plain order
    (index-friendly)."""
    descending = key.descending != backwards
    clause = key.column.desc() if descending else key.column.asc()
    if not key.nullable:
        return clause
    return clause.nulls_last() if descending else clause.nulls_first()


def _keyset_after(keys: list[_SortColumn], values: list[Any], backwards: bool) -> Any:
    """Rows strictly after ``values`` in the order of ``keys`` (before, ``backwards``):
    ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...``, with ``NULL`` as the smallest value."""
    alternatives, equal = [], []
    for key, value in zip(keys, values, strict=True):
        if value is not None and not isinstance(value, sa.BindParameter):
            # Bound as a parameter: SQLAlchemy refuses `column > False` with a Python bool.
            value = sa.literal(value, key.type)
        alternatives.append(sa.and_(*equal, _beyond(key, key.descending != backwards, value)))
        equal.append(key.column.is_(None) if value is None else key.column == value)
    return sa.or_(*alternatives)


def _beyond(key: _SortColumn, descending: bool, value: Any) -> Any:
    column = key.column
    if not descending:
        return column.is_not(None) if value is None else column > value
    if value is None:
        return sa.false()
    return sa.or_(column < value, column.is_(None)) if key.nullable else column < value


def _required(relationship: Any) -> bool:
    """Whether a many-to-one's foreign key columns are all NOT NULL."""
    return relationship.direction is orm.MANYTOONE and all(
        not column.nullable for column in relationship.local_columns
    )


def _is_mapped_object(value: Any) -> bool:
    try:
        sa.inspect(value).mapper  # noqa: B018 - raises when value is not a mapped object
    except (sa_exc.NoInspectionAvailable, AttributeError):
        return False
    return True


def _mapper(entity: Any) -> Any:
    inspected = sa.inspect(entity)
    return getattr(inspected, "mapper", inspected)


def _relationship(entity: Any, name: str, key: str, error: type) -> Any:
    relationships = _mapper(entity).relationships
    if name not in relationships:
        raise error(f"'{key}': '{name}' is not a relationship")
    return relationships[name]


def _column(entity: Any, name: str, key: str, error: type) -> Any:
    if name not in _mapper(entity).column_attrs:
        raise error(f"'{key}': '{name}' is not a column")
    return getattr(entity, name)
