"""OpenAPI 3.1 for an :class:`~flask_jsonapi.Api`: the document (apispec), its route and
an interactive docs page. Needs the ``openapi`` extra (apispec); the page, ``docs-ui``.
"""

from .document import openapi_document
from .serving import install

__all__ = ["install", "openapi_document"]
