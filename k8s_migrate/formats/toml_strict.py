"""tomllib's reading of a TOML text, once per process: detection (the kind of a file, its version, whether it
is a fragment) and the rebase reader all read the same file, and a 10 MB file takes seconds to parse.
Light on purpose (no tomlkit): a values run calls it through detection too."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=2)
def strict_reading(text: str) -> dict[str, Any]:
    """The values of ``text`` as tomllib reads them, shared by every caller: nobody may edit them.
    Raises as tomllib does (an error is not cached)."""
    return tomllib.loads(text)
