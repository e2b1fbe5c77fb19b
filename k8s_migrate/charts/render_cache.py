"""What reading a chart for a render costs, kept between runs: the chart's metadata, its values typed as Helm
types them, and the parse of every text in it that holds a template action, in the user's cache directory
($XDG_CACHE_HOME/k8s-migrate/renders/). An entry is named by a hash of the chart's folder and one of its files
and of the code that reads them (charts/render.py, charts/gotemplate/), so an edited chart or a new release never
reads an old entry; writing an entry removes the older ones of the same folder. Nothing depends on the cache being
there: a run that cannot read or write it reads the chart itself.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..datacache import cache_dir as cache_folder
from ..datacache import read_entry, write_entry

try:  # what hashlib.blake2b and pickle.loads/dumps are, without the modules around them (OpenSSL, the Python pickler)
    from _blake2 import blake2b
    from _pickle import dumps, loads
except ImportError:  # pragma: no cover - an interpreter without CPython's accelerator modules
    from hashlib import blake2b
    from pickle import dumps, loads

if TYPE_CHECKING:
    from pathlib import Path

KIND = "renders"


def cache_dir() -> Path | None:
    from pathlib import Path  # here: a render reads and writes its entries without pathlib

    folder = cache_folder(KIND)
    return None if folder is None else Path(folder)


@lru_cache(maxsize=1)
def code_stamp() -> bytes:
    from .. import __version__

    here = os.path.dirname(os.path.realpath(__file__))
    engine = os.path.join(here, "gotemplate")  # listed, not globbed: a glob compiles its pattern on every run
    parts = [sys.version, __version__]
    for source in sorted([os.path.join(here, "render.py"),
                          *(os.path.join(engine, name) for name in os.listdir(engine) if name.endswith(".py"))]):
        stat = os.stat(source)
        parts.append(f"{os.path.basename(source)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts).encode()


def entry_key(folder: str, contents: dict[str, bytes]) -> str:
    """``<folder hash>-<hash of the files and the code>``: one folder's entries share their first part."""
    digest = blake2b(code_stamp(), digest_size=20)
    for relative in sorted(contents):
        data = contents[relative]
        digest.update(f"\0{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return f"{_folder_tag(folder)}-{digest.hexdigest()}"


def _folder_tag(folder: str) -> str:
    return blake2b(str(folder).encode(), digest_size=8).hexdigest()


def read(key: str) -> Any | None:
    blob = read_entry(f"{key}.pickle", KIND)
    if blob is None:
        return None
    try:
        return loads(blob)
    except Exception:  # noqa: BLE001 - cut short or from other code: read the chart instead
        return None


def write(key: str, entry: Any) -> None:
    try:
        blob = dumps(entry, -1)
    except Exception:  # noqa: BLE001 - a value pickle cannot keep: no entry
        return
    write_entry(f"{key}.pickle", blob, KIND)
