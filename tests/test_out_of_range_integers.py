"""Integers beyond 64 bits (found by schemathesis against the demo): a filter value is a
400 that names its parameter, an attribute value a 422, never a 500, and nothing is stored.

SQLite's driver cannot even send such a number (``OverflowError``); PostgreSQL reports it
as a data error. Either way the client gets an error document.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from examples.blog.models import Article

HUGE = 2**70


@pytest.mark.parametrize(
    "query",
    [
        f"filter[id]={HUGE}",
        f"filter[views][gt]={HUGE}",
        f"filter[views][in]=1,{HUGE}",
        f"filter[author][id]={HUGE}",
    ],
)
def test_filter_value_beyond_64_bits_is_400(client, query):
    parameter = query.split("=")[0]
    response = client.get(f"/articles?{query}")
    assert response.status_code == 400, response.json
    (error,) = response.json["errors"]
    assert error["source"] == {"parameter": parameter}
    assert "out of range" in error["detail"]


def test_filter_value_at_64_bits_limit_is_accepted(client, article_id):
    response = client.get(f"/articles?filter[views][lt]={2**63 - 1}")
    assert response.status_code == 200
    assert [item["id"] for item in response.json["data"]] == [str(article_id)]


def test_create_with_attribute_beyond_64_bits_is_422(client, db_session):
    body = {"data": {"type": "articles", "attributes": {"title": "Big", "views": HUGE}}}
    response = client.post("/articles", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"][0]["source"] == {"pointer": "/data"}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_update_with_attribute_beyond_64_bits_is_422(client, db_session, article_id):
    body = {"data": {"type": "articles", "id": str(article_id), "attributes": {"views": HUGE}}}
    response = client.patch(f"/articles/{article_id}", json=body)
    assert response.status_code == 422, response.json
    db_session.remove()
    assert db_session.get(Article, article_id).views == 3
