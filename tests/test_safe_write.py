"""Nothing torn: atomic replace (temp file beside the target, fsync, rename), backups, modes, symlinks."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import cli
from k8s_migrate import output
from k8s_migrate.errors import UsageError

REPO = Path(__file__).resolve().parent.parent
OLD = b"[server]\nhostname = \"am.example.com\"\n\n[integration.transaction_counter]\nenable = true\n"
ARGS = ("--from", "4.3", "--to", "4.6", "-q")  # a rule moves the counter: the output always differs from this input


def toml_file(directory: Path, mode: int = 0o644, name: str = "deployment.toml") -> Path:
    path = directory / name
    path.write_bytes(OLD)
    path.chmod(mode)
    return path


def test_write_goes_through_a_temp_file_in_the_same_directory_then_fsync_then_rename(tmp_path, monkeypatch):
    target = toml_file(tmp_path)
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(output.os, "fsync", lambda fd: (calls.append(("fsync", fd)), real_fsync(fd))[1])

    def replace(src, dst):
        calls.append(("replace", Path(src), Path(dst)))
        assert Path(src).read_bytes() == b"new\n", "the temp file is complete before the rename"
        return real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    output.write_atomic(str(target), "new\n")
    kinds = [c[0] for c in calls]
    assert "replace" in kinds and kinds.index("fsync") < kinds.index("replace")
    _, src, dst = next(c for c in calls if c[0] == "replace")
    assert src.parent == target.parent and src != target and dst == target
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"], "no temp file left"


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644])
def test_in_place_keeps_the_mode_and_backup_keeps_the_old_bytes(tmp_path, mode):
    target = toml_file(tmp_path, mode)
    result = cli("toml", str(target), *ARGS, "--in-place", "--backup")
    assert result.code == 0, result.err
    assert target.read_bytes() != OLD
    assert stat.S_IMODE(target.stat().st_mode) == mode
    backup = tmp_path / "deployment.toml.bak"
    assert backup.read_bytes() == OLD and stat.S_IMODE(backup.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml", "deployment.toml.bak"]


def test_no_backup_unless_asked(tmp_path):
    target = toml_file(tmp_path)
    assert cli("toml", str(target), *ARGS, "--in-place").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]


def test_a_failing_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = toml_file(tmp_path, 0o600)

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(output.os, "fsync", broken_fsync)
    with pytest.raises(UsageError, match="cannot write"):
        output.write_atomic(str(target), "new\n", backup=True)
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]


KILLER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    from k8s_migrate import output
    stage = sys.argv[2]
    def die(*_a, **_k):
        os.kill(os.getpid(), signal.SIGKILL)
    if stage == "mid-write":  # the temp file holds half the new bytes when the process dies
        real_fdopen = os.fdopen
        class Half:
            def __init__(self, fh): self.fh = fh
            def __enter__(self): return self
            def __exit__(self, *a): return False
            def write(self, data):
                self.fh.write(data[: len(data) // 2]); self.fh.flush(); die()
            def __getattr__(self, name): return getattr(self.fh, name)
        output.os.fdopen = lambda fd, mode: Half(real_fdopen(fd, mode))
    elif stage == "before-fsync":
        output.os.fsync = die
    elif stage == "before-rename":
        output.os.replace = die
    elif stage == "after-rename":
        real_replace = os.replace
        output.os.replace = lambda a, b: (real_replace(a, b), die())
    output.write_atomic(sys.argv[1], "x" * 300000 + "\\n", backup=True)
""")


@pytest.mark.parametrize("stage,survivor", [("mid-write", "old"), ("before-fsync", "old"), ("before-rename", "old"),
                                            ("after-rename", "new")])
def test_killed_midway_leaves_the_old_or_the_new_file_never_a_torn_one(tmp_path, stage, survivor):
    target = toml_file(tmp_path, 0o600)
    proc = subprocess.run([sys.executable, "-c", KILLER.format(repo=str(REPO)), str(target), stage],
                          capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    expected = OLD if survivor == "old" else b"x" * 300000 + b"\n"
    assert target.read_bytes() == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("deployment.toml", "deployment.toml.bak")]
    assert all(n.startswith(".deployment.toml.") and n.endswith(".k8s-migrate.tmp") for n in leftovers), leftovers


def outside_link(tmp_path: Path) -> tuple[Path, Path]:
    tree, outside = tmp_path / "tree", tmp_path / "elsewhere"
    tree.mkdir(), outside.mkdir()
    real = toml_file(outside)
    link = tree / "deployment.toml"
    link.symlink_to(real)
    return link, real


@pytest.mark.parametrize("how", [("--in-place",), ("-o", "{link}")])
def test_refuses_to_write_through_a_symlink_out_of_the_tree(tmp_path, how):
    link, real = outside_link(tmp_path)
    args = [a.format(link=link) for a in how]
    result = cli("toml", str(link), *ARGS, *args)
    assert result.code == 2 and len(result.err.splitlines()) == 1
    assert "symlink" in result.err and "--follow-symlinks" in result.err
    assert real.read_bytes() == OLD and link.is_symlink()


def test_follow_symlinks_writes_the_link_target(tmp_path):
    link, real = outside_link(tmp_path)
    result = cli("toml", str(link), *ARGS, "--in-place", "--follow-symlinks")
    assert result.code == 0, result.err
    assert link.is_symlink() and real.read_bytes() != OLD


def test_a_symlink_inside_the_tree_is_written_through(tmp_path):
    real = toml_file(tmp_path, name="real.toml")
    link = tmp_path / "deployment.toml"
    link.symlink_to(real.name)
    assert cli("toml", str(link), *ARGS, "--in-place").code == 0
    assert link.is_symlink() and real.read_bytes() != OLD


def test_check_and_diff_write_nothing(tmp_path):
    target = toml_file(tmp_path)
    before = target.stat().st_mtime_ns
    assert cli("toml", str(target), *ARGS, "--check").code == 1
    assert cli("toml", str(target), *ARGS, "--diff").code == 0
    assert target.read_bytes() == OLD and target.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]
