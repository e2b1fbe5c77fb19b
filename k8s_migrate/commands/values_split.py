"""`k8s-migrate values FILE --chart A --to-chart B --to-chart C ... -o DIR`: one values file per target chart."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import ProofError, UsageError
from ..inputs import label as input_name
from ..report import exit_code
from .common import (
    Delivery,
    check_report_path,
    conclude,
    diff_text,
    fail,
    fail_inconsistent,
    finish,
    write_report,
)


@dataclass
class SplitChecks:
    answers_file: Optional[str] = None
    verify: bool = False
    given: list[str] = field(default_factory=list)
    subchart: Optional[str] = None


def split_command(file: str, chart: str, to_charts: list[str], from_version: Optional[str],
                  to_version: Optional[str], keep_old_defaults: bool, d: Delivery, data: bytes,
                  checks: SplitChecks | None = None) -> None:
    """Split, prove each file against its component's instances (exit 3 and nothing written when that fails),
    then write; --verify also prints each file's verification (exit 1 when one is not OK)."""
    from ..answers import load_answers, with_answers
    from ..migrate.split import SplitOptions, split_values
    from ..verify import prove_split

    checks = checks or SplitChecks()
    check_report_path(d.report)
    try:
        if d.in_place:
            raise UsageError("--in-place writes one file; with several --to-chart give -o DIR")
        if not d.output or d.output == "-":
            raise UsageError("several --to-chart write one file per chart: give -o DIR")
        if checks.given:
            raise UsageError("--set gives a value to one new chart; with several --to-chart, migrate to each chart "
                             "on its own to use it (or set it in the written file)")
        if checks.subchart:
            raise UsageError("--subchart is for one --to-chart; a split reads the chart's own values file")
        answers = load_answers(checks.answers_file, None if file == "-" else file)
        options = SplitOptions(from_version, to_version, keep_old_defaults=keep_old_defaults, chart=chart,
                               to_charts=list(to_charts))
        result = with_answers(lambda a: split_values(data, input_name(file), options.answered(a)), answers)
        verifications = prove_split(data, file, chart, result)
    except UsageError as exc:
        fail(exc)
    except ProofError as exc:
        fail_inconsistent(exc, d)
    deliver_split(result, d)
    if checks.verify:
        show_verifications(verifications, d.show_secrets)


def show_verifications(verifications, show_secrets: bool) -> None:
    from ..verify import verification_text

    for f, verification in verifications:
        sys.stderr.write(f"{f.name} ({f.chart}):\n" + verification_text(verification, show_secrets))
    finish(exit_code(findings=not all(v.ok for _, v in verifications)))


def deliver_split(result, d: Delivery) -> None:
    """Write each file into the output directory (or diff/check against what is there), then the report."""
    assert d.output, "split_command refuses a split without -o DIR"
    out_dir = Path(d.output)
    if out_dir.exists() and not out_dir.is_dir():
        fail(UsageError(f"-o {d.output}: not a directory"))
    if d.report == "-" and d.diff and not d.check:
        fail(UsageError("--report - prints JSON on stdout, where the diff goes too; give --report FILE.json"))
    report = result.report.masked(d.show_secrets)
    try:
        changed = write_files(result, out_dir, d)
        write_report(report, d)
    except (UsageError, OSError) as exc:
        fail(exc if isinstance(exc, UsageError) else UsageError(str(exc)))
    conclude(result.report, report, d, changed)


def write_files(result, out_dir: Path, d: Delivery) -> list[str]:
    """Each file of the split into the directory, or its diff against what is there (nothing with --check);
    the paths whose content changes."""
    from ..output import write_atomic

    if not (d.check or d.diff):
        out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for f in result.files:
        if f.output is None:
            continue
        path = out_dir / f.name
        before = path.read_text(encoding="utf-8") if path.is_file() else ""
        if before != f.output:
            changed.append(str(path))
        if d.diff:
            sys.stdout.write(diff_text(before, f.output, str(path), d.show_secrets))
        elif not d.check:
            write_atomic(str(path), f.output, allow_symlink_escape=d.follow_symlinks)
    return changed
