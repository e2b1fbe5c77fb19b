"""Where the package's data (``mappings/``) lives: inside the wheel, or beside a source checkout; and where the
user's caches go."""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

MAPPINGS_ENV = "K8S_MIGRATE_MAPPINGS"


@lru_cache(maxsize=1)
def mappings_dir() -> Path:
    """``$K8S_MIGRATE_MAPPINGS`` when set (a contributor's copy of the data), else the package's own."""
    override = os.environ.get(MAPPINGS_ENV)
    if override:
        if not Path(override).is_dir():
            sys.stderr.write(f"k8s-migrate: error: {MAPPINGS_ENV}={override}: not a folder\n")
            raise SystemExit(2)
        return Path(override).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here / "mappings", here.parent / "mappings"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("k8s-migrate's mappings/ data is missing from this installation")


@lru_cache(maxsize=None)
def load_json(relative: str) -> Any:
    with open(mappings_dir() / relative, encoding="utf-8") as fh:
        return json.load(fh)


def cache_home() -> Path:
    """$XDG_CACHE_HOME, else ~/.cache; a one-line error for a user with neither (no HOME, no passwd entry)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base)
    try:
        return Path.home() / ".cache"
    except RuntimeError:
        from .errors import UsageError

        raise UsageError("no cache folder: HOME is not set and this user has no home directory; "
                         "set XDG_CACHE_HOME") from None
