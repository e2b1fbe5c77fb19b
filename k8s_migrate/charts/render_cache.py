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
from pathlib import Path
from typing import Any

from ..datacache import owned_by_us

try:  # what hashlib.blake2b and pickle.load/dump are, without the modules around them (OpenSSL, the Python pickler)
    from _blake2 import blake2b
    from _pickle import dump, load
except ImportError:  # pragma: no cover - an interpreter without CPython's accelerator modules
    from hashlib import blake2b
    from pickle import dump, load


def cache_dir() -> Path | None:
    from ..data import cache_home
    from ..errors import UsageError

    try:
        return cache_home() / "k8s-migrate" / "renders"
    except UsageError:  # no cache folder: every run reads the chart
        return None


@lru_cache(maxsize=1)
def code_stamp() -> bytes:
    from .. import __version__

    here = Path(__file__).resolve().parent
    parts = [sys.version, __version__]
    for source in sorted([here / "render.py", *(here / "gotemplate").glob("*.py")]):
        stat = source.stat()
        parts.append(f"{source.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts).encode()


def entry_key(folder: Path, contents: dict[str, bytes]) -> str:
    """``<folder hash>-<hash of the files and the code>``: one folder's entries share their first part."""
    digest = blake2b(code_stamp(), digest_size=20)
    for relative in sorted(contents):
        data = contents[relative]
        digest.update(f"\0{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return f"{_folder_tag(folder)}-{digest.hexdigest()}"


def _folder_tag(folder: Path) -> str:
    return blake2b(str(folder).encode(), digest_size=8).hexdigest()


def read(key: str) -> Any | None:
    folder = cache_dir()
    if folder is None or not owned_by_us(folder):
        return None
    try:
        with open(folder / f"{key}.pickle", "rb") as fh:
            return load(fh)
    except Exception:  # absent, unreadable, cut short or from other code: read the chart instead
        return None


def write(key: str, entry: Any) -> None:
    import tempfile

    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not owned_by_us(folder):
            return
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            dump(entry, fh, protocol=-1)  # the highest
        os.replace(temp, folder / f"{key}.pickle")
    except Exception:  # a full disk, or a value pickle cannot keep: no entry, as when the folder is read-only
        Path(temp).unlink(missing_ok=True)
        return
    for older in folder.glob(f"{key.split('-')[0]}-*.pickle"):
        if older.name != f"{key}.pickle":
            older.unlink(missing_ok=True)
