"""flask-jsonapi: a JSON:API 1.1 server library for Flask.

Declare a resource with a schema and a repository, route it with ``Api``, and get a
specification-correct JSON:API over it.
"""

from . import exceptions, resource_repository_views
from .api import Api
from .filters_schema import FilterField, FilterSchema, ListFilterField, RelationshipFilterField
from .policy import Policy
from .resource_repositories.repositories import ResourceRepository
from .resource_repository_views import (
    ResourceRepositoryDetailView,
    ResourceRepositoryListView,
    ResourceRepositoryViewSet,
)
from .resources import (
    AllowedActionsResourceDetailMixin,
    AllowedActionsResourceListMixin,
    AllowedActionsResourceViewSetMixin,
    ResourceDetail,
    ResourceList,
)

__all__ = [
    "AllowedActionsResourceDetailMixin",
    "AllowedActionsResourceListMixin",
    "AllowedActionsResourceViewSetMixin",
    "Api",
    "FilterField",
    "FilterSchema",
    "ListFilterField",
    "Policy",
    "RelationshipFilterField",
    "ResourceDetail",
    "ResourceList",
    "ResourceRepository",
    "ResourceRepositoryDetailView",
    "ResourceRepositoryListView",
    "ResourceRepositoryViewSet",
    "exceptions",
    "resource_repository_views",
]
