"""Serve the OpenAPI document (``JSONAPI_OPENAPI_URL``, default ``/openapi.json``) and an
interactive docs page (``JSONAPI_DOCS_URL``, default ``/docs``): Swagger UI, whose
assets come from the ``flask-swagger-ui`` package (the ``docs-ui`` extra), never a CDN.

Both URLs lie under the Api's Blueprint prefix; ``None`` (or ``""``) turns either off.
"""

from __future__ import annotations

import logging
from typing import Any

import flask
import orjson

from .document import openapi_document

__all__ = ["DEFAULT_DOCS_URL", "DEFAULT_OPENAPI_URL", "install"]

DEFAULT_OPENAPI_URL = "/openapi.json"
DEFAULT_DOCS_URL = "/docs"
logger = logging.getLogger("flask_jsonapi")


def install(api: Any, app: flask.Flask, prefix: str) -> None:
    """Add the document's route (and the docs page's) for ``api`` to ``app``."""
    url = app.config.get("JSONAPI_OPENAPI_URL", DEFAULT_OPENAPI_URL)
    if not url:
        return
    suffix = f"_{api.app.name}" if isinstance(api.app, flask.Blueprint) else ""
    endpoint = f"jsonapi_openapi{suffix}"
    if endpoint in app.view_functions:  # a second Api with the same name: the first keeps it
        return
    document_url = prefix + url
    built: list[bytes] = []  # built on the first request, once every route is registered

    def serve_openapi() -> flask.Response:
        if not built:
            built.append(orjson.dumps(openapi_document(api), option=orjson.OPT_NON_STR_KEYS))
        return flask.Response(built[0], content_type="application/json")

    app.add_url_rule(document_url, endpoint, serve_openapi, methods=["GET"])
    docs_url = app.config.get("JSONAPI_DOCS_URL", DEFAULT_DOCS_URL)
    if docs_url:
        _install_docs(app, prefix + docs_url, document_url, f"jsonapi_docs{suffix}")


def _install_docs(app: flask.Flask, docs_url: str, document_url: str, name: str) -> None:
    try:
        from flask_swagger_ui import get_swaggerui_blueprint
    except ImportError:
        if "JSONAPI_DOCS_URL" in app.config:
            raise RuntimeError(
                "JSONAPI_DOCS_URL needs Swagger UI: pip install 'flask-jsonapi[docs-ui]'"
            ) from None
        logger.debug("flask-swagger-ui is not installed: no docs page at %s", docs_url)
        return
    info = app.config.get("JSONAPI_OPENAPI_INFO", {})
    config = {
        "app_name": f"{info.get('title', app.name)} - API docs",
        "layout": "BaseLayout",
        "deepLinking": True,
        "displayRequestDuration": True,
    }
    app.register_blueprint(
        get_swaggerui_blueprint(docs_url.rstrip("/"), document_url, config, blueprint_name=name)
    )
