"""Storage for resources: the repository interface and its implementations."""

from .repositories import ResourceRepository

__all__ = ["ResourceRepository"]
