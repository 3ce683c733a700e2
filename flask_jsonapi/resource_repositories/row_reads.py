"""Reads as Core rows: the fast path of :class:`SqlAlchemyModelRepository` for GET.

Building ORM objects (instance state, identity map, load events) costs several times the
SQL itself on the requests a JSON:API server answers most. So a stock repository view
reads plain rows instead: the page (or the one resource) as one SELECT of the columns that
its fieldset and linkage need, and each relationship of the include tree as one
``SELECT ... WHERE key IN (...)``, into :class:`Record` objects that the serializer reads
like model objects. One record per (model, primary key) and request, as the ORM's
identity map would give.

A plan is made only where nothing can tell the difference (:func:`plan_reads` returns
``None`` otherwise and the ORM path runs): every attribute the fieldset shows is a mapped
column serialised by a plain field, every relationship to load is a plain foreign-key
join (one column pair, or one association table), no mapper uses inheritance or load
events, and no session event rewrites ORM statements.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import marshmallow
import sqlalchemy as sa
from marshmallow import fields as ma_fields
from sqlalchemy import orm
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression

from .. import exceptions, scopes
from ..query.model import IncludeNode, PageItems, page_bounds
from ..schema.compiled import CompiledSchema

# Fields that compute their value from the whole object rather than one attribute.
_OBJECT_FIELDS = (ma_fields.Method, ma_fields.Function, ma_fields.Nested, ma_fields.Pluck)
_FIELD_MODULES = ("marshmallow.", "marshmallow_jsonapi.", "flask_jsonapi.")
# Bound parameters per IN list: SQLite before 3.32 allows 999 per statement.
_IN_CHUNK = 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 900
# Statements a plan keeps (pages and counts by query, row writes): then it starts again.
_KEPT_STATEMENTS = 256


class Record:
    """One row read for a resource: its columns as attributes and, once loaded, its
    relationships (a record, a list of records or ``None``)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values

    def __repr__(self) -> str:
        return f"Record({self.__dict__!r})"


_new_record = object.__new__


@dataclass(frozen=True)
class _Columns:
    """What to select for one resource type at one place of the tree."""

    mapper: Any
    keys: tuple[str, ...]  # attribute names, in the order of `columns`
    columns: tuple[Any, ...]
    pk: int  # index of the primary key in `keys`


@dataclass(frozen=True)
class _Load:
    """One relationship of the tree: a statement with an expanding ``ids`` parameter, and
    how its rows attach to the parent records. A row is the columns from ``offset`` on;
    ``row[match]`` is the value compared with the parent's: the target's own column among
    them, or the association table's before them (``offset`` 1)."""

    attribute: str
    many: bool  # the attribute holds a list
    parent_key: str  # the parent record's attribute whose values fill ``ids``
    statement: Any
    columns: _Columns
    children: tuple[_Load, ...]
    match: int
    offset: int


@dataclass(frozen=True)
class ReadPlan:
    """Everything a read of one resource type, fieldset and include tree selects."""

    columns: _Columns
    loads: tuple[_Load, ...]
    detail: Any  # SELECT of the columns WHERE the primary key = :pk
    mappers: tuple[Any, ...]  # every model read
    statements: dict[tuple, Any] = field(default_factory=dict, compare=False)  # row writes


class _Unplannable(Exception):
    """Something in the request could observe that no ORM object was built."""


SchemaLookup = Callable[[str], "CompiledSchema | None"]
RelationshipLinks = Callable[[str], bool]


@dataclass(frozen=True)
class _Request:
    """What a plan depends on beyond the tree: the fieldsets, the related schemas, and
    which types have relationship links."""

    fields: Mapping[str, frozenset[str]]
    lookup: SchemaLookup
    has_relationship_links: RelationshipLinks


def plan_reads(
    model: Any,
    compiled: CompiledSchema,
    load: Mapping[str, IncludeNode],
    fields: Mapping[str, frozenset[str]],
    lookup: SchemaLookup,
    has_relationship_links: RelationshipLinks,
) -> ReadPlan | None:
    """The plan to read ``compiled`` resources of ``model`` with the ``load`` tree as
    rows, or ``None`` when only ORM objects would give the same document."""
    request = _Request(fields, lookup, has_relationship_links)
    try:
        mapper = _plain_mapper(model)
        columns, loads = _plan_level(mapper, compiled, load, request, ())
    except _Unplannable:
        return None
    pk_column = columns.columns[columns.pk]
    detail = sa.select(*columns.columns).where(pk_column == sa.bindparam("pk"))
    mappers = tuple(dict.fromkeys([mapper, *_load_mappers(loads)]))
    return ReadPlan(columns, loads, detail, mappers)


def _load_mappers(loads: tuple[_Load, ...]) -> list[Any]:
    return [m for load in loads for m in (load.columns.mapper, *_load_mappers(load.children))]


def _plan_level(
    mapper: Any,
    compiled: CompiledSchema,
    load: Mapping[str, IncludeNode],
    request: _Request,
    extra_keys: tuple[str, ...],
) -> tuple[_Columns, tuple[_Load, ...]]:
    """The columns of one type (plus ``extra_keys``, which its parent matches on) and the
    loads of its relationships in ``load``."""
    if type(compiled.instance).get_attribute is not marshmallow.Schema.get_attribute:
        raise _Unplannable  # the schema reads values its own way
    fieldset = request.fields.get(compiled.type_)
    keys = [_column_key(mapper, compiled.id_attribute)]
    for spec in compiled.attributes.values():
        if spec.dump and (fieldset is None or spec.member in fieldset):
            if not _plain_field(spec.field):
                raise _Unplannable
            keys.append(_column_key(mapper, spec.attribute))
    for spec in compiled.relationships.values():
        shown = fieldset is None or spec.member in fieldset
        if shown and spec.member not in load and not request.has_relationship_links(compiled.type_):
            # Without relationship links the serializer writes linkage, which needs it loaded.
            raise _Unplannable
    loads = []
    for node in load.values():
        related = request.lookup(node.type_)
        if related is None:
            raise _Unplannable
        relation = mapper.relationships.get(node.attribute)
        if relation is None:
            raise _Unplannable
        plan, parent_key = _plan_load(relation, node, related, request)
        keys.append(parent_key)
        loads.append(plan)
    keys.extend(extra_keys)
    unique = tuple(dict.fromkeys(keys))
    columns = tuple(_column(mapper, key) for key in unique)
    return _Columns(mapper, unique, columns, 0), tuple(loads)


def _plan_load(
    relation: Any, node: IncludeNode, related: CompiledSchema, request: _Request
) -> tuple[_Load, str]:
    """One relationship as a statement, and the parent attribute it matches on."""
    if relation.lazy in ("dynamic", "write_only", "noload", "raise", "raise_on_sql"):
        raise _Unplannable
    if node.many != bool(relation.uselist):
        raise _Unplannable
    target = _plain_mapper(relation.mapper.class_)
    join = relation_join(relation, target)
    target_key = _mapped_key(target, join.target)
    columns, children = _plan_level(target, related, node.children, request, (target_key,))
    parent_key = _mapped_key(relation.parent, join.local)
    if join.secondary is None:  # the target's own column, which the rows hold anyway
        match = _column(target, target_key)
        selected, index, offset = columns.columns, columns.keys.index(target_key), 0
    else:  # the association table's column, selected before the target's
        match = join.match
        selected, index, offset = (match, *columns.columns), 0, 1
    order = list(relation.order_by or ()) + [columns.columns[columns.pk]]
    statement = (
        sa.select(*selected)
        .select_from(join.source)
        .where(match.in_(sa.bindparam("ids", expanding=True)))
        .order_by(*order)
    )
    many = bool(relation.uselist)
    load = _Load(node.attribute, many, parent_key, statement, columns, children, index, offset)
    return load, parent_key


@dataclass(frozen=True)
class RelationJoin:
    """A relationship that is one column pair or one association table, as columns."""

    local: Any  # the parent's column
    match: Any  # what the parent's value is compared with: the target's column or the
    # association table's
    target: Any  # the target's column (``match`` itself without an association table)
    secondary: Any  # the association table's column of the target (None without one)
    source: Any  # the target's table, joined to the association table if there is one


def relation_join(relation: Any, target: Any) -> RelationJoin:
    """The columns of ``relation`` (to the mapper ``target``); ``_Unplannable`` when it is
    not a plain foreign-key join."""
    pairs = relation.local_remote_pairs
    secondary = relation.secondary
    if secondary is None:
        if len(pairs) != 1 or not plain_join(relation.primaryjoin):
            raise _Unplannable
        local, remote = pairs[0]
        return RelationJoin(local, remote, remote, None, target.local_table)
    if not isinstance(secondary, sa.Table) or len(pairs) != 2:
        raise _Unplannable
    if not (plain_join(relation.primaryjoin) and plain_join(relation.secondaryjoin)):
        raise _Unplannable
    (local, match), (target_column, secondary_column) = pairs
    if match.table is not secondary or secondary_column.table is not secondary:
        raise _Unplannable
    source = target.local_table.join(secondary, target_column == secondary_column)
    return RelationJoin(local, match, target_column, secondary_column, source)


def _plain_mapper(model: Any) -> Any:
    """The mapper of ``model`` if rows can stand in for its objects."""
    mapper = sa.inspect(model, raiseerr=False)
    mapper = getattr(mapper, "mapper", mapper)
    if not isinstance(mapper, orm.Mapper):
        raise _Unplannable
    if mapper.inherits is not None or mapper.polymorphic_on is not None:
        raise _Unplannable
    if not isinstance(mapper.local_table, sa.Table) or len(mapper.primary_key) != 1:
        raise _Unplannable
    manager = mapper.class_manager
    if listened(manager.dispatch.load) or listened(manager.dispatch.refresh):
        raise _Unplannable  # load events and @reconstructor run on ORM objects only
    return mapper


def listened(*events: Any) -> bool:
    """Whether any of these events (their listener collections) has a listener of the
    application's. SQLAlchemy has its own on ``init`` (every mapper) and ``set`` (cascades
    and backrefs of relationships); the application's may be wrapped by SQLAlchemy, so
    only those named here are left out."""
    return any(map(_external, itertools.chain(*events)))  # no Python frame when there is none


def _external(listener: Any) -> bool:
    return not _internal(listener)


_INTERNAL_LISTENERS = ("_event_on_init", "_track_cascade_events.", "_backref_listeners.")


def _internal(listener: Any) -> bool:
    return getattr(listener, "__module__", "").startswith("sqlalchemy.") and getattr(
        listener, "__qualname__", ""
    ).startswith(_INTERNAL_LISTENERS)


def _plain_field(field: ma_fields.Field) -> bool:
    """A field of marshmallow's own (or a JSON:API library's) that reads one attribute: a
    subclass of the user's may read anything of the object."""
    module = type(field).__module__
    return not isinstance(field, _OBJECT_FIELDS) and module.startswith(_FIELD_MODULES)


def plain_join(condition: Any) -> bool:
    """Whether a join condition is one column equal to another."""
    return isinstance(condition, BinaryExpression) and condition.operator is operators.eq


def _column_key(mapper: Any, attribute: str) -> str:
    """``attribute`` if it is a mapped column of one table column."""
    prop = mapper.column_attrs.get(attribute) if "." not in attribute else None
    if prop is None or len(prop.columns) != 1 or not isinstance(prop.columns[0], sa.Column):
        raise _Unplannable
    return attribute


def _mapped_key(mapper: Any, column: Any) -> str:
    try:
        prop = mapper.get_property_by_column(column)
    except orm.exc.UnmappedColumnError:
        raise _Unplannable from None
    return _column_key(mapper, prop.key)


def _column(mapper: Any, key: str) -> Any:
    return mapper.column_attrs[key].columns[0]


# -- reading -------------------------------------------------------------------------


class RowReader:
    """A stock repository's reads with one plan: what the service calls instead of the
    view's ``read``/``read_many``/``get_count`` hooks."""

    def __init__(
        self,
        repository: Any,
        plan: ReadPlan,
        where: Any = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.repository = repository
        self.plan = plan
        self.where = where
        self.parameters = parameters

    def within(self, criterion: Any, parameters: Mapping[str, Any] | None = None) -> RowReader:
        """This reader's lists and counts limited to rows that satisfy ``criterion`` too
        (the members of one parent's relationship, on a related endpoint), executed with
        ``parameters`` (the values of its bound parameters)."""
        return RowReader(self.repository, self.plan, criterion, parameters)

    def one(self, id: Any) -> Record:
        """The resource ``id`` with its include tree; 404 when there is none."""
        repository = self.repository
        key = repository._coerce_id(id)
        record = reads(self.plan, repository.connection()).one(key)
        if record is None:
            raise exceptions.ObjectNotFound(
                None, f"{repository.instance_name.capitalize()} {id} not found."
            )
        return record

    def many(
        self, filters: dict[str, Any], sorting: Sequence[str], pagination: dict[str, Any]
    ) -> list[Record]:
        """A page of resources, filtered and sorted as ``get_list`` would."""
        repository = self.repository
        reading = reads(self.plan, repository.connection())
        parameters = self.parameters
        if "cursor" in pagination:
            values = pagination.get("values")
            backwards = pagination["cursor"] == "before"
            # Which cursor values are NULL shapes the statement; the others are parameters.
            nulls = None if values is None else tuple(value is None for value in values)
            statement, keys = self._kept(
                ("cursor", tuple(sorting), backwards, nulls),
                filters,
                lambda: self._cursor_page(filters, sorting, backwards, nulls),
            )
            if values is not None:
                values = repository.cursor_values(keys, pagination)
            parameters = _page_parameters(parameters, pagination["limit"], values=values)
            rows = reading.connection.execute(statement, parameters).all()
            if backwards:
                rows.reverse()
            width = len(self.plan.columns.columns)
            return PageItems(reading.many(rows, width), [tuple(row[width:]) for row in rows])
        bounds = page_bounds(pagination)
        statement = self._kept(
            ("many", tuple(sorting), bounds is not None),
            filters,
            lambda: self._page(filters, sorting, bounds is not None),
        )
        if bounds is not None:
            parameters = _page_parameters(parameters, *bounds)
        return reading.many(reading.connection.execute(statement, parameters).all())

    def _cursor_page(
        self,
        filters: dict[str, Any],
        sorting: Sequence[str],
        backwards: bool,
        nulls: tuple[bool, ...] | None,
    ) -> tuple[Any, list]:
        """A keyset page whose cursor values and limit are bound parameters
        (``_page_parameters``): one statement for every cursor of the same sort, kept as a
        number page's is."""
        repository = self.repository
        statement = self._filtered(repository.scoped_query(loads=False), filters)
        statement, keys = repository._sort_columns(statement, sorting)
        after = None
        if nulls is not None:
            after = [
                None if null else sa.bindparam(f"{_AFTER}{index}", type_=key.type)
                for index, (key, null) in enumerate(zip(keys, nulls, strict=True))
            ]
        statement = repository._keyset(statement, keys, backwards, after).limit(_bound(_LIMIT))
        columns = (*self.plan.columns.columns, *(key.column for key in keys))
        return statement.with_only_columns(*columns), keys

    def _page(self, filters: dict[str, Any], sorting: Sequence[str], paged: bool) -> Any:
        repository = self.repository
        statement = self._filtered(repository.scoped_query(loads=False), filters)
        statement = repository.apply_sorts(statement, sorting)
        if paged:
            statement = statement.limit(_bound(_LIMIT)).offset(_bound(_OFFSET))
        return statement.with_only_columns(*self.plan.columns.columns)

    def get_count(self, filters: dict[str, Any]) -> int:
        """How many resources the filters match: ``SELECT count(*) FROM table WHERE ...``."""
        repository = self.repository
        statement = self._kept(("count",), filters, lambda: self._count(filters))
        return repository.connection().execute(statement, self.parameters).scalar_one()

    def _count(self, filters: dict[str, Any]) -> Any:
        repository = self.repository
        statement = sa.select(sa.func.count()).select_from(repository.model)
        criterion = scopes.criterion(repository.model)
        if criterion is not None:
            statement = statement.where(criterion)
        return self._filtered(statement, filters)

    def _filtered(self, statement: Any, filters: Mapping[str, Any]) -> Any:
        if self.where is not None:
            statement = statement.where(self.where)
        return self.repository.apply_filters(statement, dict(filters))

    def _kept(self, kind: tuple, filters: Mapping[str, Any], build: Callable[[], Any]) -> Any:
        """``build()``, or the statement it gave this plan for the same query before: the
        same query string is read again and again, and a statement built once also keeps
        SQLAlchemy's cache key. Under policies, only for the very criterion objects it was
        built with (compared by identity, as ``scopes.memo`` does: a policy that returns one
        object per client gets its statements back); so is ``within``'s criterion (a
        related endpoint's is the relationship plan's, its parent's value bound). Not with
        ``filter_methods_map`` (functions of the application's)."""
        if self.repository.filter_methods_map:
            return build()
        current = scopes.current()
        criteria = current.criteria() if current is not None else ()
        if self.where is not None:
            criteria = (*criteria, self.where)
        # The value's type too: True == 1, but the two may not be the same SQL.
        key = (
            *kind,
            self.where is not None,
            *map(id, criteria),
            *((name, type(value), value) for name, value in filters.items()),
        )
        try:
            hit = self.plan.statements.get(key)
        except TypeError:  # a filter value that is a list: not kept
            return build()
        if hit is not None and all(a is b for a, b in zip(hit[0], criteria, strict=True)):
            return hit[1]
        statement = build()
        if len(self.plan.statements) >= _KEPT_STATEMENTS:
            self.plan.statements.clear()
        # The criteria are kept with it: alive, their ids cannot name other objects.
        self.plan.statements[key] = (criteria, statement)
        return statement


# The bound parameters of a kept page: its bounds, and a keyset page's cursor values by
# position. Bound, not written in: one kept statement serves every page of a query (two
# statements of one SQLAlchemy cache key would cost each execution an adaptation of the
# result's columns to the statement that was not compiled).
_LIMIT, _OFFSET, _AFTER = "jsonapi_limit", "jsonapi_offset", "jsonapi_after_"


def _bound(name: str) -> Any:
    # 64 bits: a far page's OFFSET passes 32 (PostgreSQL casts each parameter to its type).
    return sa.bindparam(name, type_=sa.BigInteger())


def _page_parameters(
    parameters: Mapping[str, Any] | None,
    limit: int,
    offset: int | None = None,
    values: list | None = None,
) -> dict[str, Any]:
    """``parameters`` (the filters') with the page's ``LIMIT`` and ``OFFSET`` (a keyset
    page has none) and a cursor's ``values`` (its ``NULL``s are no parameter: they shape
    the statement)."""
    parameters = dict(parameters) if parameters else {}
    parameters[_LIMIT] = limit
    if offset is not None:
        parameters[_OFFSET] = offset
    for index, value in enumerate(values or ()):
        if value is not None:
            parameters[f"{_AFTER}{index}"] = value
    return parameters


def reads(plan: ReadPlan, connection: sa.Connection) -> _Reads:
    """The reads of one request with ``plan`` on ``connection``."""
    return _Reads(plan, connection)


class _Reads:
    """The reads of one request: records are unique per (model, primary key)."""

    def __init__(self, plan: ReadPlan, connection: sa.Connection) -> None:
        self.plan = plan
        self.connection = connection
        self._identity: dict[Any, dict[Any, Record]] = {}  # mapper -> primary key -> record
        self._scopes = scopes.current()

    def scoped(self, statement: Any, mapper: Any) -> Any:
        """``statement`` limited to the rows of ``mapper`` the request's policies let the
        client see."""
        if self._scopes is None:
            return statement
        criterion = self._scopes.criterion(mapper.class_)
        return statement if criterion is None else scopes.narrowed(statement, criterion)

    def one(self, key: Any) -> Record | None:
        """The resource with primary key ``key`` and its include tree, or ``None``."""
        detail = self.scoped(self.plan.detail, self.plan.columns.mapper)
        return self.answer(self.connection.execute(detail, {"pk": key}).all())

    def answer(self, rows: list[Any]) -> Record | None:
        """The record of the first of ``rows`` (the plan's columns), its tree loaded."""
        if not rows:
            return None
        records = self._records(self.plan.columns, rows[:1])
        self._load(self.plan.loads, records)
        return records[0]

    def many(self, rows: list[Any], width: int | None = None) -> list[Record]:
        """The records of ``rows`` (the plan's columns, then ``width`` on: anything else),
        with their include tree."""
        if width is not None:
            rows = [row[:width] for row in rows]
        records = self._records(self.plan.columns, rows)
        self._load(self.plan.loads, records)
        return records

    def _records(self, columns: _Columns, rows: Any, offset: int = 0) -> list[Record]:
        keys, pk = columns.keys, columns.pk + offset
        identity = self._identity.get(columns.mapper)
        if identity is None:
            identity = self._identity[columns.mapper] = {}
        records = []
        for row in rows:
            values = dict(zip(keys, row[offset:] if offset else row, strict=True))
            key = row[pk]
            record = identity.get(key)
            if record is None:
                # Record(values) without a Python __init__ frame per row.
                record = identity[key] = _new_record(Record)
                record.__dict__ = values
            else:
                record.__dict__.update(values)
            records.append(record)
        return records

    def _load(self, loads: tuple[_Load, ...], parents: list[Record]) -> None:
        for load in loads:
            key = load.parent_key
            ids = list({value for parent in parents if (value := getattr(parent, key)) is not None})
            rows: list[Any] = []
            statement = self.scoped(load.statement, load.columns.mapper)
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                rows.extend(self.connection.execute(statement, {"ids": chunk}).all())
            records = self._records(load.columns, rows, offset=load.offset)
            groups: dict[Any, list[Record]] = {}
            match = load.match
            for row, record in zip(rows, records, strict=True):
                groups.setdefault(row[match], []).append(record)
            attribute = load.attribute
            for parent in parents:
                group = groups.get(getattr(parent, key), ())
                if load.many:
                    setattr(parent, attribute, list(group))
                else:
                    setattr(parent, attribute, group[0] if group else None)
            if load.children:
                self._load(load.children, list({id(r): r for r in records}.values()))
