"""Test helpers: run the CLI in-process, and the golden-test assertion."""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from k8s_migrate.cli import run_app
from k8s_migrate.migrate.toml import Options, migrate_toml

LONG = os.environ.get("K8S_MIGRATE_LONG") == "1"


def examples(full: int) -> int:
    """Hypothesis examples for a property test: all of them in CI (K8S_MIGRATE_LONG=1, set by .ci/run),
    a twentieth (at least 10) in the default run, which must stay under 3 minutes."""
    return full if LONG else max(10, full // 20)


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli(*args: str, stdin: bytes | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["k8s-migrate", *map(str, args)]
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = run_app()
    finally:
        sys.argv, sys.stdin = argv, old_stdin
    return Run(code, out.getvalue(), err.getvalue())


def assert_migrates(before: str, after: str, entries: list[dict], *, from_version: str, to_version: str,
                    mode: str = "edit", **options) -> None:
    """OpenRewrite-style: the text before, the text after, and the report entries that must be there."""
    result = migrate_toml(before.encode(), "input.toml", Options(from_version, to_version, mode=mode, **options))
    assert result.output == after
    got = [e.to_dict() for e in result.report.entries]
    for want in entries:
        assert any(all(e.get(k) == v for k, v in want.items()) for e in got), f"no entry {want} in {got}"


def load_golden(case: Path) -> dict:
    spec = json.loads((case / "case.json").read_text())
    spec["before"] = (case / "input.toml").read_text()
    spec["after"] = (case / "expected.toml").read_text()
    return spec


def assert_rederives(script: str, folder: str, reference_dir: Path, tmp_path: Path) -> None:
    """Running scripts/<script>.py over the reference writes exactly the committed mappings/<folder>/*.json."""
    import importlib.util

    from k8s_migrate.data import mappings_dir

    spec = importlib.util.spec_from_file_location(
        script, Path(__file__).resolve().parent.parent / "scripts" / f"{script}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.derive(reference_dir, tmp_path)
    committed = mappings_dir() / folder
    assert sorted(p.name for p in written) == sorted(p.name for p in committed.glob("*.json"))
    for path in written:
        assert path.read_bytes() == (committed / path.name).read_bytes(), path.name
