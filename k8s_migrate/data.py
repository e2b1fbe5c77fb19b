"""Where the package's data (``mappings/``) lives: inside the wheel, or beside a source checkout; and where the
user's caches go."""

from __future__ import annotations

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
        return parse_json(fh.read())


def parse_json(text: str) -> Any:
    """``json.loads(text)``, read by the C scanner json's decoder reads with, without the json package around it
    (importing it was 2% of a one-file toml run); a text the scanner does not read whole goes to json.loads, for
    its error."""
    scan = _json_scanner()
    if scan is not None:
        start = len(text) - len(text.lstrip(_JSON_SPACE))
        try:
            value, end = scan(text, start)
        except (StopIteration, ValueError):
            pass
        else:
            if not text[end:].strip(_JSON_SPACE):
                return value
    import json

    return json.loads(text)


_JSON_SPACE = " \t\n\r"


class _JsonDefaults:
    """The settings json's C scanner reads from the decoder it serves: json.JSONDecoder()'s."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


@lru_cache(maxsize=1)
def _json_scanner() -> Any:
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - an interpreter without CPython's accelerator modules
        return None
    return make_scanner(_JsonDefaults())  # type: ignore[arg-type]  # json passes its decoder: these are all it reads


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
