"""What the migrating commands share: the delivery options of the CLI contract, and delivering a result."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NoReturn, Optional, overload

from ..data import load_json
from ..errors import Exit, UsageError
from .params import Option

if TYPE_CHECKING:
    from ..report import Report


class Mode(StrEnum):
    """--mode: rebase builds on the new version's stock file; edit applies the rules to the user's own file."""

    REBASE = "rebase"
    EDIT = "edit"


@overload
def parse_mode(text: str) -> Mode: ...
@overload
def parse_mode(text: None) -> None: ...
def parse_mode(text: str | None) -> Mode | None:
    """The --mode given (None: the command's default), or a one-line usage error."""
    if text is None:
        return None
    try:
        return Mode(text)
    except ValueError:
        raise UsageError(f"--mode must be {' or '.join(Mode)}, not {text!r}") from None


@dataclass
class Delivery:
    """The options every migrating command shares (the CLI contract: README.md, Commands)."""

    file: str
    output: Optional[str]
    in_place: bool
    backup: bool
    report: Optional[str]
    diff: bool
    check: bool
    strict: bool
    show_secrets: bool
    quiet: bool
    follow_symlinks: bool = False
    verbose: bool = False


OUTPUT = Option(None, "-o", "--output", help="Write the result here (default: stdout).")
IN_PLACE = Option(False, "--in-place", help="Replace FILE with the result (atomically).")
BACKUP = Option(False, "--backup", help="With --in-place, keep the original as FILE.bak.")
REPORT = Option(
    None,
    "--report",
    help="Write the report here; .json, .md, .sarif or .txt picks the format (- prints JSON on stdout).",
)
DIFF = Option(False, "--diff", help=(
    "Print a unified diff instead of the result. Exits 0 like git diff, black --diff and helm diff; "
    "add --check to exit 1 when there are changes (kubectl diff's and helm diff --detailed-exitcode's question)."))
CHECK = Option(False, "--check", help=(
    "Write nothing; print 'would migrate FILE' and exit 1 if migrating would change the file (as black --check)."))
STRICT = Option(False, "--strict", help="Exit 1 if the report holds review or unknown entries.")
SHOW_SECRETS = Option(False, "--show-secrets", help="Do not mask secrets in reports and diffs.")
QUIET = Option(False, "-q", "--quiet", help="Do not print the text report on stderr.")
VERBOSE = Option(
    False, "-v", "--verbose", help="List every row of the text report, not only those that need attention."
)
FOLLOW = Option(
    False, "--follow-symlinks", help="Allow --in-place/-o to write through a symlink that leaves its directory."
)
FROM = Option(None, "--from", help=(
    "The API-M version the file is for, e.g. 3.2.0 or 3.2. Left out: detected from the file's keys, server role, "
    "stock-file lines and image tags, with the evidence in the report (asked on a terminal when they do not decide)."))
TO = Option(..., "--to", help="The API-M version to migrate to, e.g. 4.6.0 or 4.6.")
PROFILE = Option(None, "--profile", help=(
    f"The deployment profile, one of: {', '.join(load_json('profiles.json')['profiles'])} (detected when not given)."))
ANSWERS = Option(None, "--answers", help="The answers file (default: .k8s-migrate.yaml at the repository root).")
KEEP_OLD = Option(
    False, "--keep-old-defaults", help="Write old defaults that changed explicitly, so behaviour stays as it was."
)


def finish(code: int) -> None:
    """End the command with ``code`` (a ``report.exit_code``) unless it is 0."""
    if code:
        raise Exit(code)


def fail(exc: Exception) -> NoReturn:
    message = exc.render() if isinstance(exc, UsageError) else str(exc)
    sys.stderr.write(f"k8s-migrate: error: {message}\n")
    raise Exit(2)


def fail_inconsistent(exc: Exception, d: Delivery | None = None) -> NoReturn:
    """The proof failed: the output would disagree with its report. Nothing is written; the report (with
    the diagnosis in its notes) still goes where --report asks."""
    from ..output import write_atomic
    from ..report.renderers import render_for_path

    report = getattr(exc, "report", None)
    if d is not None and d.report and report is not None and d.report != "-":
        with contextlib.suppress(UsageError):
            write_atomic(d.report, render_for_path(report.masked(d.show_secrets), d.report),
                         allow_symlink_escape=d.follow_symlinks)
    sys.stderr.write(f"k8s-migrate: error: {' '.join(str(exc).split())}\n")
    raise Exit(3)


def check_report_path(path: Optional[str]) -> None:
    """--report's format comes from its suffix: refuse an unknown one before anything is written."""
    if path and path != "-":
        from ..report.renderers import renderer_for

        try:
            renderer_for(path)
        except UsageError as exc:
            fail(exc)


def deliver(result, d: Delivery) -> None:
    """Write the report, then the output or diff, and pick the exit code."""
    from ..inputs import label

    refuse_conflicting_targets(d)
    shown = d.report or not d.quiet  # -q without --report shows no report: nothing to mask
    report = result.report.masked(d.show_secrets) if shown else result.report
    try:
        write_report(report, d)
        write_output(result, d)
    except UsageError as exc:
        fail(exc)
    conclude(result.report, report, d, [label(d.file)] if result.report.changed else [])


def refuse_conflicting_targets(d: Delivery) -> None:
    if d.in_place and d.file == "-":
        fail(UsageError("--in-place needs a file, not stdin"))
    if d.in_place and d.output:
        fail(UsageError("give either --in-place or -o, not both"))
    check_report_path(d.report)
    if d.report == "-" and not d.check and (d.diff or (not d.in_place and d.output in (None, "-"))):
        fail(UsageError("--report - prints JSON on stdout, where the result goes too; "
                        "give -o FILE, --in-place or --check, or --report FILE.json"))


def write_output(result, d: Delivery) -> None:
    """The result where the options send it: a diff, nothing (--check), FILE in place, -o FILE or stdout."""
    from ..output import write_atomic

    if d.diff:
        sys.stdout.write(diff_text(result.original, result.output, d.file, d.show_secrets))
    elif d.check:
        return
    elif d.in_place:
        if result.output != result.original:
            write_atomic(d.file, result.output, backup=d.backup, allow_symlink_escape=d.follow_symlinks,
                         in_place=True)
    elif d.output and d.output != "-":
        write_atomic(d.output, result.output, allow_symlink_escape=d.follow_symlinks)
    else:
        sys.stdout.write(result.output)
        sys.stdout.flush()


def diff_text(before: str, after: str, name: str, show_secrets: bool) -> str:
    from ..output import unified_diff
    from ..report.masking import mask_text

    text = unified_diff(before, after, name)
    return text if show_secrets else mask_text(text)


def write_report(report: Report, d: Delivery) -> None:
    """--report: JSON on stdout for -, else the format its suffix names."""
    if not d.report:
        return
    from ..output import write_atomic
    from ..report.renderers import render_for_path

    if d.report == "-":
        sys.stdout.write(render_for_path(report, ".json"))
    else:
        write_atomic(d.report, render_for_path(report, d.report), allow_symlink_escape=d.follow_symlinks)


def conclude(unmasked: Report, report: Report, d: Delivery, changed: list[str]) -> None:
    """After the writing: the text report on stderr, what --check would migrate, and the exit code."""
    if not d.quiet:
        from ..report.renderers import terminal_text

        sys.stderr.write(terminal_text(report, d.verbose))
    if d.check:
        sys.stderr.write("".join(f"would migrate {path}\n" for path in changed))
    finish(unmasked.exit_code(d.check, d.strict, changed=bool(changed)))
