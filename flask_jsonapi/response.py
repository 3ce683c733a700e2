"""Response objects a hand-written handler may return (the original's names)."""

from __future__ import annotations

from typing import Any

import flask
import orjson

from .document import jsonapi_object
from .negotiation import MEDIA_TYPE


class BaseResponse:
    """A response with ``status`` and ``headers``; ``make_response`` gives the Flask one."""

    def __init__(self, headers: dict[str, str] | None = None, status: int | None = None) -> None:
        self.headers = dict(headers or {})
        self.status = status or 200

    def get_content(self) -> Any:
        raise NotImplementedError

    def make_response(self) -> flask.Response:
        content = self.get_content()
        body = b"" if content is None else orjson.dumps(content)
        response = flask.Response(body, status=self.status, content_type=MEDIA_TYPE)
        response.headers["Vary"] = "Accept"
        response.headers.update(self.headers)
        return response


class EmptyResponse(BaseResponse):
    def __init__(self, headers: dict[str, str] | None = None, status: int = 204) -> None:
        super().__init__(headers, status)

    def get_content(self) -> None:
        return None


class BaseJsonApiResponse(BaseResponse):
    def get_content(self) -> dict[str, Any]:
        return {**self.get_data(), "jsonapi": jsonapi_object()}

    def get_data(self) -> dict[str, Any]:
        raise NotImplementedError


class JsonApiResponse(BaseJsonApiResponse):
    def __init__(
        self, response_data: dict[str, Any], links: dict | None = None, headers=None, status=None
    ) -> None:
        super().__init__(headers, status)
        self.response_data = response_data
        self.links = links

    def get_data(self) -> dict[str, Any]:
        data = dict(self.response_data)
        if self.links:
            data["links"] = self.links
        return data


class JsonApiListResponse(JsonApiResponse):
    def get_data(self) -> dict[str, Any]:
        data = super().get_data()
        data.setdefault("meta", {"count": len(data.get("data", []))})
        return data


class JsonApiErrorResponse(BaseJsonApiResponse):
    def __init__(self, *errors: dict[str, Any], headers=None, status: int = 500) -> None:
        super().__init__(headers, status)
        self.errors = list(errors)

    def get_data(self) -> dict[str, Any]:
        return {"errors": [{**e, "status": str(e.get("status", self.status))} for e in self.errors]}
