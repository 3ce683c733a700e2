"""Content negotiation: the JSON:API media type and its ``ext``/``profile`` parameters.

Implements jsonapi.org/format/1.1/#content-negotiation: a request body with an
unsupported media type parameter or extension is 415, an ``Accept`` header whose every
JSON:API entry is unusable is 406, and the response names the extensions it applied.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .exceptions import NotAcceptable, UnsupportedMediaType

MEDIA_TYPE = "application/vnd.api+json"
ATOMIC_EXTENSION = "https://jsonapi.org/ext/atomic"
ALLOWED_PARAMETERS = frozenset({"ext", "profile"})


@dataclass(frozen=True)
class MediaType:
    """One parsed media type: ``type/subtype`` and its parameters (names lower-cased)."""

    mime: str
    params: dict[str, str]

    @property
    def ext(self) -> tuple[str, ...]:
        return _uris(self.params.get("ext", ""))

    @property
    def profile(self) -> tuple[str, ...]:
        return _uris(self.params.get("profile", ""))

    @property
    def quality(self) -> float:
        try:
            return float(self.params.get("q", "1"))
        except ValueError:
            return 0.0


@dataclass(frozen=True)
class Negotiated:
    """What a request asked for and the response will carry."""

    ext: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return content_type(self.ext, self.profile)


def _uris(value: str) -> tuple[str, ...]:
    # A URI named twice is one extension or profile: the response names it once.
    return tuple(dict.fromkeys(value.split()))


def content_type(ext: tuple[str, ...] = (), profile: tuple[str, ...] = ()) -> str:
    """The response Content-Type with the applied extensions and profiles."""
    value = MEDIA_TYPE
    if ext:
        value += f'; ext="{" ".join(ext)}"'
    if profile:
        value += f'; profile="{" ".join(profile)}"'
    return value


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_media_type(value: str) -> MediaType:
    """Parse ``type/subtype; name=value; name="quoted value"``."""
    mime, *raw_params = _split_outside_quotes(value, ";")
    params: dict[str, str] = {}
    for raw in raw_params:
        name, _, param_value = raw.partition("=")
        param_value = param_value.strip()
        if len(param_value) >= 2 and param_value[0] == param_value[-1] == '"':
            param_value = param_value[1:-1]
        params[name.strip().lower()] = param_value
    return MediaType(mime.strip().lower(), params)


@functools.lru_cache(maxsize=256)
def check_content_type(header: str | None, supported_ext: frozenset[str]) -> tuple[str, ...]:
    """Validate a request body's Content-Type; return the extensions it uses (CN-7, CN-8)."""
    if not header:
        raise UnsupportedMediaType(
            {"header": "Content-Type"}, f"A request body must be sent as {MEDIA_TYPE}."
        )
    media = parse_media_type(header)
    if media.mime != MEDIA_TYPE:
        raise UnsupportedMediaType(
            {"header": "Content-Type"},
            f"Content-Type must be {MEDIA_TYPE}, not {media.mime}.",
        )
    unknown = set(media.params) - ALLOWED_PARAMETERS
    if unknown:
        raise UnsupportedMediaType(
            {"header": "Content-Type"},
            f"Media type parameters other than ext and profile are not allowed: "
            f"{', '.join(sorted(unknown))}.",
        )
    unsupported = [uri for uri in media.ext if uri not in supported_ext]
    if unsupported:
        raise UnsupportedMediaType(
            {"header": "Content-Type"},
            f"Unsupported extension: {' '.join(unsupported)}.",
        )
    return media.ext


@functools.lru_cache(maxsize=256)
def negotiate_accept(header: str | None, supported_ext: frozenset[str]) -> tuple[str, ...]:
    """Choose the extensions for the response from ``Accept`` (CN-10..CN-14, CN-18).

    Returns the extensions of the best usable JSON:API entry, ``()`` when the client
    accepts the plain media type or sent no JSON:API entry at all; raises 406 when every
    JSON:API entry is unusable.
    """
    if not header:
        return ()
    candidates = []
    saw_jsonapi = False
    for raw in _split_outside_quotes(header, ","):
        if not raw.strip():
            continue
        media = parse_media_type(raw)
        if media.mime != MEDIA_TYPE:
            continue
        saw_jsonapi = True
        params = set(media.params) - {"q"}
        if params - ALLOWED_PARAMETERS:
            continue
        if media.quality <= 0 or any(uri not in supported_ext for uri in media.ext):
            continue
        candidates.append(media)
    if candidates:
        best = max(candidates, key=lambda m: (m.quality, "q" not in m.params, len(m.ext)))
        return best.ext
    if saw_jsonapi:
        raise NotAcceptable(
            {"header": "Accept"},
            f"No acceptable {MEDIA_TYPE} media type: every instance carries media type "
            "parameters or extensions this server does not support.",
        )
    return ()
