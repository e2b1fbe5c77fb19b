"""What a run builds from the package's data before it reads its input (a version's catalog and its known-key
lookups, the rule packs, a version's baseline document, a built-in chart map with its indexes and the parses of its
guards), kept between runs in the user's cache directory ($XDG_CACHE_HOME/k8s-migrate/data/):
a one-file run spent longer building these than migrating the file. An entry is named by what it holds and a hash
of the data files it is built from (their stat, or their bytes while they may still change: file_identity) and of
the code that builds and reads it (its files' size and time, the Python and package versions), so edited data, an
edited checkout or a new release never reads an old entry; writing an entry removes the older ones of the same
name. Nothing depends on the cache: a run that cannot read or write it builds the data itself.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress

try:  # what hashlib.blake2b and pickle.loads/dumps are, without the modules around them (OpenSSL, the Python pickler)
    from _blake2 import blake2b
    from _pickle import dumps, loads
except ImportError:  # pragma: no cover - an interpreter without CPython's accelerator modules
    from hashlib import blake2b
    from pickle import dumps, loads

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy reads this block
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, TypeVar

    T = TypeVar("T")

FOLDER = "data"  # under $XDG_CACHE_HOME/k8s-migrate/


def kept(name: str, data_files: Iterable[str], code: Iterable[str], build: Callable[[], T]) -> T:
    """``build()``, or what an earlier run's ``build()`` gave for the same data files (paths under mappings/) and
    code (module names whose source builds or defines what it returns)."""
    key = entry_key(name, data_files, code)
    blob = read_entry(key) if key is not None else None
    if blob is not None:
        try:
            return loads(blob)
        except Exception:  # noqa: BLE001 - cut short or from other code: build it instead
            pass
    value = build()
    if key is not None:
        try:
            blob = dumps(equal_ones_shared(value), -1)
        except Exception:  # noqa: BLE001 - a value pickle cannot keep: no entry
            return value
        write_entry(key, blob)
    return value


def one_string_each(value: Any) -> Any:
    """``value`` (JSON data) rebuilt with each distinct string one object: a pickle holds a shared object once, so
    a catalog's entry shrinks by a third and loads faster."""
    strings: dict[str, str] = {}

    def rebuild(node: Any) -> Any:
        if isinstance(node, str):
            return strings.setdefault(node, node)
        if isinstance(node, dict):
            return {strings.setdefault(k, k) if isinstance(k, str) else k: rebuild(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rebuild(v) for v in node]
        return node

    return rebuild(value)


def equal_ones_shared(value: Any) -> Any:
    """``value`` (a structure the package built: dicts, lists, tuples, sets, and the package's own objects) with
    each distinct string and tuple one object, so its pickle holds each once: a chart map's link tries repeat the
    same few key segments thousands of times (its entry halves, and loads a third faster). Lists, dicts and
    objects are edited in place; tuples and sets are rebuilt, once each where the structure shares one."""
    strings: dict[str, str] = {}
    tuples: dict[tuple, tuple] = {}
    done: dict[int, Any] = {}
    kept_alive: list[Any] = []  # the originals of rebuilt values: their ids stay theirs while ``done`` names them

    def share(node: Any) -> Any:
        kind = type(node)
        if kind is str:
            return strings.setdefault(node, node)
        if kind in (int, float, bool) or node is None:
            return node
        found = done.get(id(node))
        if found is not None:
            return found
        rebuilt: Any
        if kind is tuple:
            rebuilt = tuple(share(v) for v in node)
            with suppress(TypeError):  # unless it holds something unhashable
                rebuilt = tuples.setdefault(rebuilt, rebuilt)
        elif kind in (set, frozenset):
            rebuilt = kind(share(v) for v in node)
        else:
            done[id(node)] = node
            if kind is list:
                node[:] = [share(v) for v in node]
            elif kind is dict:
                items = [(share(k), share(v)) for k, v in node.items()]
                node.clear()
                node.update(items)
            elif kind.__module__.startswith(__package__ or "k8s_migrate"):
                for name in getattr(kind, "__slots__", ()):
                    if hasattr(node, name):
                        object.__setattr__(node, name, share(getattr(node, name)))
                for name, item in getattr(node, "__dict__", {}).items():
                    object.__setattr__(node, name, share(item))
            return node
        done[id(node)] = rebuilt
        kept_alive.append(node)
        return rebuilt

    return share(value)


def one_tuple_each(value: Any) -> Any:
    """``value`` (JSON data) with each list of strings made a tuple, equal ones one object: for read-only data that
    repeats a few lists many times (which versions know a key): the pickle holds each once."""
    tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

    def rebuild(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: rebuild(v) for k, v in node.items()}
        if isinstance(node, list):
            if all(isinstance(v, str) for v in node):
                return tuples.setdefault(tuple(node), tuple(node))
            return [rebuild(v) for v in node]
        return node

    return rebuild(value)


def read_entry(key: str, kind: str = FOLDER) -> bytes | None:
    """The entry ``key`` of the cache folder ``kind``; None when it is absent or the folder is not ours alone."""
    folder = cache_dir(kind)
    if folder is None or not owned_by_us(folder):
        return None
    try:
        with open(os.path.join(folder, key), "rb") as fh:
            return fh.read()
    except OSError:
        return None


def cache_dir(kind: str = FOLDER) -> str | None:
    from .data import cache_root
    from .errors import UsageError

    try:
        return os.path.join(cache_root(), "k8s-migrate", kind)
    except UsageError:  # no cache folder: every run builds its data
        return None


def entry_key(name: str, data_files: Iterable[str], code: Iterable[str]) -> str | None:
    """``<name>-<hash of the data folder>-<hash>.pickle``: one name's entries for one folder share all but the last
    part.
    None when a data file cannot be read (the build reports that)."""
    from . import __version__
    from .data import mappings_root

    base = mappings_root()
    digest = blake2b(f"{sys.version}\0{__version__}\0{name}".encode(), digest_size=20)
    try:
        for relative in data_files:
            digest.update(file_identity(os.path.join(base, relative)))
        for module in code:
            source = sys.modules[module].__file__ or module
            info = os.stat(source)
            digest.update(f"\0{source}\0{info.st_size}\0{info.st_mtime_ns}".encode())
    except (OSError, KeyError):
        return None
    return f"{name}-{blake2b(base.encode(), digest_size=4).hexdigest()}-{digest.hexdigest()}.pickle"


SETTLED = 2.0  # seconds: a file changed more recently than this is named by its bytes, not its stat


def file_identity(path: str) -> bytes:
    """What names a data file's version: its stat (size, times, inode), which any write changes, once the file
    has settled; its bytes while it may still be changing within one tick of the file system's clock (hashing
    every data file's bytes took a twentieth of a one-file run)."""
    import time

    info = os.stat(path)
    if time.time() - info.st_ctime > SETTLED:
        return f"\0{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}".encode()
    with open(path, "rb") as fh:
        data = fh.read()
    return f"\0{path}\0{len(data)}\0".encode() + blake2b(data, digest_size=20).digest()


def owned_by_us(folder: str | os.PathLike[str]) -> bool:
    """Only a folder this user owns and no one else may write holds entries to load (a pickle runs code)."""
    try:
        info = os.stat(folder)
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def write_entry(key: str, blob: bytes, kind: str = FOLDER) -> None:
    """Keep ``blob`` as the entry ``key`` of the cache folder ``kind``, removing the older entries of its name (all
    but its last ``-`` part)."""
    folder = cache_dir(kind)
    if folder is None:
        return
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not owned_by_us(folder):
            return
    except OSError:  # a read-only home: no entry
        return
    temp = os.path.join(folder, f".{key}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(temp, os.path.join(folder, key))
        for older in os.listdir(folder):
            if older.startswith(key[:key.rindex("-") + 1]) and older != key:
                os.unlink(os.path.join(folder, older))
    except OSError:
        with suppress(OSError):
            os.unlink(temp)
