"""What differs between marshmallow 3 (3.18+) and 4 and matters to the library, in one place.

flask-jsonapi 1.x pinned ``marshmallow>=3,<4`` and its users' schemas are written for it
(upstream ``marshmallow_jsonapi`` 0.24 imports only there); new schemas are written for
marshmallow 4. The library runs on both, and keeps its output the same on both.
"""

from __future__ import annotations

import importlib.metadata

import marshmallow
from marshmallow import fields as ma_fields

MARSHMALLOW_MAJOR: int = int(importlib.metadata.version("marshmallow").split(".")[0])
"""3 or 4: the major version of the installed marshmallow."""


def ordered_fields(schema: marshmallow.Schema) -> dict[str, ma_fields.Field]:
    """A schema instance's fields in declaration order.

    Before 3.20, marshmallow 3 builds ``Schema.fields`` through a ``set`` unless
    ``Meta.ordered`` is set, so its order changes from one process to the next (string
    hashing). Attributes are compiled in this order, and validation errors are sorted by it,
    so documents and error lists are the same on every version.
    """
    names = [name for name in schema.declared_fields if name in schema.fields]
    names += [name for name in schema.fields if name not in schema.declared_fields]
    return {name: schema.fields[name] for name in names}
