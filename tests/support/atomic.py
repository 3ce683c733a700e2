"""Sending Atomic Operations requests (jsonapi.org/ext/atomic) from tests."""

from __future__ import annotations

from typing import Any

from tests.support.client import JsonApiClient

__all__ = ["ATOMIC", "ATOMIC_TYPE", "MEDIA_TYPE", "atomic", "ops"]

MEDIA_TYPE = "application/vnd.api+json"
ATOMIC = "https://jsonapi.org/ext/atomic"
ATOMIC_TYPE = f'{MEDIA_TYPE}; ext="{ATOMIC}"'


def ops(*operations: dict[str, Any]) -> dict[str, Any]:
    """An atomic request document."""
    return {"atomic:operations": list(operations)}


def atomic(client: JsonApiClient, *operations: dict[str, Any], **headers: str) -> Any:
    """POST ``operations`` to ``/operations`` with the atomic media type (or ``headers``)."""
    sent = {"Content-Type": ATOMIC_TYPE, "Accept": ATOMIC_TYPE}
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    return client.post("/operations", json=ops(*operations), headers=sent)
