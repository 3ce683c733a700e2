"""``Policy``: the security of one resource type, declared once and applied on every path.

A view set names its policy (``ResourceRepositoryViewSet.policy``); the registry keeps it
beside the type's schema and repository. Each request asks it afresh (it may read
``flask.g``, ``current_user`` or headers):

* **actions** (:meth:`Policy.allows`): may this client read, create, update or delete
  resources of the type, or change one of its relationships? A refusal is 403.
* **rows** (:meth:`Policy.scope`): a SQLAlchemy criterion that every statement reading
  rows of the type carries: lists and details, counts, includes at any depth, related
  and relationship endpoints, filters and sorts through relationships, cursor pages,
  Atomic Operations, and the rows a write touches. A row out of scope answers 404,
  exactly like a missing one.
* **objects** (:meth:`Policy.visible`): a check of loaded objects, for rules that cannot
  be written in SQL (the original's permission checkers). Applied to every object a
  response would contain; filters and sorts cannot pass through such a type.
* **fields** (:meth:`Policy.hidden_fields`, :meth:`Policy.read_only_fields`): members
  never shown, filtered, sorted or written (they answer as unknown members), and members
  shown but not written (403).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["CREATE", "DELETE", "READ", "UPDATE", "Policy"]

READ = "read"
CREATE = "create"
UPDATE = "update"
DELETE = "delete"


class Policy:
    """Override what your type needs; the defaults allow everything."""

    def allows(self, action: str, relationship: str | None = None) -> bool:
        """Whether the client may ``action`` (``"read"``, ``"create"``, ``"update"``,
        ``"delete"``) resources of this type; ``relationship`` names the relationship an
        update changes (relationship endpoints, linkage in a body, atomic operations)."""
        return True

    def scope(self, model: Any) -> Any:
        """A SQL criterion on ``model`` (the repository's model class) that the rows this
        client may see satisfy, or ``None`` for all rows."""
        return None

    def visible(self, obj: Any) -> bool:
        """Whether a loaded object may be shown (a check SQL cannot make; slower, and it
        keeps filters and sorts from passing through the type)."""
        return True

    def hidden_fields(self) -> Collection[str]:
        """Member names (attributes or relationships) this client may not know of."""
        return ()

    def read_only_fields(self) -> Collection[str]:
        """Member names this client may see but not write."""
        return ()

    @property
    def checks_objects(self) -> bool:
        """Whether :meth:`visible` is overridden (objects must be loaded to be checked)."""
        return type(self).visible is not Policy.visible
