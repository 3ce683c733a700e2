"""Links of a response: resource ``self``, relationship ``self``/``related``, pagination."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlencode

import flask

from .query.model import Page

if TYPE_CHECKING:  # links read the registry handed to them; they never import it
    from .registry import Registry

_ID = "__jsonapi_id__"
_REL = "__jsonapi_rel__"


class LinkBuilder:
    """Builds links for one request from URL templates resolved once per host and endpoint."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        request = flask.request._get_current_object()
        environ = request.environ
        key = (*_host_key(environ), environ.get("SCRIPT_NAME"))
        self._templates = registry.link_templates.setdefault(key, {})
        self._kits: dict[str, LinkKit] = {}
        # A type served by several view sets links its resources to the one serving this
        # request; other types to the first registered.
        self._endpoint = request.endpoint
        self._site = registry.site(self._endpoint)

    def _template(self, type_: str, kind: str) -> tuple[str, ...] | None:
        site = self._site
        if site is not None and site[0] == type_:
            endpoint = site[1].get(kind)
        else:
            entry = self._registry.get(type_)
            endpoint = getattr(entry, f"{kind}_endpoint", None) if entry else None
        key = (kind, endpoint)
        try:
            return self._templates[key]
        except KeyError:
            pass
        template = None
        if endpoint:
            if kind == "detail":
                url = flask.url_for(endpoint, _external=True, id=_ID)
                template = tuple(url.split(_ID))
            else:
                url = flask.url_for(endpoint, _external=True, id=_ID, relationship=_REL)
                before, after = url.split(_ID)
                template = (before, *after.split(_REL))
        self._templates[key] = template
        return template

    def kit(self, type_: str) -> LinkKit:
        """The link templates of one type, for writing many resources' links."""
        kit = self._kits.get(type_)
        if kit is None:
            # Kept with the templates (per host, until the registry changes): the endpoint
            # serving the request decides which view set's links a type gets.
            key = ("kit", type_, self._endpoint)
            kit = self._templates.get(key)
            if kit is None:
                kit = self._templates[key] = LinkKit(
                    self._template(type_, "detail"),
                    self._template(type_, "relationship"),
                    self._template(type_, "related"),
                )
            self._kits[type_] = kit
        return kit

    def relationship(self, type_: str, id_: str, member: str) -> dict[str, str] | None:
        """The ``self`` and ``related`` links of one relationship (``None``: no endpoint)."""
        heads = self.kit(type_).relationship_heads(quote_id(id_))
        if heads is None:
            return None
        self_head, self_tail, related_head, related_tail = heads
        return {
            "self": self_head + member + self_tail,
            "related": related_head + member + related_tail,
        }


class LinkKit(NamedTuple):
    """The URL templates of one type: ``detail`` is (before, after) the id; the
    relationship ones are (before the id, between id and member, after the member)."""

    detail: tuple[str, ...] | None
    relationship: tuple[str, ...] | None
    related: tuple[str, ...] | None

    def self_link(self, quoted_id: str) -> str | None:
        detail = self.detail
        return detail[0] + quoted_id + detail[1] if detail else None

    def relationship_heads(self, quoted_id: str) -> tuple[str, str, str, str] | None:
        """Relationship links of one resource as ``(self head, self tail, related head,
        related tail)``: a member's link is head + member + tail (``None``: no links)."""
        if not self.relationship:
            return None
        s_before, s_mid, s_after = self.relationship
        r_before, r_mid, r_after = self.related
        return s_before + quoted_id + s_mid, s_after, r_before + quoted_id + r_mid, r_after


def quote_id(id_: str) -> str:
    """An id as a URL path segment."""
    # Most ids are digits or letters, which need no quoting; quote() is slow.
    return id_ if id_.isascii() and id_.isalnum() else quote(id_, safe="")


def pagination_links(
    page: Page,
    total: int | None,
    count_on_page: int,
    *,
    more: bool | None = None,
    cursors: tuple[str, str] | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """``self``, ``first``, ``prev``, ``next``, ``last`` for a page (PAG-*), ``null`` where
    there is none, the other query parameters kept. ``more``: whether items follow (precede,
    for ``page[before]``), when it was probed; ``cursors``: of the first and last item.
    ``url``: the links of a ``GET`` of that URL (no parameters) instead of this request."""
    request = flask.request
    base = base_url(request) if url is None else url
    args = [
        (k, v)
        for k, v in (request.args.items(multi=True) if url is None else ())
        if not k.startswith("page[") or k == "page[count]"
    ]

    kept = urlencode(args) + "&" if args else ""
    # What urlencode() makes of these names and of integers, written out: a page link costs
    # string concatenation only (urlencode is some 25 calls a link).
    if page.style == "cursor":
        return _cursor_links(page, more, cursors, f"{base}?{kept}page%5Bsize%5D={page.size}")
    if page.style == "offset":
        head, middle, tail = f"{base}?{kept}page%5Boffset%5D=", "&page%5Blimit%5D=", page.size
    else:
        head, middle, tail = f"{base}?{kept}page%5Bnumber%5D=", "&page%5Bsize%5D=", page.size

    def link(offset: int) -> str:
        value = offset if page.style == "offset" else offset // page.size + 1
        return f"{head}{value}{middle}{tail}"

    if more is not None:
        has_next = more
    elif total is None:
        has_next = count_on_page >= page.size
    else:
        has_next = page.offset + page.size < total
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


def _cursor_links(
    page: Page, more: bool | None, cursors: tuple[str, str] | None, first: str
) -> dict[str, Any]:
    """Links of the Cursor Pagination profile: ``prev``/``next`` from the first and last
    item's cursors; ``null`` where it is known that nothing precedes or follows. ``first``
    is the first page's link; a cursor (URL-safe base64, ``encode_cursor``) needs no
    quoting."""
    head, tail = cursors or (None, None)
    before = f"{first}&page%5Bbefore%5D={head}" if head else None
    after = f"{first}&page%5Bafter%5D={tail}" if tail else None
    if page.before is not None:
        prev, next_ = (before if more else None), after
    elif page.after is not None:
        prev, next_ = before, (after if more else None)
    else:
        prev, next_ = None, (after if more else None)
    return {"self": request_url(), "first": first, "prev": prev, "next": next_, "last": None}


# A query string of distinct ``name=value`` pairs made of these characters is what
# urlencode() writes of its own arguments, but for the three characters it quotes.
_PLAIN_PAIR = r"[A-Za-z0-9_.~\-\[\],]+=[A-Za-z0-9_.~\-\[\],]*"
_PLAIN_QUERY = re.compile(rf"{_PLAIN_PAIR}(?:&{_PLAIN_PAIR})*")


def request_url() -> str:
    """The URL of this request, percent-encoded (``request.url`` keeps brackets raw): its
    parameters as ``urlencode()`` writes them."""
    request = flask.request._get_current_object()
    base = base_url(request)
    raw = request.query_string
    if not raw:  # args is empty: not parsed for nothing
        return base
    query = raw.decode("latin-1")
    args = request.args
    # The common query, written out as urlencode() would (it is some 10 calls a parameter);
    # a name sent twice is not: args groups its values.
    if _PLAIN_QUERY.fullmatch(query) and query.count("&") + 1 == len(args):
        query = query.replace("[", "%5B").replace("]", "%5D").replace(",", "%2C")
    else:
        query = urlencode(list(args.items(multi=True)))
    return f"{base}?{query}" if query else base


def _host_key(environ: dict[str, Any]) -> tuple[Any, ...]:
    # The raw environ values that decide scheme and host; request.host_url decodes them.
    # Exactly those werkzeug reads: a header it ignores (X-Forwarded-Host, which only a
    # ProxyFix turns into Host) would let one client's Host set the links of the others.
    return (
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
    )


_SAFE_PATH = re.compile(r"^[A-Za-z0-9/_.~-]*$")
_HOST_URLS: dict[tuple[Any, ...], str] = {}


def base_url(request: Any) -> str:
    """The request's URL without its query: ``request.base_url``, but percent-encoded (a
    URI, not werkzeug's IRI), with ``scheme://host`` computed once per host.

    With ``JSONAPI_ORIGINAL_PATH_HEADER`` set, an ``X-Original-Path`` header (the path a
    reverse proxy received) replaces the path, as in the original flask-jsonapi."""
    environ = request.environ
    original = environ.get("HTTP_X_ORIGINAL_PATH")
    if original is not None and flask.current_app.config.get("JSONAPI_ORIGINAL_PATH_HEADER"):
        path = _original_path(original)
        if path is not None:
            return _host_url(request, environ) + path
    script, path = environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", "")
    if not (_SAFE_PATH.match(script) and _SAFE_PATH.match(path)):
        # Not request.base_url: it leaves a "%" as it is and decodes non-ASCII characters
        # (an IRI), and a link must be a URI.
        script, path = _quote_path(script), _quote_path(path)
    host = _host_url(request, environ)
    return f"{host}{script.rstrip('/')}/{path.lstrip('/')}"


def _quote_path(value: str) -> str:
    """A WSGI path (its bytes decoded as latin-1, PEP 3333) percent-encoded."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:  # a server that decoded the path otherwise
        raw = value.encode()
    return quote(raw, safe="/!$&'()*+,:;=@-._~")


def _host_url(request: Any, environ: dict[str, Any]) -> str:
    """``scheme://host`` of the request, computed once per host."""
    key = _host_key(environ)
    host = _HOST_URLS.get(key)
    if host is None:
        host = request.host_url.rstrip("/")  # validates the host (trusted_hosts) once
        if len(_HOST_URLS) > 64:
            _HOST_URLS.clear()
        _HOST_URLS[key] = host
    return host


def _original_path(value: str) -> str | None:
    """The path of an ``X-Original-Path`` header, percent-encoded; ``None`` (ignored) for
    what is not an absolute path: a scheme or ``//host`` must not move links off-site."""
    path = value.split("?", 1)[0].split("#", 1)[0].strip()
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return quote(path, safe="/%:@!$&'()*+,;=-._~")
