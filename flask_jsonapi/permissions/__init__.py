"""Permission checks for repository views (the original flask-jsonapi's public names).

A :class:`PermissionChecker` decides; :class:`ProtectedViewSet` (or the protected views)
asks it before reading, listing, creating, updating and deleting. A denial is 403.
"""

from .checkers import (
    CREATE_ACTION,
    DESTROY_ACTION,
    LIST_ACTION,
    READ_ACTION,
    UPDATE_ACTION,
    ObjectLevelPermissionChecker,
    PermissionChecker,
    PermissionException,
)
from .views import (
    ProtectedDetailView,
    ProtectedDetailViewMixin,
    ProtectedListView,
    ProtectedListViewMixin,
    ProtectedViewSet,
)

__all__ = [
    "CREATE_ACTION",
    "DESTROY_ACTION",
    "LIST_ACTION",
    "READ_ACTION",
    "UPDATE_ACTION",
    "ObjectLevelPermissionChecker",
    "PermissionChecker",
    "PermissionException",
    "ProtectedDetailView",
    "ProtectedDetailViewMixin",
    "ProtectedListView",
    "ProtectedListViewMixin",
    "ProtectedViewSet",
]
