"""Views over a repository, and the ``ResourceRepositoryViewSet`` that binds them to a schema."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import flask
from flask.globals import _cv_request  # read directly: no proxy per call

from .authentication import decorate
from .descriptors import NotImplementedProperty
from .filters_schema import FilterSchema
from .policy import Policy
from .query.model import ResourceQuery
from .resource_repositories.repositories import (
    ResourceRepository,
    is_library_storage,
    is_stock_repository,
    offers_row_access,
    repository_hook,
)
from .resources import ResourceDetail, ResourceList
from .services import call_hook


class ResourceRepositoryViewMixin:
    """Hooks implemented by a repository; one transaction of it per request."""

    repository: Any = ResourceRepository()

    def __init__(self, *, repository: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if repository is not None:
            self.repository = repository

    def user_storage(self) -> bool:
        """Whether the repository is the user's code (not ``SqlAlchemyModelRepository`` or
        ``MemoryRepository``): it keeps the original's contract (see ``ResourceBase``)."""
        return not is_library_storage(self.repository)

    def transaction(self) -> Any:
        begin = repository_hook(self.repository, "begin_transaction")
        if begin is None:
            return contextlib.nullcontext()
        return begin(direct_writes=True) if self._writes_directly() else begin()

    def _writes_directly(self) -> bool:
        """Whether a row write of this request may run on a connection of its own, outside
        the session (``resource_repositories/direct_writes.py``): a POST or PATCH in whose
        unit of work only the library's code runs, the view's and the repository's."""
        if _cv_request.get().request.method not in _DIRECT_METHODS:
            return False
        if not _library_writes(type(self)) or not _IN_WRITES.isdisjoint(self.__dict__):
            return False
        repository = self.repository
        return offers_row_access(repository) and repository.allows_direct_writes()

    def retry_safe(self) -> bool:
        """Whether only the library's own hooks and repository methods write in this
        request's transaction, so that it may run again after a conflict."""
        safe = repository_hook(self.repository, "retry_safe")
        return self._stock_writes() and safe is not None and bool(safe())

    def member_writer(self, attribute: str, mode: str) -> Any:
        """The repository's statements that add, remove or replace members of the to-many
        ``attribute`` (``mode``) race-free, or ``None`` when the writing hooks are
        overridden or the repository needs the ORM for them."""
        repository = self.repository
        if not offers_row_access(repository) or not self._stock_writes():
            return None
        return repository.member_writer(attribute, mode)

    def lock_row(self, id_: Any) -> None:
        """Lock the row ``id_`` until the request's transaction ends (``If-Match``): the
        repository's ``lock``, the one a DELETE takes (a row out of scope locks nothing)."""
        lock = repository_hook(self.repository, "lock")
        if lock is not None:
            lock(id_, deleting=True)

    def versioned(self) -> bool:
        """Whether the repository's model has a version column (its rows' ETags come from
        it, and ``If-Match`` on PATCH is checked by the versioned ``UPDATE``)."""
        attribute = repository_hook(self.repository, "version_attribute")
        # Reads of the user's own (a permission checker's, say) decide what is shown: the
        # version is read only where the library's reads are the view's.
        return self._stock_reads() and attribute is not None and attribute() is not None

    def row_version(self, id_: Any) -> Any:
        """The version of row ``id_`` as the session holds it (loaded now, or earlier in the
        transaction: a flush then compares exactly this value, ``UPDATE ... WHERE version
        = :v``), or ``None`` without a version column; 404 when the client may not see it."""
        attribute = repository_hook(self.repository, "version_attribute")
        name = None if attribute is None else attribute()
        if name is None:
            return None
        obj = self.repository.get_detail(id_)
        service = self.service()
        if not service.shown(obj):  # hidden by an object check: as if absent
            raise service.not_found(id_)
        # The session's identity map holds objects weakly: kept here, the object the write
        # flushes is this one, with the version just compared.
        self._versioned_rows = [*getattr(self, "_versioned_rows", ()), obj]
        return getattr(obj, name)

    def note_foreign_work(self) -> None:
        note = repository_hook(self.repository, "note_foreign_work")
        if note is not None:
            note()

    def call_repository(self, name: str, *args: Any, **optional: Any) -> Any:
        """Call the repository's ``name``: this library's repositories get the optional
        keywords they accept; any other object gets the original's positional call only
        (a ``Mock`` would accept the keywords and fail its ``assert_called_with``)."""
        method = getattr(self.repository, name)
        if is_stock_repository(self.repository):
            return call_hook(method, *args, **optional)
        return method(*args)

    # Whether the reading (writing) hooks are the library's own: only then may rows stand
    # in for them. A view of the user's built on this mixin alone keeps its hooks.
    def _stock_reads(self) -> bool:
        return False

    def _stock_writes(self) -> bool:
        return False

    def row_reader(self, query: ResourceQuery) -> Any:
        """The repository's reads as rows for ``query`` (the fast path), or ``None`` when
        the reading hooks are overridden, ``JSONAPI_ROW_READS`` is off, or the repository
        needs ORM objects for this query."""
        return self._fast_path("row_reader", "JSONAPI_ROW_READS", self._stock_reads, query)

    def row_writer(self, query: ResourceQuery) -> Any:
        """The repository's creates and updates as Core statements answering rows for
        ``query`` (the fast path), or ``None`` when the writing hooks are overridden,
        ``JSONAPI_ROW_WRITES`` is off, or the repository needs the ORM."""
        return self._fast_path("row_writer", "JSONAPI_ROW_WRITES", self._stock_writes, query)

    def relation_reader(self, attribute: str, related_id_attribute: str) -> Any:
        """The repository's reads of one parent's relationship ``attribute`` as rows (the
        fast path of relationship and related endpoints), or ``None`` when the reading
        hooks are overridden, ``JSONAPI_ROW_READS`` is off, a permission checker judges
        the objects, or the repository needs the ORM for it."""
        repository = self.repository
        if not offers_row_access(repository) or not self._stock_reads():
            return None
        if getattr(self, "permission_checker", None) is not None:
            return None
        if not flask.current_app.config.get("JSONAPI_ROW_READS", True):
            return None
        return repository.relation_reader(
            attribute, self.compiled.id_attribute, related_id_attribute
        )

    def _fast_path(
        self, factory_name: str, setting: str, stock: Callable[[], bool], query: ResourceQuery
    ) -> Any:
        repository = self.repository
        if not offers_row_access(repository) or not stock():
            return None
        if not flask.current_app._get_current_object().config.get(setting, True):
            return None
        return getattr(repository, factory_name)(
            self.compiled, query.load, query.fields, self.registry
        )


class ResourceRepositoryDetailView(ResourceRepositoryViewMixin, ResourceDetail):
    """``read``/``update``/``destroy`` through the repository."""

    def read(self, id: Any, **kwargs: Any) -> Any:
        return self.call_repository("get_detail", id, **kwargs)

    def _stock_reads(self) -> bool:
        return type(self).read is ResourceRepositoryDetailView.read

    def _stock_writes(self) -> bool:
        cls = type(self)
        return (
            cls.update is ResourceRepositoryDetailView.update
            and cls.read is ResourceRepositoryDetailView.read
        )

    def retry_safe(self) -> bool:
        return super().retry_safe() and type(self).destroy is ResourceRepositoryDetailView.destroy

    def update(self, id: Any, data: dict[str, Any], **kwargs: Any) -> Any:
        data["id"] = id
        updated = self.call_repository("update", data, **kwargs)
        # The original's view answered nothing whatever the repository returned (a 204);
        # a repository of the user's (a Mock's update answers a Mock) keeps that.
        return None if self.user_storage() else updated

    def destroy(self, id: Any, **kwargs: Any) -> None:
        self.call_repository("delete", id, **kwargs)


class ResourceRepositoryListView(ResourceRepositoryViewMixin, ResourceList):
    """``read_many``/``get_count``/``create`` through the repository."""

    def read_many(self, filters: dict, sorting: tuple, pagination: dict, **kwargs: Any) -> Any:
        return self.call_repository("get_list", filters, sorting, pagination, **kwargs)

    def get_count(self, filters: dict) -> int | None:
        get_count = repository_hook(self.repository, "get_count")
        return get_count(filters) if get_count is not None else None

    def _stock_reads(self) -> bool:
        cls = type(self)
        return (
            cls.read_many is ResourceRepositoryListView.read_many
            and cls.get_count is ResourceRepositoryListView.get_count
        )

    def _stock_writes(self) -> bool:
        cls = type(self)
        return (
            cls.create is ResourceRepositoryListView.create
            and cls.prepare_response is ResourceList.prepare_response
        )

    def create(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.call_repository("create", data, **kwargs)


# The view methods that run in a POST's or PATCH's unit of work: overridden, code of the
# application's may use the session while a row write waits uncommitted, so the write
# stays in the session's transaction.
_IN_WRITES = frozenset(
    {
        "post",
        "patch",
        "transaction",
        "service",
        "prepare_response",
        "create",
        "read",
        "update",
        "row_writer",
        "_fast_path",
        "resource_document",
        "compound",
        "fetch_related",
        "version_tags",
        "versioned",
        "row_version",
        "version_etag",
        "check_current",
        "check_version",
        "lock_row",
        "stale_as_failed",
        "note_foreign_work",
    }
)
_DIRECT_METHODS = frozenset({"POST", "PATCH"})


def _library_writes(cls: type) -> bool:
    """Whether ``cls`` keeps the library's own versions of the methods in ``_IN_WRITES``
    (asked per request, as a class may be patched: a walk up to the library's view class)."""
    for klass in cls.__mro__:
        if klass is ResourceRepositoryListView or klass is ResourceRepositoryDetailView:
            return True
        if not _IN_WRITES.isdisjoint(klass.__dict__):
            return False
    return False


class ResourceRepositoryViewSet:
    """A resource declared by its ``schema`` and ``repository``; ``Api.repository`` routes it.

    Options beyond the original's: ``client_generated_ids`` (accept ``id`` on POST;
    unset: only for a repository of the user's whose schema loads ``id``), ``paginate``
    (page lists the client asks no page of; unset: only for this library's repositories),
    ``page_size``, ``max_page_size``, ``pagination`` (``"number"``, ``"offset"`` or
    ``"cursor"``), ``count`` (count the total: ``True``, ``False`` or ``None`` for "not on
    cursor pages"), ``max_include_depth``, ``sortable_fields`` (the sort fields allowed;
    ``None``: every attribute), ``filter_expressions`` (accept ``filter=[...]``) and
    ``require_if_match`` (writes need ``If-Match``, 428 without; ``None``: the config
    key ``JSONAPI_REQUIRE_IF_MATCH`` decides).
    Without a ``filter_schema``, the schema's attributes are the filters.
    """

    repository: Any = ResourceRepository()
    schema: Any = NotImplementedProperty("schema")
    filter_schema: FilterSchema | None = None
    detail_view_cls: type = ResourceRepositoryDetailView
    list_view_cls: type = ResourceRepositoryListView
    view_decorators: Sequence[Callable] = ()
    view_kwargs: dict[str, Any] | None = None
    client_generated_ids: bool | None = None
    paginate: bool | None = None
    page_size: int | None = None
    max_page_size: int | None = None
    pagination: str | None = None
    max_include_depth: int | None = None
    count: bool | None = None
    sortable_fields: Iterable[str] | None = None
    filter_expressions: bool = False
    policy: Policy | None = None
    require_if_match: bool | None = None

    def __init__(
        self,
        *,
        repository: Any = None,
        schema: Any = None,
        filter_schema: Any = None,
        detail_view_cls: type | None = None,
        list_view_cls: type | None = None,
        view_decorators: Sequence[Callable] | None = None,
        view_kwargs: dict[str, Any] | None = None,
        policy: Policy | None = None,
    ) -> None:
        for name, value in (
            ("policy", policy),
            ("repository", repository),
            ("schema", schema),
            ("filter_schema", filter_schema),
            ("detail_view_cls", detail_view_cls),
            ("list_view_cls", list_view_cls),
            ("view_decorators", view_decorators),
            ("view_kwargs", view_kwargs),
        ):
            if value is not None:
                setattr(self, name, value)

    def query_options(self) -> dict[str, Any]:
        return {
            "page_size": self.page_size,
            "max_page_size": self.max_page_size,
            "pagination": self.pagination,
            "max_include_depth": self.max_include_depth,
            "count": self.count,
            "sortable_fields": (
                None if self.sortable_fields is None else frozenset(self.sortable_fields)
            ),
            "filter_expressions": self.filter_expressions,
            "paginate": self.paginate,
        }

    def get_views_kwargs(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "repository": self.repository,
            "client_generated_ids": self.client_generated_ids,
            "query_options": self.query_options(),
            # Only when set: a view class of the user's may not take the keyword.
            **(
                {} if self.require_if_match is None else {"require_if_match": self.require_if_match}
            ),
            **(self.view_kwargs or {}),
        }

    def as_detail_view(self, view_name: str, **extra: Any) -> Callable:
        view = self.detail_view_cls.as_view(view_name, **self.get_views_kwargs(), **extra)
        return self.decorate(view)

    def as_list_view(self, view_name: str, **extra: Any) -> Callable:
        view = self.list_view_cls.as_view(
            view_name, filter_schema=self.filter_schema, **self.get_views_kwargs(), **extra
        )
        return self.decorate(view)

    def decorate(self, view: Callable) -> Callable:
        """``view`` wrapped in ``view_decorators`` (their refusals as JSON:API documents)."""
        if not self.view_decorators:
            return view
        return decorate(view, self.view_decorators)

    def get_policy(self) -> Policy | None:
        """The policy of this view set's type (:class:`~flask_jsonapi.policy.Policy`)."""
        return self.policy
