"""Where the package's data (``mappings/``) lives: inside the wheel, or beside a source checkout; and where the
user's caches go."""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache

TYPE_CHECKING = False  # pathlib is not imported on the one-file path (a twentieth of a toml run); mypy reads this
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MAPPINGS_ENV = "K8S_MIGRATE_MAPPINGS"


def mappings_dir() -> Path:
    """``$K8S_MIGRATE_MAPPINGS`` when set (a contributor's copy of the data), else the package's own."""
    from pathlib import Path

    return Path(mappings_root())


@lru_cache(maxsize=1)
def mappings_root() -> str:
    """``mappings_dir`` as a string (what the data cache and ``load_json`` open files under)."""
    override = os.environ.get(MAPPINGS_ENV)
    if override:
        if not os.path.isdir(override):
            sys.stderr.write(f"k8s-migrate: error: {MAPPINGS_ENV}={override}: not a folder\n")
            raise SystemExit(2)
        return os.path.realpath(override)
    here = os.path.dirname(os.path.realpath(__file__))
    for candidate in (os.path.join(here, "mappings"), os.path.join(os.path.dirname(here), "mappings")):
        if os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError("k8s-migrate's mappings/ data is missing from this installation")


@lru_cache(maxsize=None)
def load_json(relative: str) -> Any:
    with open(os.path.join(mappings_root(), relative), encoding="utf-8") as fh:
        return json.load(fh)


def cache_home() -> Path:
    """$XDG_CACHE_HOME, else ~/.cache; a one-line error for a user with neither (no HOME, no passwd entry)."""
    from pathlib import Path

    return Path(cache_root())


def cache_root() -> str:
    """``cache_home`` as a string."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return base
    home = os.path.expanduser("~")
    if home.startswith("~"):
        from .errors import UsageError

        raise UsageError("no cache folder: HOME is not set and this user has no home directory; "
                         "set XDG_CACHE_HOME") from None
    return os.path.join(home, ".cache")
