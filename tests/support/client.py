"""The suite's test client: the library's own :class:`flask_jsonapi.testing.JsonApiClient`.

It sends and accepts the JSON:API media type and validates every JSON:API response
against the bundled schemas (see :mod:`flask_jsonapi.testing.client`).
"""

from flask_jsonapi.testing.client import JSONAPI_MEDIA_TYPE, JsonApiClient

__all__ = ["JSONAPI_MEDIA_TYPE", "JsonApiClient"]
