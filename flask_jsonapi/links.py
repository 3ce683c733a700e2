"""Links of a response: resource ``self``, relationship ``self``/``related``, pagination."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import flask

from .query.model import Page
from .registry import Registry

_ID = "__jsonapi_id__"
_REL = "__jsonapi_rel__"


class LinkBuilder:
    """Builds links for one request; each endpoint's URL is resolved once, then formatted."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._templates: dict[tuple[str, str], Any] = {}

    def _template(self, type_: str, kind: str) -> list[str] | None:
        key = (type_, kind)
        if key not in self._templates:
            entry = self._registry.get(type_)
            endpoint = getattr(entry, f"{kind}_endpoint", None) if entry else None
            template = None
            if endpoint:
                values = {"id": _ID}
                if kind != "detail":
                    values["relationship"] = _REL
                template = flask.url_for(endpoint, _external=True, **values)
            self._templates[key] = template
        return self._templates[key]

    def resource(self, type_: str, id_: str) -> str | None:
        template = self._template(type_, "detail")
        return template.replace(_ID, quote(id_, safe="")) if template else None

    def relationship(self, type_: str, id_: str, member: str) -> dict[str, str] | None:
        self_template = self._template(type_, "relationship")
        if not self_template:
            return None
        related_template = self._template(type_, "related")
        quoted = quote(id_, safe="")
        return {
            "self": self_template.replace(_ID, quoted).replace(_REL, member),
            "related": related_template.replace(_ID, quoted).replace(_REL, member),
        }


def pagination_links(page: Page, total: int | None, count_on_page: int) -> dict[str, Any]:
    """``self``, ``first``, ``prev``, ``next``, ``last`` for a page (PAG-*), other params kept."""
    request = flask.request
    base = request.base_url
    args = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("page[")]

    def link(offset: int) -> str:
        if page.style == "offset":
            page_args = [("page[offset]", str(offset)), ("page[limit]", str(page.size))]
        else:
            number = offset // page.size + 1
            page_args = [("page[number]", str(number)), ("page[size]", str(page.size))]
        return f"{base}?{urlencode(args + page_args)}"

    has_next = count_on_page >= page.size if total is None else page.offset + page.size < total
    last_offset = None
    if total is not None:
        last_offset = max(0, (total - 1) // page.size * page.size)
    return {
        "self": link(page.offset),
        "first": link(0),
        "prev": link(max(0, page.offset - page.size)) if page.offset > 0 else None,
        "next": link(page.offset + page.size) if has_next else None,
        "last": link(last_offset) if last_offset is not None else None,
    }


def request_url() -> str:
    """The URL of this request, percent-encoded (``request.url`` keeps brackets raw)."""
    request = flask.request
    query = urlencode(list(request.args.items(multi=True)))
    return f"{request.base_url}?{query}" if query else request.base_url
