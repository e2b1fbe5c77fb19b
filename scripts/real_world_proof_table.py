"""The deployment.toml proof over every real-world deployment.toml and ConfigMap, both modes, every later version.

For each file, mode and target: did the migration's own proof pass (unexplained changes and report/output
disagreements, both 0 when it passes), does `verify OLD NEW` (the audit, which explains by the rules and
WSO2's files rather than by the report) find anything unexplained, is a second run idempotent, and how many
comment lines went in and came out.

    python3 scripts/real_world_proof_table.py [--reference ../shared/reference]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8s_migrate.catalog import known_versions  # noqa: E402
from k8s_migrate.errors import ProofError  # noqa: E402
from k8s_migrate.migrate.configmap import migrate_manifest  # noqa: E402
from k8s_migrate.migrate.toml import Options, migrate_toml  # noqa: E402
from k8s_migrate.proof import audit_files  # noqa: E402
from k8s_migrate.versions import version_key  # noqa: E402


def comment_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip().startswith("#"))


def inputs(reference: Path):
    for path in sorted((reference / "real-world").glob("*/*")):
        digits = path.parent.name.split("-")[1]
        version = f"{digits[0]}.{digits[1]}.{digits[2]}"
        if path.suffix == ".toml":
            yield path, "toml", version
        elif path.suffix in (".yaml", ".yml") and "configmap" in path.parent.name:
            yield path, "configmap", version


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default=str(ROOT.parent / "shared" / "reference"))
    args = parser.parse_args()
    print(
        "| file | kind | mode | targets | proof failures | audit unexplained | not idempotent | comment lines in/out (min out) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    bad = 0
    for path, kind, version in inputs(Path(args.reference)):
        data = path.read_bytes()
        migrate = migrate_manifest if kind == "configmap" else migrate_toml
        for mode in ("rebase", "edit"):
            targets = [v for v in known_versions() if version_key(v) > version_key(version)]
            failures = unexplained = unstable = 0
            outs = []
            for target in targets:
                try:
                    result = migrate(data, str(path), Options(version, target, mode=mode))
                except ProofError:
                    failures += 1
                    continue
                outs.append(comment_lines(result.output))
                audit = audit_files(data, result.output.encode(), str(path), "out", version, target)
                unexplained += audit.unexplained
                again = migrate(result.output.encode(), str(path), Options(target, target, mode=mode))
                unstable += again.output != result.output
            bad += failures + unexplained + unstable
            print(
                f"| {path.parent.name} | {kind} | {mode} | {version} -> {targets[0]}..{targets[-1]} ({len(targets)}) "
                f"| {failures} | {unexplained} | {unstable} | {comment_lines(data.decode())} / {min(outs) if outs else '-'} |"
            )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
