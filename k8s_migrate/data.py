"""Where the package's data (``mappings/``) lives: inside the wheel, or beside a source checkout."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def mappings_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "mappings", here.parent / "mappings"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("k8s-migrate's mappings/ data is missing from this installation")


@lru_cache(maxsize=None)
def load_json(relative: str) -> Any:
    with open(mappings_dir() / relative, encoding="utf-8") as fh:
        return json.load(fh)
