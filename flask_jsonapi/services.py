"""The resource actions, shared by the HTTP views and Atomic Operations.

A service turns a validated request (query object, parsed resource input) into calls of
the resource's hooks (``read``, ``read_many``, ``create``, ``update``, ``destroy``); it
checks the rules JSON:API sets for each action and resolves relationship linkage
through the registry. Transactions are the caller's: one per request or operation list.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import exceptions, scopes
from .document import Identifier, ResourceInput
from .exceptions import pointer_token
from .policy import CREATE, DELETE, READ, UPDATE
from .query.cursor import page_window
from .query.model import ResourceQuery
from .registry import Registry
from .resource_repositories.repositories import is_stock_repository, repository_hook
from .schema.compiled import CompiledSchema, RelationshipSpec
from .schema.serializer import read
from .write_only import all_members


@functools.lru_cache(maxsize=1024)
def _accepted(function: Callable, names: tuple[str, ...]) -> tuple[str, ...]:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return names
    return tuple(name for name in names if name in parameters)


def call_hook(
    hook: Callable, *args: Any, keywords: Mapping[str, Any] | None = None, **optional: Any
) -> Any:
    """Call a user hook with ``args`` and ``keywords``, passing the ``optional`` keywords
    only where it accepts them."""
    function = getattr(hook, "__func__", hook)
    accepted = _accepted(function, tuple(optional))
    return hook(*args, **(keywords or {}), **{name: optional[name] for name in accepted})


@dataclass(frozen=True)
class Page:
    """The result of a collection read."""

    items: list[Any]
    total: int | None
    more: bool | None = None  # items follow (precede, for page[before]); None: not probed
    cursors: tuple[str, str] | None = None  # of the first and last item, on cursor pages


class ResourceService:
    """The actions on one resource type through one set of hooks (a view)."""

    def __init__(
        self,
        hooks: Any,
        compiled: CompiledSchema,
        registry: Registry,
        *,
        client_generated_ids: bool = False,
        lids: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.hooks = hooks
        self.compiled = compiled
        self.registry = registry
        self.client_generated_ids = client_generated_ids
        self.lids = lids if lids is not None else {}
        self.policy = registry.policy(compiled.type_)

    # -- policy --------------------------------------------------------------------------

    def require(self, action: str, relationship: str | None = None, pointer: str = "") -> None:
        """403 unless the type's policy allows ``action`` (on ``relationship``)."""
        policy = self.policy
        if policy is None or policy.allows(action, relationship):
            return
        what = f"change '{relationship}' of" if relationship else action
        raise exceptions.ForbiddenError(
            f"You may not {what} '{self.compiled.type_}' resources.",
            {"pointer": pointer} if pointer else None,
        )

    def shown(self, obj: Any) -> bool:
        """Whether the type's object checks (if any) let ``obj`` be shown."""
        check = self._own_check()
        return check is None or check(obj)

    def _own_check(self) -> Callable[[Any], bool] | None:
        """The object check of this type, unless the hooks check objects themselves (the
        original's protected views, whose checker answers their own URLs)."""
        if getattr(self.hooks, "permission_checker", None) is not None:
            return None
        return _object_check(self.compiled.type_)

    def _check_fields(self, resource: ResourceInput) -> None:
        """Hidden members answer as unknown ones (422); read-only ones 403 (the policy's)."""
        policy = self.policy
        if policy is None:
            return
        hidden = set(policy.hidden_fields())
        read_only = set(policy.read_only_fields())
        if not hidden and not read_only:
            return
        members = [
            (member, f"{resource.pointer}/attributes/{pointer_token(member)}", "attribute")
            for member in resource.attributes
        ]
        members += [
            (member, resource.relationship_pointers.get(member, resource.pointer), "relationship")
            for member in resource.relationships
        ]
        errors: list[exceptions.JsonApiException] = []
        for member, pointer, kind in members:
            if member in hidden:
                article = "an" if kind == "attribute" else "a"
                errors.append(
                    exceptions.ValidationFailed(
                        f"'{member}' is not {article} {kind} of '{self.compiled.type_}'.",
                        source={"pointer": pointer},
                        title=f"Unknown {kind}",
                    )
                )
            elif member in read_only:
                errors.append(
                    exceptions.ForbiddenError(f"'{member}' is read-only.", {"pointer": pointer})
                )
        if errors:
            raise errors[0] if len(errors) == 1 else exceptions.ErrorList(errors)

    def _check_in_scope(self, obj: Any, pointer: str) -> None:
        """403 when a write leaves its resource out of what the client may see."""
        entry = self.registry.get(self.compiled.type_)
        repository = getattr(entry, "repository", None)
        in_scope = getattr(repository, "in_scope", None)
        key = read(obj, self.compiled.id_attribute)
        if (in_scope is not None and not in_scope(key)) or not self.shown(obj):
            raise exceptions.ForbiddenError(
                "This write would put the resource out of your reach.",  # as the row writes
                {"pointer": pointer},
            )

    # -- reading -----------------------------------------------------------------------

    def url_id(self, raw: str) -> str:
        """The id the hooks receive for a URL id: the URL's string, as the original gave
        it. The stock repositories convert it to the key type (404 for an id that type
        cannot hold); a hand-written ``read(id)`` gets what its users' code expects."""
        return raw

    def row_reader(self, query: ResourceQuery) -> Any:
        """The hooks' reads as rows for ``query``, if they offer them (the fast path)."""
        factory = getattr(self.hooks, "row_reader", None)
        return factory(query) if factory is not None else None

    def fetch_one(self, id_: Any, query: ResourceQuery, *, rows: bool = True) -> Any:
        """The resource ``id_`` for a document; ``rows=False`` when the caller needs the
        hooks' own object (to write through it, or to narrow a related list to it)."""
        self.require(READ)
        reader = self.row_reader(query) if rows else None
        if reader is not None:
            return reader.one(id_)
        obj = call_hook(self.hooks.read, id_, include=query.load)
        if obj is None or not self.shown(obj):
            raise self.not_found(id_)
        return obj

    def fetch_many(self, query: ResourceQuery) -> Page:
        self.require(READ)
        reader = self.row_reader(query)
        if reader is not None:
            items = reader.many(dict(query.filters), query.sorting, query.pagination)
        else:
            items = call_hook(
                self.hooks.read_many,
                filters=dict(query.filters),
                sorting=query.sorting,
                pagination=query.pagination,
                include=query.load,
            )
        items, more, cursors = page_window(query, items)
        check = self._own_check()
        if check is not None:
            # Objects are checked one by one: a count in SQL would include hidden ones.
            return Page([item for item in items if check(item)], None, more, cursors)
        total = None
        if query.page is None:
            total = len(items)  # not paged: the document holds the whole collection
        elif query.count:
            total = (reader or self.hooks).get_count(filters=dict(query.filters))
        return Page(items, total, more, cursors)

    # -- writing -----------------------------------------------------------------------

    def row_writer(self, query: ResourceQuery) -> Any:
        """The hooks' writes as Core statements answering rows for ``query``, if they offer
        them (the fast path)."""
        factory = getattr(self.hooks, "row_writer", None)
        return factory(query) if factory is not None else None

    def create(
        self,
        resource: ResourceInput,
        query: ResourceQuery | None = None,
        create: Callable[..., Any] | None = None,
    ) -> Any:
        """Create from a resource object (CRT-*): type, id rules, attributes, relationships.
        With the ``query`` of the response, the row writes may answer a record; ``create``
        stands in for the hooks' ``create`` (a view's ``prepare_response``)."""
        self._check_type(resource)
        self.require(CREATE, pointer=resource.pointer)
        self._check_fields(resource)
        data: dict[str, Any] = {}
        if resource.id is not None:
            if not self.client_generated_ids:
                raise exceptions.ForbiddenError(
                    f"'{self.compiled.type_}' does not accept client-generated ids.",
                    {"pointer": f"{resource.pointer}/id"},
                )
            try:
                key = self.compiled.parse_id(resource.id)
            except ValueError:
                raise exceptions.ValidationFailed(
                    f"'{resource.id}' is not a valid id for '{self.compiled.type_}'.",
                    source={"pointer": f"{resource.pointer}/id"},
                ) from None
            self._check_new_id(key, resource)
            data[self.compiled.id_attribute] = key
        data.update(self._load_attributes(resource, partial=False))
        self._check_required_relationships(resource, partial=False)
        writer = self.row_writer(query) if query is not None and resource.id is None else None
        created = None
        if writer is not None:
            plain = writer.values(data, self.relationship_data(resource, keys=True, action=CREATE))
            if plain is not None:
                created = writer.create(*plain)
                if created is None:
                    self._missing_related(resource)
        if created is None:
            data.update(self.relationship_data(resource, action=CREATE))
            # The original called create(data=data): hooks may take it as a keyword.
            created = call_hook(
                create or self.hooks.create, keywords={"data": data}, strategy="flush"
            )
            if self.policy is not None and getattr(type(created), "make_response", None) is None:
                self._check_in_scope(created, resource.pointer)  # (row writes: in SQL)
        return created

    def update(
        self, id_: Any, resource: ResourceInput, raw_id: str, query: ResourceQuery | None = None
    ) -> Any:
        """Update the given members only (UPD-*); 409 when type or id disagree with the URL.
        With the ``query`` of the response, the row writes may answer a record."""
        if resource.id is None:
            raise exceptions.InvalidDocument(
                "The resource object of an update needs its 'id'.", resource.pointer
            )
        self._check_type(resource)
        if resource.id != str(raw_id):
            raise exceptions.Conflict(
                {"pointer": f"{resource.pointer}/id"},
                f"The id '{resource.id}' does not match the URL's id '{raw_id}'.",
            )
        self.require(UPDATE, pointer=resource.pointer)
        self._check_fields(resource)
        data = self._load_attributes(resource, partial=True)
        self._check_required_relationships(resource, partial=True)
        resource = self._replace_members(id_, resource)
        writer = self.row_writer(query) if query is not None else None
        updated = None
        if writer is not None:
            related = self.relationship_data(resource, replacing=True, keys=True)
            plain = writer.values(data, related)
            if plain is not None:
                updated = writer.update(id_, *plain)
                if updated is None:
                    self.relationship_data(resource, replacing=True)  # 404 for a related id
                    self._read_visible(id_)  # 404 for this one
                    raise exceptions.Conflict(None, "The resource changed while it was updated.")
        if updated is None:
            if self._own_check() is not None:
                self._read_visible(id_)  # hidden by object checks: 404 (SQL scopes: below)
            data.update(self.relationship_data(resource, replacing=True))
            self._keep_hidden_members(id_, resource, data)
            # The original's update hooks found the body's id in `data`, as the schema loads it.
            data.setdefault(self.compiled.id_attribute, self._body_id(resource.id))
            updated = call_hook(self.hooks.update, id_, data, strategy="flush")
            if updated is None and not _user_storage(self.hooks):
                updated = self._read_back(id_)
            if self.policy is not None and updated is not None:
                self._check_in_scope(updated, resource.pointer)  # (row writes: in SQL)
        return updated

    def _body_id(self, raw: str) -> Any:
        try:
            return self.compiled.parse_id(raw)
        except ValueError:
            return raw

    def _read_back(self, id_: Any) -> Any:
        """The resource after this library's update answered nothing; ``None`` (a 204)
        when the hooks cannot read. (An update hook of the user's answering nothing is a
        204 at once, as in the original.)"""
        try:
            return self.hooks.read(id_)
        except exceptions.NotImplementedMethod:
            return None

    def delete(self, id_: Any) -> None:
        self.require(DELETE)
        if self._own_check() is not None:
            self._read_visible(id_)  # hidden by object checks (the hooks' read scopes SQL)
        call_hook(self.hooks.destroy, id_, strategy="flush")

    def _keep_hidden_members(self, id_: Any, resource: ResourceInput, data: dict) -> None:
        """Add to each to-many being replaced the members object checks hide: the client
        cannot see them, so its write does not remove them."""
        checks = scopes.object_checks()
        if not checks:
            return
        current = None
        for member in resource.relationships:
            spec = self.compiled.relationships.get(member)
            check = checks.get(spec.type_) if spec is not None and spec.many else None
            if check is None:
                continue
            if current is None:
                current = self.hooks.read(id_)
            members = all_members(read(current, spec.attribute)) or ()
            data[spec.attribute] = list(data[spec.attribute]) + [
                obj for obj in members if not check(obj)
            ]

    def _read_visible(self, id_: Any) -> Any:
        """The hooks' object ``id_``; 404 when missing or hidden by the object checks."""
        obj = self.hooks.read(id_)
        if obj is None or not self.shown(obj):
            raise self.not_found(id_)
        return obj

    def not_found(self, id_: Any) -> exceptions.ObjectNotFound:
        """The 404 of ``id_`` missing or hidden by the object checks: the one the type's
        repository answers for a missing id, so that a hidden object tells nothing."""
        entry = self.registry.get(self.compiled.type_)
        missing = repository_hook(getattr(entry, "repository", None), "not_found")
        if missing is not None:
            return missing(id_)
        return exceptions.ObjectNotFound(None, f"{self.compiled.type_} {id_} not found.")

    def _check_required_relationships(self, resource: ResourceInput, *, partial: bool) -> None:
        """422 for each to-one relationship the schema marks ``required`` that is set to
        ``null`` or, on a create (not ``partial``), left out; the pointer names the nearest
        member present (ERR-8)."""
        errors = []
        for spec in self.compiled.relationships.values():
            if not spec.field.required or spec.many:
                continue
            if spec.member not in resource.relationships:
                if partial:
                    continue
                given = bool(resource.relationships)
                pointer = f"{resource.pointer}/relationships" if given else resource.pointer
                detail = f"'{spec.member}' is a required relationship."
            elif resource.relationships[spec.member] is None:
                pointer = f"{resource.relationship_pointers[spec.member]}/data"
                detail = f"'{spec.member}' is required: it cannot be null."
            else:
                continue
            errors.append(exceptions.ValidationFailed(detail, source={"pointer": pointer}))
        if errors:
            raise exceptions.ErrorList(errors)

    def _check_new_id(self, key: Any, resource: ResourceInput) -> None:
        """409 pointing at ``id`` when a client-generated id is taken (CRT-12); the
        database's unique key still stops a create that races this check."""
        entry = self.registry.get(self.compiled.type_)
        repository = getattr(entry, "repository", None)
        find = repository_hook(repository, "get_many_by_ids") if repository else None
        if find is None:
            return
        try:
            find([key])
        except exceptions.JsonApiException:  # not found (or a repository that cannot look)
            return
        raise exceptions.Conflict(
            {"pointer": f"{resource.pointer}/id"},
            f"'{self.compiled.type_}' {resource.id} already exists.",
        )

    def _missing_related(self, resource: ResourceInput) -> None:
        """Raise the 404 of a related resource that a row write found missing."""
        self.relationship_data(resource)
        raise exceptions.Conflict(None, "A related resource changed while this one was written.")

    def _check_type(self, resource: ResourceInput) -> None:
        if resource.type != self.compiled.type_:
            raise exceptions.InvalidType(
                {"pointer": f"{resource.pointer}/type"},
                f"Type '{resource.type}' does not match this endpoint's type "
                f"'{self.compiled.type_}'.",
            )

    def _load_attributes(self, resource: ResourceInput, *, partial: bool) -> dict[str, Any]:
        try:
            data = self.compiled.load_attributes(resource.attributes, partial=partial)
            if self.compiled.integers:
                self._check_integer_columns(data, resource.attributes)
            return data
        except exceptions.JsonApiException as error:
            if resource.pointer != "/data":
                error.with_pointer_prefix(resource.pointer)
            raise

    def _check_integer_columns(self, data: dict[str, Any], given: dict[str, Any]) -> None:
        """422 for an integer its column cannot hold (32 bits on PostgreSQL's ``integer``),
        before the database fails the statement; the repository knows its columns."""
        # Values of 16 bits fit every integer column: most requests stop here.
        specs = [
            spec
            for spec in self.compiled.integers
            if spec.member in given
            and type(data.get(spec.attribute)) is int
            and not -(2**15) <= data[spec.attribute] < 2**15
        ]
        entry = self.registry.get(self.compiled.type_) if specs else None
        ranges = getattr(getattr(entry, "repository", None), "integer_ranges", None)
        if ranges is None:
            return
        bounds = ranges()
        errors = []
        for spec in specs:
            low, high = bounds.get(spec.attribute, (None, None))
            value = data[spec.attribute]
            if low is not None and not low <= value <= high:
                errors.append(
                    exceptions.ValidationFailed(
                        f"'{spec.member}' is out of range for its column ({low} to {high}).",
                        attribute=spec.member,
                    )
                )
        if errors:
            raise exceptions.ErrorList(errors)

    # -- relationships -----------------------------------------------------------------

    def relationship_spec(self, member: str, pointer: str) -> RelationshipSpec:
        spec = self.compiled.relationships.get(member)
        if spec is None:
            raise exceptions.ValidationFailed(
                f"'{member}' is not a relationship of '{self.compiled.type_}'.",
                source={"pointer": pointer},
                title="Unknown relationship",
            )
        return spec

    def relationship_data(
        self,
        resource: ResourceInput,
        *,
        replacing: bool = False,
        keys: bool = False,
        action: str = UPDATE,
    ) -> dict[str, Any]:
        """Relationship linkage of a request turned into values for the object attributes.

        ``replacing``: an update, where a to-many with ``allow_replace=False`` is 403 (UPD-5).
        ``keys``: ``(primary key, repository)`` pairs instead of the objects, unloaded.
        ``action``: what the policy is asked for each relationship (create or update).
        """
        data = {}
        for member, linkage in resource.relationships.items():
            pointer = resource.relationship_pointers.get(member, resource.pointer)
            spec = self.relationship_spec(member, pointer)
            self.require(action, member, pointer)
            if not spec.load:
                raise exceptions.ForbiddenError(
                    f"Relationship '{member}' is read-only.", {"pointer": pointer}
                )
            if replacing and spec.many and not spec.allow_replace:
                raise exceptions.ForbiddenError(
                    f"Relationship '{member}' cannot be replaced as a whole; "
                    "add or remove members at its relationship URL instead.",
                    {"pointer": pointer},
                )
            data[spec.attribute] = self.resolve_linkage(spec, linkage, f"{pointer}/data", keys=keys)
        return data

    def resolve_linkage(
        self,
        spec: RelationshipSpec,
        linkage: Identifier | list[Identifier] | None,
        pointer: str,
        *,
        keys: bool = False,
    ) -> Any:
        """The related object(s) for linkage: 404 when missing, 409 for a wrong type.
        ``keys``: ``(primary key, repository)`` pairs instead, not looked up."""
        if spec.many != isinstance(linkage, list) or (spec.many and linkage is None):
            expected = "an array of resource identifiers" if spec.many else "one identifier or null"
            raise exceptions.InvalidDocument(
                f"Relationship '{spec.member}' takes {expected}.", pointer
            )
        identifiers = linkage if spec.many else ([] if linkage is None else [linkage])
        for identifier in identifiers:
            if spec.type_ and identifier.type != spec.type_:
                raise exceptions.InvalidType(
                    {"pointer": f"{identifier.pointer}/type"},
                    f"Relationship '{spec.member}' holds '{spec.type_}', not '{identifier.type}'.",
                )
        # A member named twice is one member (UREL-5): not a duplicate row, not a 409.
        ids = list(dict.fromkeys(self._identifier_id(identifier) for identifier in identifiers))
        entry = self.registry.get(spec.type_) if spec.type_ else None
        if entry is None or entry.repository is None:
            values: list[Any] = [(id_, None) for id_ in ids] if keys else ids
        else:
            repository = entry.repository
            try:
                if not is_stock_repository(repository):
                    # Another object with the CRUD methods: its get_detail, with URL-like ids.
                    values = (
                        [(id_, None) for id_ in ids]
                        if keys
                        else [repository.get_detail(id_) for id_ in ids]
                    )
                elif keys:
                    values = [(entry.compiled.parse_id(id_), repository) for id_ in ids]
                else:
                    values = repository.get_many_by_ids(
                        [entry.compiled.parse_id(id_) for id_ in ids]
                    )
                    check = _object_check(spec.type_)
                    if check is not None and not all(check(value) for value in values):
                        raise exceptions.RelatedObjectNotFound(
                            None, f"A related '{spec.type_}' does not exist."
                        )
            except (ValueError, exceptions.ObjectNotFound) as error:
                raise exceptions.RelatedObjectNotFound(
                    {"pointer": pointer},
                    getattr(error, "detail", None) or f"A related '{spec.type_}' does not exist.",
                ) from None
        if spec.many:
            return _unique(values, keys)
        if values:
            return values[0]
        return (None, entry.repository if entry else None) if keys else None

    def change_members(
        self, id_: Any, spec: RelationshipSpec, value: Any, mode: str, parent: Any = None
    ) -> Any:
        """Replace (``"replace"``), add to (``"add"``) or remove from (``"remove"``) one
        relationship of a resource (UREL-*, ATOM-23/24). Adding a member already there, or
        removing one that is not, changes nothing. Members the client may not see stay as
        they are. A to-many is changed by statements that hold whatever the rows are by
        now (the hooks' ``member_writer``), else as one update through the hooks."""
        self.require(UPDATE, spec.member, "/data")
        writer = self._member_writer(spec, mode)
        keys = writer.keys(value) if writer is not None else None
        if keys is not None:
            self._lock(writer, id_)
            writer.change(id_, keys, mode)
            return parent
        if parent is None:
            parent = self._read_visible(id_)
        check = _object_check(spec.type_) if spec.many else None
        if mode != "replace" or check is not None:
            current = list(all_members(read(parent, spec.attribute)) or ())
            if mode == "add":
                value = current + [obj for obj in value if not _holds(current, obj)]
            elif mode == "remove":
                value = [obj for obj in current if not _holds(value, obj)]
            else:
                # Rows hidden by object checks were loaded all the same: keep them.
                value = value + [obj for obj in current if not check(obj)]
        updated = call_hook(self.hooks.update, id_, {spec.attribute: value}, strategy="flush")
        return updated if updated is not None else parent

    def _member_writer(self, spec: RelationshipSpec, mode: str) -> Any:
        """The hooks' statements for ``mode`` on the to-many ``spec``, if they offer them
        and no object check (which needs the objects) applies to either side."""
        factory = getattr(self.hooks, "member_writer", None)
        if factory is None or not spec.many:
            return None
        if self._own_check() is not None or _object_check(spec.type_) is not None:
            return None
        return factory(spec.attribute, mode)

    def _lock(self, writer: Any, id_: Any) -> None:
        """Lock the resource's row for a member write: 404 when it is gone or hidden."""
        if not writer.lock(id_):
            raise self.not_found(id_)

    def _replace_members(self, id_: Any, resource: ResourceInput) -> ResourceInput:
        """Replace the to-many relationships of an update that the hooks' member writer
        can write (UPD-4), in the transaction and whatever the rows are by now; the rest
        of ``resource`` is left to the update."""
        writers = {}
        for member in resource.relationships:
            spec = self.compiled.relationships.get(member)
            if spec is not None and spec.many:
                writer = self._member_writer(spec, "replace")
                if writer is not None:
                    writers[member] = (spec, writer)
        if not writers:
            return resource
        given = {member: resource.relationships[member] for member in writers}
        values = self.relationship_data(
            dataclasses.replace(resource, relationships=given), replacing=True
        )
        changes = []
        for member, (spec, writer) in writers.items():
            keys = writer.keys(values[spec.attribute])
            if keys is None:
                del given[member]  # not stored objects of the model: the update writes it
            else:
                changes.append((writer, keys))
        for number, (writer, keys) in enumerate(changes):
            if number == 0:
                self._lock(writer, id_)
            writer.change(id_, keys, "replace")
        rest = {m: v for m, v in resource.relationships.items() if m not in given}
        return dataclasses.replace(resource, relationships=rest)

    def _identifier_id(self, identifier: Identifier) -> str:
        if identifier.id is not None:
            return identifier.id
        try:
            return self.lids[(identifier.type, identifier.lid)]
        except KeyError:
            raise exceptions.ObjectNotFound(
                {"pointer": f"{identifier.pointer}/lid"},
                f"No resource with lid '{identifier.lid}' was created before this one.",
            ) from None


def _user_storage(hooks: Any) -> bool:
    """Whether the hooks are storage code of the user's (``ResourceBase.user_storage``)."""
    user_storage = getattr(hooks, "user_storage", None)
    return bool(user_storage()) if user_storage is not None else False


def _object_check(type_: str) -> Callable[[Any], bool] | None:
    current = scopes.current()
    return current.object_check(type_) if current is not None else None


def _unique(values: list[Any], keys: bool) -> list[Any]:
    """``values`` without repeats: ids that differ as strings may name one row ("1", "01")."""
    seen: set[Any] = set()
    unique = []
    for value in values:
        mark = value[0] if keys else id(value)
        if mark not in seen:
            seen.add(mark)
            unique.append(value)
    return unique


def _holds(objects: list[Any], obj: Any) -> bool:
    return any(item is obj or item == obj for item in objects)
