"""Validate documents against the JSON:API JSON Schemas bundled in ``schemas/``.

The schema files are data, copied unchanged from the jsonapi.org repository (CC0; see
``schemas/README.md``): ``1.0/`` holds the official 1.0 schemas, ``1.1/`` those of the
unmerged json-api pull request #1603 (``lid``, ``jsonapi.ext``/``profile``, ``@``-members).
This module needs the ``testing`` extra (``pip install 'flask-jsonapi[testing]'``:
jsonschema and referencing).

Two fixes are applied in memory when the files are loaded, because the schemas were
written for ajv and python-jsonschema reads two constructs differently:

1. ``"patternProperties": {"": ...}`` -- python-jsonschema's ``additionalProperties``
   check ignores an empty pattern, so every attribute, relationship and meta member
   would be reported as an additional property. The key ``""`` is renamed to ``"^"``,
   which matches every string as well.
2. The draft-07 keyword ``"dependencies"`` is ignored by ``Draft202012Validator``. It is
   rewritten into ``dependentRequired`` (array values) and ``dependentSchemas`` (schema
   values). Without this, ``data`` + ``errors`` together and ``included`` without
   ``data`` would pass.

Both fixes are applied recursively, but only where the key is a schema keyword (a
property *named* ``dependencies`` inside ``properties`` is left alone).

Formats are asserted (``format_checker=Draft202012Validator.FORMAT_CHECKER``), as the
upstream fixtures expect (e.g. ``invalid/links/link_must_be_valid_uri.json``). The schemas
use ``"format": "uri"`` for links, so links must be *absolute* URIs with reserved
characters percent-encoded: ``http://localhost/articles?page%5Bnumber%5D=2`` passes,
``/articles/1`` and ``...?page[number]=2`` do not. (JSON:API 1.1 itself allows URI
references; the schema is stricter.)

A schema checks only the shape of a document. It cannot check full linkage, uniqueness
of type + id in ``included``, sparse fieldsets or any HTTP-level rule.
"""

from __future__ import annotations

import copy
import functools
import json
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError, relevance
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "Validating JSON:API documents needs jsonschema and referencing: "
        "pip install 'flask-jsonapi[testing]'"
    ) from exc

#: The bundled schemas (a directory of the installed package).
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

#: ``version`` argument -> sub-directory of the schema directory.
VERSION_DIRS = {"1.0": "1.0", "1.1": "1.1"}

#: ``kind`` argument -> schema file name.
SCHEMA_FILES = {
    "response": "schema.json",
    "create": "schema_create_resource.json",
    "update": "schema_update_resource.json",
    "update_relationship": "schema_update_relationship.json",
}
REQUEST_KINDS = ("create", "update", "update_relationship")

#: Names of the load-time fixes, for :func:`fix_schema` and :func:`get_validator`.
FIX_PATTERN_PROPERTIES = "pattern_properties"
FIX_DEPENDENCIES = "dependencies"
ALL_FIXES = frozenset({FIX_PATTERN_PROPERTIES, FIX_DEPENDENCIES})

ATOMIC_OPERATIONS = "atomic:operations"
ATOMIC_RESULTS = "atomic:results"

# Draft 2020-12 keywords whose value is a subschema, a list of subschemas or a map of
# name -> subschema. Everything else (enum, const, default, required, ...) is data and
# is not walked into.
_SCHEMA_KEYWORDS = frozenset(
    {
        "additionalItems",
        "additionalProperties",
        "contains",
        "contentSchema",
        "else",
        "if",
        "items",
        "not",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"}
)

_MAX_MESSAGE = 300
_MAX_SUBERRORS = 5


class SchemaNotFoundError(FileNotFoundError):
    """The JSON:API schema directory or one of its files is missing."""


def schema_dir() -> Path:
    """The directory holding the bundled ``1.0/`` and ``1.1/`` schemas."""
    return SCHEMA_DIR


def version_dir(version: str, base: Path | None = None) -> Path:
    """The directory of the schemas for ``version`` (``'1.0'`` or ``'1.1'``)."""
    try:
        sub = VERSION_DIRS[version]
    except KeyError:
        raise ValueError(
            f"unknown JSON:API schema version {version!r}; expected one of {sorted(VERSION_DIRS)}"
        ) from None
    return (base if base is not None else schema_dir()) / sub


# --------------------------------------------------------------------------- fixes


def fix_schema(schema: Any, fixes: Iterable[str] = ALL_FIXES) -> Any:
    """Return a fixed deep copy of ``schema`` (the original is not modified).

    ``fixes`` selects which of :data:`FIX_PATTERN_PROPERTIES` and :data:`FIX_DEPENDENCIES`
    to apply (both by default).
    """
    fixes = frozenset(fixes)
    unknown = fixes - ALL_FIXES
    if unknown:
        raise ValueError(f"unknown schema fixes: {sorted(unknown)}")
    return _fix_subschema(copy.deepcopy(schema), fixes)


def _fix_subschema(schema: Any, fixes: frozenset[str]) -> Any:
    if not isinstance(schema, dict):  # boolean schemas
        return schema

    if FIX_DEPENDENCIES in fixes and "dependencies" in schema:
        _rewrite_dependencies(schema)

    if FIX_PATTERN_PROPERTIES in fixes and isinstance(schema.get("patternProperties"), dict):
        patterns = schema["patternProperties"]
        if "" in patterns:
            if "^" in patterns:
                raise ValueError('patternProperties has both "" and "^"; cannot rename ""')
            # Rebuild to keep the key order stable (cosmetic only).
            schema["patternProperties"] = {
                ("^" if key == "" else key): value for key, value in patterns.items()
            }

    for keyword, value in schema.items():
        if keyword in _SCHEMA_KEYWORDS:
            schema[keyword] = _fix_subschema(value, fixes)
        elif keyword in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            schema[keyword] = [_fix_subschema(item, fixes) for item in value]
        elif keyword in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            schema[keyword] = {name: _fix_subschema(sub, fixes) for name, sub in value.items()}
    return schema


def _rewrite_dependencies(schema: dict[str, Any]) -> None:
    """Move draft-07 ``dependencies`` into ``dependentRequired`` / ``dependentSchemas``."""
    dependencies = schema.pop("dependencies")
    if not isinstance(dependencies, dict):
        raise ValueError(f"unexpected 'dependencies' value: {dependencies!r}")
    for name, dependency in dependencies.items():
        target = "dependentRequired" if isinstance(dependency, list) else "dependentSchemas"
        bucket = schema.setdefault(target, {})
        if name in bucket:
            raise ValueError(f"{target} already has an entry for {name!r}")
        bucket[name] = dependency


# ------------------------------------------------------------------------- loading


def load_schemas(
    version: str, fixes: Iterable[str] = ALL_FIXES, base: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Load the four schema files of ``version`` keyed by kind (see :data:`SCHEMA_FILES`)."""
    directory = version_dir(version, base)
    schemas = {}
    for kind, filename in SCHEMA_FILES.items():
        path = directory / filename
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SchemaNotFoundError(f"JSON:API schema file not found: {path}") from None
        schemas[kind] = fix_schema(json.loads(text), fixes)
    return schemas


@functools.cache
def _validators(base: Path, version: str, fixes: frozenset[str]) -> dict[str, Draft202012Validator]:
    schemas = load_schemas(version, fixes, base)
    registry: Registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas.values()
    )
    validators = {}
    for kind, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        validators[kind] = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return validators


def get_validator(
    kind: str = "response", version: str = "1.1", fixes: Iterable[str] = ALL_FIXES
) -> Draft202012Validator:
    """A (cached) validator for ``kind`` (``response`` or a request kind)."""
    if kind not in SCHEMA_FILES:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {list(SCHEMA_FILES)}")
    version_dir(version)  # validates ``version``
    return _validators(schema_dir(), version, frozenset(fixes))[kind]


# ---------------------------------------------------------------------- validation


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _format_error(error: ValidationError) -> str:
    lines = [f"at {error.json_path}: {_short(error.message)}"]
    if error.context:
        # anyOf / oneOf: show the most relevant reasons why the branches failed.
        context = sorted(error.context, key=relevance, reverse=True)
        for sub in context[:_MAX_SUBERRORS]:
            lines.append(f"    - at {sub.json_path}: {_short(sub.message)}")
        if len(context) > _MAX_SUBERRORS:
            lines.append(f"    - ... ({len(context) - _MAX_SUBERRORS} more)")
    return "\n".join(lines)


def _errors(validator: Draft202012Validator, document: Any) -> list[str]:
    """One readable (possibly multi-line) string per validation error."""
    errors = validator.iter_errors(document)
    return [
        _format_error(error)
        for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))
    ]


def _raise(errors: list[str], what: str, document: Any) -> None:
    if not errors:
        return
    try:
        dumped = json.dumps(document, indent=2, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # pragma: no cover - defensive
        dumped = repr(document)
    if len(dumped) > 4000:
        dumped = dumped[:4000] + "\n... (truncated)"
    listing = "\n".join(textwrap.indent(error, "  ") for error in errors)
    raise AssertionError(
        f"{what} is not a valid JSON:API document ({len(errors)} error(s)):\n"
        f"{listing}\ndocument:\n{dumped}"
    )


def is_atomic_document(document: Any) -> bool:
    """Whether ``document`` is an Atomic Operations document (request or response)."""
    return isinstance(document, Mapping) and (
        ATOMIC_OPERATIONS in document or ATOMIC_RESULTS in document
    )


def _atomic_errors(document: Mapping[str, Any], version: str) -> list[str]:
    """Checks for Atomic Operations documents, which no official schema covers.

    Only the root being an object, ``atomic:operations`` / ``atomic:results`` being
    arrays of objects, and each result's ``data`` (validated as the primary data of a
    response document ``{"data": ...}``) are checked.
    """
    errors: list[str] = []
    for member in (ATOMIC_OPERATIONS, ATOMIC_RESULTS):
        if member in document and not isinstance(document[member], list):
            errors.append(f"at $['{member}']: must be an array")
    for index, operation in enumerate(document.get(ATOMIC_OPERATIONS) or []):
        if not isinstance(operation, dict):
            errors.append(f"at $['{ATOMIC_OPERATIONS}'][{index}]: must be an object")
    results = document.get(ATOMIC_RESULTS)
    for index, result in enumerate(results if isinstance(results, list) else []):
        where = f"$['{ATOMIC_RESULTS}'][{index}]"
        if not isinstance(result, dict):
            errors.append(f"at {where}: must be an object")
            continue
        if "data" in result:
            for line in response_errors({"data": result["data"]}, version):
                errors.append(f"in {where} (as {{'data': ...}}): {line}")
    return errors


def response_errors(document: Any, version: str = "1.1") -> list[str]:
    """All validation problems of a response document, as readable lines (empty if valid).

    Atomic Operations documents get the reduced check of :func:`_atomic_errors`.
    """
    if is_atomic_document(document):
        return _atomic_errors(document, version)
    return _errors(get_validator("response", version), document)


def request_errors(document: Any, kind: str, version: str = "1.1") -> list[str]:
    """All validation problems of a request document of ``kind`` (empty if valid)."""
    if kind not in REQUEST_KINDS:
        raise ValueError(f"unknown request kind {kind!r}; expected one of {list(REQUEST_KINDS)}")
    return _errors(get_validator(kind, version), document)


def validate_response(document: Any, version: str = "1.1") -> None:
    """Raise :class:`AssertionError` listing every problem if ``document`` is invalid.

    ``version='1.1'`` (default) uses the 1.1 schema of json-api PR #1603 (``jsonapi.ext``
    and ``jsonapi.profile`` arrays, ``lid``, ``@``-members); ``'1.0'`` the 1.0 schema.
    """
    _raise(response_errors(document, version), f"JSON:API {version} response", document)


def validate_request(document: Any, kind: str, version: str = "1.1") -> None:
    """Raise :class:`AssertionError` if ``document`` is not a valid request body.

    ``kind`` is ``'create'`` (POST a resource), ``'update'`` (PATCH a resource) or
    ``'update_relationship'`` (PATCH/POST/DELETE a relationship URL).
    """
    _raise(
        request_errors(document, kind, version),
        f"JSON:API {version} {kind!r} request",
        document,
    )
