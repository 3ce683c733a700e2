"""The query language: include, fields, sort, page and filter -> one typed query object."""

from .config import QueryConfig
from .model import (
    EXPRESSION_KEY,
    FilterExpression,
    FilterKey,
    IncludeNode,
    Page,
    ResourceQuery,
    SortKey,
)
from .parser import check_parameter_names, parse_query

__all__ = [
    "EXPRESSION_KEY",
    "FilterExpression",
    "FilterKey",
    "IncludeNode",
    "Page",
    "QueryConfig",
    "ResourceQuery",
    "SortKey",
    "check_parameter_names",
    "parse_query",
]
