"""Which marshmallow the suite runs on, and marks for tests that need one major.

``make test`` runs the suite twice: in ``.venv`` (marshmallow 4, marshmallow-jsonapi-minfork)
and in ``.venv-mm3`` (marshmallow 3, upstream marshmallow-jsonapi 0.24), so a test skipped
in one environment runs in the other.
"""

from __future__ import annotations

import importlib.metadata

import pytest

from flask_jsonapi.schema.compat import MARSHMALLOW_MAJOR

only_marshmallow3 = pytest.mark.skipif(
    MARSHMALLOW_MAJOR != 3,
    reason="marshmallow-3 spelling (missing=, default=) is a TypeError under marshmallow 4; "
    "`make test` runs it in .venv-mm3",
)
only_marshmallow4 = pytest.mark.skipif(
    MARSHMALLOW_MAJOR != 4,
    reason="marshmallow-4 spelling (@validates with data_key) fails under marshmallow 3; "
    "`make test` runs it in .venv",
)


def schema_stack() -> str:
    """``marshmallow X.Y.Z`` and the distribution that provides ``marshmallow_jsonapi``."""
    parts = [f"marshmallow {importlib.metadata.version('marshmallow')}"]
    for name in importlib.metadata.packages_distributions().get("marshmallow_jsonapi", []):
        parts.append(f"{name} {importlib.metadata.version(name)}")
    return " + ".join(parts)
