"""Opaque cursors of cursor (keyset) pagination: the sort-key values of one item.

A cursor is the URL-safe base64 of a JSON object ``{"s": <sort>, "v": [values..., pk]}``;
``s`` binds it to the sort it was made for, so a cursor reused with another sort is 400.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from ..exceptions import InvalidPage
from .model import ResourceQuery

_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_MICROSECOND = datetime.timedelta(microseconds=1)
# SQLite stores a duration as 1970-01-01 plus it: past a datetime's range (some 8,000 years)
# it cannot even be compared there, so a cursor holding one is refused on every database.
_EPOCH = datetime.datetime(1970, 1, 1)
_DURATIONS = (datetime.datetime.min - _EPOCH, datetime.datetime.max - _EPOCH)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value // _MICROSECOND  # JSON has no duration; whole microseconds are exact
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def encode_cursor(sorting: Sequence[str], values: Sequence[Any]) -> str:
    """The cursor of an item whose sort keys (primary key last) are ``values``."""
    raw = orjson.dumps({"s": ",".join(sorting), "v": [_plain(v) for v in values]})
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, sorting: Sequence[str], parameter: str) -> tuple[Any, ...]:
    """The values of a cursor made for ``sorting``; anything else is 400 on ``parameter``."""
    try:
        # base64.urlsafe_b64decode(), without its four calls of checks and conversions
        raw = cursor.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(cursor) % 4)
        content = orjson.loads(binascii.a2b_base64(raw))
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        content = None
    if (
        not isinstance(content, dict)
        or content.get("s") != ",".join(sorting)
        or not isinstance(content.get("v"), list)
        or len(content["v"]) != len(sorting) + 1
    ):
        raise InvalidPage(
            f"'{parameter}' is not a cursor of this collection with this sort.",
            parameter=parameter,
        )
    return tuple(content["v"])


def convert_value(value: Any, python_type: type, parameter: str) -> Any:
    """A cursor value back in the column's type (dates were written as ISO strings)."""
    if value is None or type(value) is python_type:  # what JSON gives, as it is stored
        return value
    try:
        if python_type is datetime.datetime and isinstance(value, str):
            return datetime.datetime.fromisoformat(value)
        if python_type is datetime.date and isinstance(value, str):
            return datetime.date.fromisoformat(value)
        if python_type is datetime.time and isinstance(value, str):
            return datetime.time.fromisoformat(value)
        if python_type in (decimal.Decimal, uuid.UUID):
            return python_type(str(value))
        if python_type is datetime.timedelta and type(value) is int:
            duration = datetime.timedelta(microseconds=value)
            if _DURATIONS[0] <= duration <= _DURATIONS[1]:
                return duration
        if python_type is float and isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, python_type) and not (
            isinstance(value, bool) and python_type is not bool
        ):
            return value
    except (ValueError, TypeError, decimal.InvalidOperation):
        pass
    raise InvalidPage(f"'{parameter}' is not a valid cursor.", parameter=parameter)


def page_window(
    query: ResourceQuery, items: Iterable[Any]
) -> tuple[list[Any], bool | None, tuple[str, str] | None]:
    """What a repository returned for ``query.page`` -> the page's items, whether more
    follow (precede, for ``page[before]``) when that was probed, and for cursor pages the
    cursors of the first and last item."""
    page = query.page
    sort_keys = getattr(items, "sort_keys", None)
    items = list(items)
    if page is None:
        return items, None, None
    window, more = page.window(items)
    if page.style != "cursor" or not window:
        return window, more, None
    if sort_keys is None:
        sort_keys = [_sort_values(obj, query) for obj in items]
    keys, _ = page.window(list(sort_keys))
    return (
        window,
        more,
        (encode_cursor(query.sorting, keys[0]), encode_cursor(query.sorting, keys[-1])),
    )


def _sort_values(obj: Any, query: ResourceQuery) -> tuple[Any, ...]:
    values = []
    for key in query.sort:
        value = obj
        for name in key.path:
            value = None if value is None else getattr(value, name, None)
        values.append(value)
    return (*values, getattr(obj, "id", None))
