"""Reading inputs and writing outputs safely: stdin/stdout, atomic replace, backups, modes, symlinks."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path

from .errors import UsageError

# A deployment.toml is tens of KB and a values file a few hundred; anything this big is not a config file.
MAX_INPUT_BYTES = 10 * 1024 * 1024
TOO_LARGE = f"file is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB; not a configuration file"


def read_input(path: str) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise UsageError(TOO_LARGE, "stdin")
        return data
    p = Path(path)
    if not p.exists():
        raise UsageError("no such file", path)
    if p.is_dir():
        raise UsageError("is a directory, not a file", path)
    try:
        if p.stat().st_size > MAX_INPUT_BYTES:
            raise UsageError(TOO_LARGE, path)
        return p.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read: {exc.strerror}", path) from None


def _new_file_mode() -> int:
    """The mode `open()` would give a new file (0666 less the umask), not mkstemp's 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str, text: str, backup: bool = False, allow_symlink_escape: bool = False) -> None:
    """Write to a temporary file beside the target, fsync, then rename over it. Keeps the file mode."""
    target = Path(path)
    if target.is_symlink():
        resolved = target.resolve()
        if not allow_symlink_escape and not _inside(resolved, target.parent.resolve()):
            raise UsageError(f"refusing to write through a symlink that leaves the directory (-> {resolved}); "
                             "pass --follow-symlinks to allow it", path)
        target = resolved
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError("the output directory does not exist", path)
    mode = target.stat().st_mode & 0o7777 if target.exists() else _new_file_mode()
    data = text.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".k8s-migrate.tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror}", path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if backup and target.exists():
            backup_path = target.with_name(target.name + ".bak")
            with open(target, "rb") as src, open(backup_path, "wb") as dst:
                dst.write(src.read())
            if mode is not None:
                os.chmod(backup_path, mode)
        os.replace(tmp, target)
        _fsync_dir(directory)
    except OSError as exc:
        _remove_quietly(tmp)
        raise UsageError(f"cannot write: {exc.strerror}", path) from None
    except BaseException:
        _remove_quietly(tmp)
        raise


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def unified_diff(before: str, after: str, name: str) -> str:
    label = "stdin" if name == "-" else name
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{label}", tofile=f"b/{label}",
    ))
