"""Reading inputs and writing outputs safely: stdin/stdout, atomic replace, backups, modes, symlinks."""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import time
from contextlib import contextmanager, suppress
from typing import Any, Callable, Iterable, Iterator

from .errors import UsageError

try:  # signal.signal and its constants without signal.py, whose enums cost a small file's run more than its write
    import _signal as signals  # type: ignore[import-not-found]  # typeshed has no stub for it
except ImportError:  # pragma: no cover - an interpreter without CPython's _signal
    import signal as signals

# A deployment.toml is tens of KB and a values file a few hundred; anything this big is not a config file.
MAX_INPUT_BYTES = 10 * 1024 * 1024
TOO_LARGE = f"file is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB; not a configuration file"
TEMP_SUFFIX = ".k8s-migrate.tmp"
FIFO_WAIT_SECONDS = 10.0


def without_bom(data: bytes) -> str:
    """``data.decode("utf-8-sig")``, without the codec lookup and module import that name costs a run."""
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")


def read_input(path: str) -> bytes:
    """The input's bytes. A FIFO or device is read as a stream, bounded by the size cap; a FIFO that no
    writer opens within FIFO_WAIT_SECONDS is refused, so a run never hangs on it."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise UsageError(TOO_LARGE, "stdin")
        return data
    info = _stat(path)
    if info is None:
        raise UsageError("no such file", path)
    if stat.S_ISDIR(info.st_mode):
        raise UsageError("is a directory, not a file", path)
    try:
        if stat.S_ISREG(info.st_mode):
            if info.st_size > MAX_INPUT_BYTES:
                raise UsageError(TOO_LARGE, path)
            with open(path, "rb") as fh:
                return fh.read()
        if stat.S_ISSOCK(info.st_mode):
            raise UsageError("is a socket, not a file", path)
        return _read_stream(path, stat.S_ISFIFO(info.st_mode))
    except OSError as exc:
        raise UsageError(f"cannot read: {exc.strerror}", path) from None


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError("symlink loop", path) from None
        raise UsageError(f"cannot read: {exc.strerror}", path) from None


def _read_stream(path: str, fifo: bool) -> bytes:
    fd = os.open(path, os.O_RDONLY | (os.O_NONBLOCK if fifo else 0))
    try:
        if fifo:
            import select  # here: extension modules a run that reads no FIFO (and writes nothing) does not load

            if not select.select([fd], [], [], FIFO_WAIT_SECONDS)[0]:
                raise UsageError(f"a FIFO with no writer (waited {FIFO_WAIT_SECONDS:g} s)", path)
            os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= MAX_INPUT_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_INPUT_BYTES:
            raise UsageError(TOO_LARGE, path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_atomic(path: str, text: str | Iterable[str], backup: bool = False, allow_symlink_escape: bool = False,
                 in_place: bool | None = None) -> None:
    """Write ``text`` (or its pieces, one after the other) to ``path`` without ever leaving a torn,
    foreign-owned or half-backed-up file.

    A regular file (or a new one) is replaced: a temp file beside it, fsync, rename, under an flock on the
    target so that parallel runs take turns. Mode, owner and group are kept where the process may; a new
    file gets the umask's mode. With ``backup`` the file's current bytes are first saved to a numbered
    backup (see ``backup_path``). A device or FIFO is never replaced: the text is written into it as a stream,
    and ``in_place`` (the default when ``backup`` is set) refuses it.
    """
    in_place = backup if in_place is None else in_place
    target = _resolve(as_path_text(path), allow_symlink_escape)
    info = _lstat(target)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError("is a directory, not a file", path)
    if info is not None and not stat.S_ISREG(info.st_mode):
        if in_place:
            raise UsageError("is not a regular file (a device or FIFO); --in-place only replaces regular files",
                             path)
        _write_stream(target, _encoded(text), info, path)
        return
    directory = _parent(target)
    if not os.path.isdir(directory):
        raise UsageError("the output directory does not exist", path)
    _name_strays(target)
    try:
        with _locked(target) as locked:
            _replace(target, directory, _encoded(text), locked, backup)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror}", path) from None


def _encoded(text: str | Iterable[str]) -> Iterator[bytes]:
    for piece in [text] if isinstance(text, str) else text:
        yield piece.encode("utf-8")


def as_path_text(path: str) -> str:
    """``str(pathlib.Path(path))`` without pathlib (a twentieth of a one-file run to import): repeated slashes and
    ``.`` parts dropped (``..`` kept), a leading ``//`` kept as POSIX asks, ``.`` for nothing left."""
    path = os.fspath(path)
    root = "//" if path.startswith("//") and not path.startswith("///") else "/" if path.startswith("/") else ""
    return root + "/".join(part for part in path.split("/") if part not in ("", ".")) or "."


def _parent(path: str) -> str:
    return os.path.dirname(path) or "."


def _sibling(path: str, name: str) -> str:
    folder = os.path.dirname(path)
    return os.path.join(folder, name) if folder else name


def _resolve(target: str, allow_symlink_escape: bool) -> str:
    try:
        os.stat(target)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UsageError("symlink loop", str(target)) from None
    if not os.path.islink(target):
        return target
    try:
        resolved = os.path.realpath(target)
    except (OSError, RuntimeError):
        raise UsageError("symlink loop", str(target)) from None
    if not allow_symlink_escape and not _inside(resolved, os.path.realpath(_parent(target))):
        raise UsageError(f"refusing to write through a symlink that leaves the directory (-> {resolved}); "
                         "pass --follow-symlinks to allow it", str(target))
    return resolved


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _write_stream(target: str, data: Iterable[bytes], info: os.stat_result, shown: str) -> None:
    if stat.S_ISSOCK(info.st_mode):
        raise UsageError("is a socket, not a file", shown)
    fifo = stat.S_ISFIFO(info.st_mode)
    deadline = time.monotonic() + FIFO_WAIT_SECONDS
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | (os.O_NONBLOCK if fifo else 0))
            break
        except OSError as exc:
            if not (fifo and exc.errno == errno.ENXIO):
                raise UsageError(f"cannot write: {exc.strerror}", shown) from None
            if time.monotonic() > deadline:
                raise UsageError(f"a FIFO with no reader (waited {FIFO_WAIT_SECONDS:g} s)", shown) from None
            time.sleep(0.05)
    try:
        os.set_blocking(fd, True)
        for piece in data:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror}", shown) from None
    finally:
        os.close(fd)


@contextmanager
def _locked(target: str) -> Iterator[int | None]:
    """An flock on the target's current inode (None for a new file). A run that waited re-checks that the
    path still names the inode it locked, since the run before it renamed a new file in."""
    while True:
        try:
            fd = _open_for_lock(target)
        except FileNotFoundError:
            yield None
            return
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        now = _lstat(target)
        if now is not None and (now.st_ino, now.st_dev) == (os.fstat(fd).st_ino, os.fstat(fd).st_dev):
            break
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)


def _open_for_lock(target: str) -> int:
    try:
        return os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
    except PermissionError:  # a write-only file can still be locked (and replaced, without a backup)
        return os.open(target, os.O_WRONLY | os.O_NOFOLLOW)


def _replace(target: str, directory: str, data: Iterable[bytes], locked: int | None, backup: bool) -> None:
    old = os.fstat(locked) if locked is not None else None
    with _temp_file(target, directory) as (fd, tmp):
        for piece in data:
            _write_all(fd, piece)
        if old is None:
            os.fchmod(fd, 0o666 & ~_umask())
        else:
            _keep_owner(fd, old)
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
        os.fsync(fd)
        if backup and locked is not None and old is not None:
            _save_backup(target, directory, locked, old)
        os.replace(tmp, target)
    _fsync_dir(directory)


def _write_all(fd: int, data: bytes) -> None:
    with os.fdopen(os.dup(fd), "wb") as fh:
        fh.write(data)
        fh.flush()


def _keep_owner(fd: int, old: os.stat_result) -> None:
    for uid, gid in ((old.st_uid, old.st_gid), (-1, old.st_gid)):
        try:
            os.fchown(fd, uid, gid)
            return
        except OSError:
            continue


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def backup_path(target: str, current: bytes) -> str | None:
    """Where to save ``current``: FILE.bak, else FILE.bak.1, FILE.bak.2 ... (the first free name); None when
    one of them already holds exactly these bytes. A name taken by a symlink or a non-regular file is skipped,
    never written through."""
    number = 0
    while True:
        candidate = _sibling(target, os.path.basename(target) + ".bak" + (f".{number}" if number else ""))
        info = _lstat(candidate)
        if info is None:
            return candidate
        if stat.S_ISREG(info.st_mode) and info.st_size == len(current) and _same_bytes(candidate, current):
            return None
        number += 1


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as fh:
        return fh.read(len(data) + 1) == data


def _save_backup(target: str, directory: str, locked: int, old: os.stat_result) -> None:
    """Copy the locked file's bytes to a new backup atomically: a complete temp file is hard-linked to the
    backup name, which fails rather than replace anything that appeared there meanwhile."""
    current = b""
    os.lseek(locked, 0, os.SEEK_SET)
    while chunk := os.read(locked, 1 << 20):
        current += chunk
    while (dest := backup_path(target, current)) is not None:
        with _temp_file(target, directory) as (fd, tmp):
            _write_all(fd, current)
            _keep_owner(fd, old)
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
            os.fsync(fd)
            try:
                os.link(tmp, dest)
                return
            except FileExistsError:
                continue


class StagedWrites:
    """New files for a batch's output tree, made durable together instead of one fsync each.

    ``write`` puts each new file's bytes in a temp file beside it; ``commit`` flushes them all with one
    ``syncfs`` per filesystem (an fsync of each file and folder where syncfs is missing), hard-links each
    temp file to its name, which fails rather than replace a file that appeared meanwhile, and flushes
    again for the new names. A name that is taken, a symlink, or anything but a plain new file goes
    through ``write_atomic`` at once. Until ``commit`` no name exists, so a crash leaves only temp files,
    which the next run names. Failures come back from ``commit`` as (path, message) pairs."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str, str]] = []  # (temp file, target, path as given)

    def write(self, path: str, text: str) -> None:
        target = as_path_text(path)
        if _lstat(target) is not None or not os.path.isdir(_parent(target)):
            write_atomic(path, text)
            return
        _name_strays(target)
        try:
            fd, tmp = _new_temp(_parent(target), f".{os.path.basename(target)}.")
        except OSError as exc:
            raise UsageError(f"cannot write: {exc.strerror}", path) from None
        _LIVE_TEMPS.add(tmp)
        _install_signal_cleanup()
        try:
            os.fchmod(fd, 0o666 & ~_umask())
            _write_all(fd, text.encode("utf-8"))
        except OSError as exc:
            _drop_temp(tmp)
            raise UsageError(f"cannot write: {exc.strerror}", path) from None
        finally:
            os.close(fd)
        self.pending.append((tmp, target, path))

    def commit(self) -> list[tuple[str, str]]:
        pending, self.pending = self.pending, []
        failures: list[tuple[str, str]] = []
        if not pending:
            return failures
        try:
            _flush([tmp for tmp, _, _ in pending], [])
            for tmp, target, path in pending:
                try:
                    os.link(tmp, target)
                except OSError:  # taken meanwhile, or a filesystem without hard links: the one-file way
                    try:
                        write_atomic(path, _read_back(tmp))
                    except UsageError as exc:
                        failures.append((path, exc.message))
            _flush([], sorted({_parent(target) for _, target, _ in pending}))
        except OSError as exc:
            failures.extend((path, f"cannot write: {exc.strerror}") for _, _, path in pending)
        finally:
            for tmp, _, _ in pending:
                _drop_temp(tmp)
        return failures

    def discard(self) -> None:
        pending, self.pending = self.pending, []
        for tmp, _, _ in pending:
            _drop_temp(tmp)


def _flush(files: list[str], folders: list[str]) -> None:
    """Make ``files`` and the entries of ``folders`` durable: one syncfs per filesystem, else an fsync each."""
    syncfs = _syncfs()
    if syncfs is None:
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for folder in folders:
            _fsync_dir(folder)
        return
    devices: set[int] = set()
    for place in sorted({_parent(path) for path in files} | set(folders)):
        fd = os.open(place, os.O_RDONLY)
        try:
            device = os.fstat(fd).st_dev
            if device not in devices:
                devices.add(device)
                syncfs(fd)
        finally:
            os.close(fd)


_SYNCFS: list[Any] = []


def _syncfs() -> Callable[[int], None] | None:
    """libc's syncfs(2) through ctypes (loaded on a batch's first commit, never for one file), or None."""
    if not _SYNCFS:
        _SYNCFS.append(_load_syncfs() if sys.platform.startswith("linux") else None)
    return _SYNCFS[0]


def _load_syncfs() -> Callable[[int], None] | None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):  # pragma: no cover - no ctypes, or no C library to load
        return None
    if not hasattr(libc, "syncfs"):  # pragma: no cover - a C library older than glibc 2.14
        return None

    def syncfs(fd: int) -> None:
        if libc.syncfs(fd) != 0:
            code = ctypes.get_errno() or errno.EIO
            raise OSError(code, os.strerror(code))

    return syncfs


def _read_back(tmp: str) -> str:
    with open(tmp, encoding="utf-8", newline="") as fh:
        return fh.read()


def _drop_temp(tmp: str) -> None:
    _remove_quietly(tmp)
    _LIVE_TEMPS.discard(tmp)


_LIVE_TEMPS: set[str] = set()


@contextmanager
def _temp_file(target: str, directory: str) -> Iterator[tuple[int, str]]:
    """A temp file beside the target, removed on any failure and on SIGTERM/SIGINT (see _on_signal)."""
    fd, tmp = _new_temp(directory, f".{os.path.basename(target)}.")
    _LIVE_TEMPS.add(tmp)
    _install_signal_cleanup()
    try:
        yield fd, tmp
    finally:
        os.close(fd)
        _drop_temp(tmp)


def _new_temp(directory: str, prefix: str) -> tuple[int, str]:
    """tempfile.mkstemp's file (mode 0600, a fresh random name, absolute path) without the tempfile module,
    whose imports (shutil, random and the compressors) cost a one-file run more than the write."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        path = os.path.abspath(os.path.join(directory, f"{prefix}{os.urandom(6).hex()}{TEMP_SUFFIX}"))
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temp file name", str(directory))


_INSTALLED: dict[int, Any] = {}


def _install_signal_cleanup() -> None:
    if _INSTALLED:
        return
    for sig in (signals.SIGTERM, signals.SIGINT, signals.SIGHUP):
        if signals.getsignal(sig) == signals.SIG_IGN:  # nohup, a background job, a batch worker: it must not stop
            continue
        with suppress(OSError, ValueError):  # ValueError: not the main thread, where handlers cannot be set
            _INSTALLED[sig] = signals.signal(sig, _on_signal)


def _on_signal(sig: int, frame) -> None:
    for tmp in list(_LIVE_TEMPS):
        _remove_quietly(tmp)
    previous = _INSTALLED.get(sig)
    if callable(previous):
        previous(sig, frame)
        return
    signals.signal(sig, signals.SIG_DFL if previous in (None, signals.SIG_DFL) else previous)
    os.kill(os.getpid(), sig)


def _name_strays(target: str) -> None:
    """Say so when an earlier, killed run left temp files beside the target (they may be removed by hand)."""
    directory = _parent(target)
    prefix = f".{os.path.basename(target)}."
    try:
        with os.scandir(directory) as entries:
            strays = sorted(e.name for e in entries
                            if e.name.startswith(prefix) and e.name[len(prefix):].endswith(TEMP_SUFFIX)
                            and os.path.join(directory, e.name) not in _LIVE_TEMPS)
    except OSError:
        return
    if strays:
        sys.stderr.write(f"k8s-migrate: warning: {target}: temp files left by an interrupted run: "
                         f"{', '.join(strays)} (safe to delete when no other run is writing)\n")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _fsync_dir(directory: str) -> None:
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
    with suppress(OSError):
        os.unlink(path)


def unified_diff(before: str, after: str, name: str) -> str:
    """A patch that ``git apply`` takes: a last line without a newline gets git's marker line after it."""
    import difflib

    label = "stdin" if name == "-" else name
    lines = difflib.unified_diff(_lines(before), _lines(after), fromfile=f"a/{label}", tofile=f"b/{label}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _lines(text: str) -> list[str]:
    """Lines as git counts them: split at \\n only (str.splitlines also splits at \\f, \\v, U+2028 ...)."""
    return re.findall(r"[^\n]*\n|[^\n]+", text)
