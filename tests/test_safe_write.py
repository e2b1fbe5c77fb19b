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

from k8s_migrate import output
from k8s_migrate.errors import UsageError

from helpers import cli

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


# ---- special files (issue 13, item 1) -------------------------------------------------------------
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="mknod and chown need root")


@needs_root
def test_output_into_a_device_streams_and_never_replaces_it(tmp_path):
    source = toml_file(tmp_path)
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    result = cli("toml", str(source), *ARGS, "-o", str(device))
    assert result.code == 0, result.err
    assert stat.S_ISCHR(device.lstat().st_mode) and device.lstat().st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml", "null"]


@needs_root
def test_in_place_refuses_a_device(tmp_path):
    device = tmp_path / "deployment.toml"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero: readable, endless
    result = cli("toml", str(device), *ARGS, "--in-place", "--backup")
    assert result.code == 2 and len(result.err.splitlines()) == 1, result.err
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]


def test_output_into_a_fifo_streams_the_text_to_its_reader(tmp_path):
    source = toml_file(tmp_path)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.stdout.buffer.write(open({str(fifo)!r}, 'rb').read())"],
        stdout=subprocess.PIPE,
    )
    result = cli("toml", str(source), *ARGS, "-o", str(fifo))
    got = reader.communicate(timeout=60)[0]
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and b"[server]" in got


def test_output_into_a_fifo_without_a_reader_is_refused_not_hung(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "FIFO_WAIT_SECONDS", 0.3)
    source = toml_file(tmp_path)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    result = cli("toml", str(source), *ARGS, "-o", str(fifo))
    assert result.code == 2 and "no reader" in result.err and len(result.err.splitlines()) == 1
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_in_place_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "deployment.toml"
    os.mkfifo(fifo)
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'wb').write({OLD!r})"])
    result = cli("toml", str(fifo), *ARGS, "--in-place")
    writer.wait(timeout=60)
    assert result.code == 2 and "regular file" in result.err, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_fifo_input_is_read_as_a_stream(tmp_path):
    fifo = tmp_path / "deployment.toml"
    os.mkfifo(fifo)
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'wb').write({OLD!r})"])
    result = cli("toml", str(fifo), *ARGS)
    writer.wait(timeout=60)
    assert result.code == 0 and "[server]" in result.out, result.err


def test_a_fifo_input_with_no_writer_is_refused_not_hung(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "FIFO_WAIT_SECONDS", 0.3)
    fifo = tmp_path / "deployment.toml"
    os.mkfifo(fifo)
    result = cli("toml", str(fifo), *ARGS)
    assert result.code == 2 and "no writer" in result.err and str(fifo) in result.err


# ---- backups (item 2) ---------------------------------------------------------------------------
def test_backup_never_writes_through_a_symlinked_bak(tmp_path):
    tree, elsewhere = tmp_path / "conf", tmp_path / "elsewhere"
    tree.mkdir(), elsewhere.mkdir()
    victim = elsewhere / "victim.txt"
    victim.write_bytes(b"precious\n")
    target = toml_file(tree)
    (tree / "deployment.toml.bak").symlink_to("../elsewhere/victim.txt")
    result = cli("toml", str(target), *ARGS, "--in-place", "--backup")
    assert result.code == 0, result.err
    assert victim.read_bytes() == b"precious\n"
    assert (tree / "deployment.toml.bak").is_symlink()
    assert (tree / "deployment.toml.bak.1").read_bytes() == OLD


def test_backups_are_numbered_and_never_overwritten(tmp_path):
    target = toml_file(tmp_path)
    (tmp_path / "deployment.toml.bak").write_bytes(b"an older backup\n")
    assert cli("toml", str(target), *ARGS, "--in-place", "--backup").code == 0
    assert (tmp_path / "deployment.toml.bak").read_bytes() == b"an older backup\n"
    assert (tmp_path / "deployment.toml.bak.1").read_bytes() == OLD
    migrated = target.read_bytes()
    target.write_bytes(OLD)  # the same original again: its backup exists already
    assert cli("toml", str(target), *ARGS, "--in-place", "--backup").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml", "deployment.toml.bak",
                                                          "deployment.toml.bak.1"]
    assert target.read_bytes() == migrated


def test_a_backup_is_complete_before_it_gets_its_name(tmp_path, monkeypatch):
    target = toml_file(tmp_path, 0o640)
    seen = []
    real_link = os.link

    def link(src, dst):
        seen.append((Path(src).read_bytes(), stat.S_IMODE(os.stat(src).st_mode)))
        return real_link(src, dst)

    monkeypatch.setattr(output.os, "link", link)
    output.write_atomic(str(target), "new\n", backup=True)
    assert seen == [(OLD, 0o640)]
    assert (tmp_path / "deployment.toml.bak").read_bytes() == OLD


PARALLEL = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {repo!r})
    from k8s_migrate import output
    real_replace = output.os.replace
    def slow_replace(a, b):
        time.sleep(0.2)  # widen the window in which the runs would race
        return real_replace(a, b)
    output.os.replace = slow_replace
    output.write_atomic(sys.argv[1], "migrated by " + sys.argv[2] + "\\n", backup=True)
""")


def test_parallel_in_place_backup_runs_take_turns_and_the_original_survives(tmp_path):
    target = toml_file(tmp_path)
    runs = [subprocess.Popen([sys.executable, "-c", PARALLEL.format(repo=str(REPO)), str(target), str(i)])
            for i in range(4)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0, 0, 0]
    backups = sorted(tmp_path.glob("deployment.toml.bak*"))
    assert (tmp_path / "deployment.toml.bak").read_bytes() == OLD
    contents = [b.read_bytes() for b in backups]
    assert len(contents) == 4 and len(set(contents)) == 4, contents  # each run saved what the one before wrote
    assert target.read_bytes().startswith(b"migrated by ")
    assert not list(tmp_path.glob(".*.k8s-migrate.tmp"))


# ---- signals and strays (item 3) --------------------------------------------------------------------
SLOW = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {repo!r})
    from k8s_migrate import output
    real_fsync = output.os.fsync
    def slow_fsync(fd):
        print("writing", flush=True)
        time.sleep(60)
    output.os.fsync = slow_fsync
    output.write_atomic(sys.argv[1], "x" * 1000 + "\\n", backup=True)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_write_removes_the_temp_file(tmp_path, sig):
    target = toml_file(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", SLOW.format(repo=str(REPO)), str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"writing\n"
    assert list(tmp_path.glob(".*.k8s-migrate.tmp")), "the temp file exists while writing"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml"]
    assert target.read_bytes() == OLD


def test_a_later_run_names_stray_temp_files(tmp_path):
    target = toml_file(tmp_path)
    stray = tmp_path / ".deployment.toml.abc123.k8s-migrate.tmp"
    stray.write_bytes(b"half")
    result = cli("toml", str(target), *ARGS, "--in-place")
    assert result.code == 0
    assert stray.name in result.err and "interrupted" in result.err
    assert stray.exists(), "another run may own it: named, not deleted"


# ---- ownership and umask (item 4) -------------------------------------------------------------------
@needs_root
def test_replace_keeps_owner_and_group(tmp_path):
    target = toml_file(tmp_path)
    os.chown(target, 65534, 65534)
    assert cli("toml", str(target), *ARGS, "--in-place", "--backup").code == 0
    for path in (target, tmp_path / "deployment.toml.bak"):
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534), path


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_output_file_honours_the_umask(tmp_path, umask, mode):
    source = toml_file(tmp_path)
    old = os.umask(umask)
    try:
        assert cli("toml", str(source), *ARGS, "-o", str(tmp_path / "new.toml")).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.toml").stat().st_mode) == mode


# ---- symlink loop (item 5) ------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["-o", "--in-place", "input"])
def test_a_symlink_loop_is_a_clean_usage_error(tmp_path, how):
    source = toml_file(tmp_path)
    loop = tmp_path / "loop.toml"
    loop.symlink_to("loop.toml")
    args = {"-o": [str(source), "-o", str(loop)], "--in-place": [str(loop), "--in-place"], "input": [str(loop)]}[how]
    result = cli("toml", *args[:1], *ARGS, *args[1:])
    assert result.code == 2 and len(result.err.splitlines()) == 1, result.err
    assert "symlink loop" in result.err and "internal error" not in result.err


# ---- --report - (item 11) -------------------------------------------------------------------------
@pytest.mark.parametrize("delivery", [(), ("-o", "-"), ("--diff",)])
def test_report_on_stdout_with_the_result_on_stdout_is_refused(tmp_path, delivery):
    source = toml_file(tmp_path)
    result = cli("toml", str(source), *ARGS, "--report", "-", *delivery)
    assert result.code == 2 and result.out == "" and len(result.err.splitlines()) == 1, result.err
    assert "--report -" in result.err and "-o FILE" in result.err


@pytest.mark.parametrize("delivery", [("-o", "{out}"), ("--in-place",), ("--check",)])
def test_report_on_stdout_is_json_when_stdout_is_free(tmp_path, delivery):
    import json

    source = toml_file(tmp_path)
    args = [a.format(out=tmp_path / "out.toml") for a in delivery]
    result = cli("toml", str(source), *ARGS, "--report", "-", *args)
    assert result.code in (0, 1), result.err
    assert json.loads(result.out)["input"] == str(source)


def test_batch_report_dash_is_json_on_stdout(tmp_path, monkeypatch):
    import json

    fleet = tmp_path / "fleet"
    fleet.mkdir()
    toml_file(fleet)
    monkeypatch.chdir(tmp_path)
    result = cli("batch", str(fleet), "--from", "4.1", "--to", "4.6", "--report", "-", "-q")
    assert result.code == 0, result.err
    assert json.loads(result.out)["summary"] and not (tmp_path / "-").exists() and not (fleet / "-").exists()


def test_a_full_disk_while_backing_up_leaves_the_file_and_the_old_backup_alone(tmp_path, monkeypatch):
    import errno

    target = toml_file(tmp_path)
    old_backup = tmp_path / "deployment.toml.bak"
    old_backup.write_bytes(b"x" * 20000)
    calls = []
    real = output._write_all

    def full_disk(fd, data):
        calls.append(len(data))
        if len(calls) == 2:  # the backup's temp file
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(output, "_write_all", full_disk)
    with pytest.raises(UsageError, match="No space left"):
        output.write_atomic(str(target), "new\n", backup=True)
    assert target.read_bytes() == OLD and old_backup.read_bytes() == b"x" * 20000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deployment.toml", "deployment.toml.bak"]


def staged_fleet(root: Path, count: int) -> Path:
    fleet = root / "fleet"
    for i in range(count):
        (fleet / f"node-{i}").mkdir(parents=True)
        toml_file(fleet / f"node-{i}")
    return fleet


def test_staged_writes_show_no_name_before_commit_and_whole_files_after(tmp_path):
    old_umask = os.umask(0o027)
    try:
        writes = output.StagedWrites()
        for name in ("a.toml", "b.toml"):
            writes.write(str(tmp_path / name), f"{name} = 1\n")
        assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(output.TEMP_SUFFIX)) == []
        assert writes.commit() == []
    finally:
        os.umask(old_umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml", "b.toml"], "no temp file left"
    assert (tmp_path / "b.toml").read_text() == "b.toml = 1\n"
    assert stat.S_IMODE((tmp_path / "a.toml").stat().st_mode) == 0o640, "the umask's mode, as a new file gets"


def test_staged_writes_make_data_durable_before_the_names_then_the_names(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(output, "_flush", lambda files, folders: calls.append(
        ("flush", sorted(Path(f).name.endswith(output.TEMP_SUFFIX) for f in files), sorted(folders))))
    real_link = os.link
    monkeypatch.setattr(output.os, "link", lambda src, dst: (calls.append(("link", Path(dst).name)),
                                                             real_link(src, dst))[1])
    writes = output.StagedWrites()
    writes.write(str(tmp_path / "a.toml"), "a = 1\n")
    writes.write(str(tmp_path / "b.toml"), "b = 1\n")
    assert writes.commit() == []
    assert calls == [("flush", [True, True], []), ("link", "a.toml"), ("link", "b.toml"),
                     ("flush", [], [str(tmp_path)])]


def test_staged_writes_replace_a_name_taken_meanwhile_atomically_and_an_existing_one_at_once(tmp_path):
    existing = tmp_path / "existing.toml"
    existing.write_text("old\n")
    existing.chmod(0o600)
    writes = output.StagedWrites()
    writes.write(str(existing), "new\n")
    assert existing.read_text() == "new\n" and stat.S_IMODE(existing.stat().st_mode) == 0o600, "replaced at once"
    writes.write(str(tmp_path / "late.toml"), "ours\n")
    (tmp_path / "late.toml").write_text("someone else's\n")
    assert writes.commit() == []
    assert (tmp_path / "late.toml").read_text() == "ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.toml", "late.toml"]


def test_staged_writes_never_write_through_a_symlink_that_leaves_the_folder(tmp_path):
    outside = tmp_path / "outside.toml"
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "link.toml").symlink_to(outside)
    with pytest.raises(UsageError, match="symlink"):
        output.StagedWrites().write(str(folder / "link.toml"), "x\n")
    assert not outside.exists()


def test_a_failed_flush_fails_every_staged_file_and_leaves_no_name_and_no_temp(tmp_path, monkeypatch):
    import errno

    def no_space(files, folders):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output, "_flush", no_space)
    writes = output.StagedWrites()
    writes.write(str(tmp_path / "a.toml"), "a = 1\n")
    failures = writes.commit()
    assert failures == [(str(tmp_path / "a.toml"), f"cannot write: {os.strerror(errno.ENOSPC)}")]
    assert list(tmp_path.iterdir()) == []


def test_without_syncfs_each_file_and_folder_is_fsynced(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "_SYNCFS", [None])
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(output.os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                         real_fsync(fd))[1])
    writes = output.StagedWrites()
    writes.write(str(tmp_path / "a.toml"), "a = 1\n")
    writes.write(str(tmp_path / "b.toml"), "b = 1\n")
    assert writes.commit() == []
    assert len([p for p in synced if p.endswith(output.TEMP_SUFFIX)]) == 2 and synced.count(str(tmp_path)) == 1


def test_syncfs_is_loaded_only_by_a_batch_that_writes(tmp_path):
    probe = ("import sys; from k8s_migrate.cli import run_app; sys.argv = ['k8s-migrate', *sys.argv[1:]]\n"
             "try: run_app()\nexcept SystemExit: pass\nprint('ctypes' in sys.modules)")
    source = toml_file(tmp_path)
    one = subprocess.run([sys.executable, "-c", probe, "toml", str(source), *ARGS, "-o", str(tmp_path / "o.toml")],
                         capture_output=True, text=True, cwd=REPO)
    assert one.stdout.strip().splitlines()[-1] == "False", one.stderr


def test_batch_output_tree_is_flushed_per_chunk_not_per_file(tmp_path, monkeypatch):
    fleet = staged_fleet(tmp_path, 16)
    fsyncs, flushes = [], []
    real_fsync, real_flush = os.fsync, output._flush
    monkeypatch.setattr(output.os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd))[1])
    monkeypatch.setattr(output, "_flush", lambda files, folders: (flushes.append(len(files)),
                                                                  real_flush(files, folders))[1])
    result = cli("batch", str(fleet), "--from", "4.3", "--to", "4.6", "-o", str(tmp_path / "out"), "--workers", "1",
                 "-q")
    assert result.code == 0, result.err
    written = sorted((tmp_path / "out").rglob("*.toml"))
    assert len(written) == 16 and all(p.read_bytes() != OLD for p in written)
    assert not list((tmp_path / "out").rglob(f"*{output.TEMP_SUFFIX}"))
    assert len(fsyncs) < 16 and 2 <= len(flushes) <= 8, (len(fsyncs), flushes)


def test_a_batch_file_whose_commit_fails_is_reported_failed_and_not_written(tmp_path, monkeypatch):
    import errno

    fleet = staged_fleet(tmp_path, 3)
    real_link = os.link

    def link(src, dst):
        if "node-1" in str(dst):
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))
        return real_link(src, dst)

    def refuse(path, *args, **kwargs):
        raise UsageError("cannot write: no space left on device", path)

    monkeypatch.setattr(output.os, "link", link)
    monkeypatch.setattr(output, "write_atomic", refuse)
    result = cli("batch", str(fleet), "--from", "4.3", "--to", "4.6", "-o", str(tmp_path / "out"), "--workers", "1",
                 "-q")
    assert result.code == 2
    assert "node-1" in result.err + result.out and "no space left" in result.err + result.out
    assert sorted(p.parent.name for p in (tmp_path / "out").rglob("*.toml")) == ["node-0", "node-2"]
    assert not list((tmp_path / "out").rglob(f"*{output.TEMP_SUFFIX}"))


def test_a_run_that_ignores_sigint_keeps_ignoring_it_while_it_writes(tmp_path, monkeypatch):
    """A background job of a script, nohup, or a batch worker starts with SIGINT ignored: Ctrl-C in the
    terminal must neither stop it nor take away the temp file it is writing."""
    monkeypatch.setattr(output, "_INSTALLED", {})
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        writes = output.StagedWrites()
        writes.write(str(tmp_path / "a.toml"), "a = 1\n")
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == output._on_signal, "SIGTERM still cleans up"
        os.kill(os.getpid(), signal.SIGINT)
        assert writes.commit() == [] and (tmp_path / "a.toml").read_text() == "a = 1\n"
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
