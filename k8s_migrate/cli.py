"""The command line: thin. Each command parses options, calls one pipeline function, delivers, exits."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional

import typer

from .errors import UsageError

app = typer.Typer(
    name="k8s-migrate",
    help=(
        "Migrate WSO2 API Manager configuration to a newer API-M version.\n\n"
        "Reads a deployment.toml, a Helm values file or a ConfigMap, carries your customisations over "
        "through cited rules, and reports what happened to every key.\n\n"
        "Examples:\n\n"
        "  k8s-migrate toml deployment.toml --from 3.2.0 --to 4.6.0 -o new.toml --report report.md\n\n"
        "  k8s-migrate toml deployment.toml --from 4.2 --to 4.6 --mode edit --diff\n\n"
        "  helm get values REL -o yaml | k8s-migrate values - --chart helm-apim/all-in-one@4.2.x --to-chart helm-apim/all-in-one@4.6.x\n\n"
        "Exit codes: 0 done, 1 --check found changes or --strict found review/unknown entries, 2 bad input or usage."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root() -> None:
    """Migrate WSO2 API Manager configuration to a newer API-M version."""


@dataclass
class Delivery:
    """The options every migrating command shares (see DESIGN.md's CLI contract)."""

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


OUTPUT = typer.Option(None, "-o", "--output", help="Write the result here (default: stdout).")
IN_PLACE = typer.Option(False, "--in-place", help="Replace FILE with the result (atomically).")
BACKUP = typer.Option(False, "--backup", help="With --in-place, keep the original as FILE.bak.")
REPORT = typer.Option(None, "--report", help="Write the report here; .json, .md, .sarif or .txt picks the format.")
DIFF = typer.Option(False, "--diff", help="Print a unified diff instead of the result.")
CHECK = typer.Option(False, "--check", help="Write nothing; exit 1 if migrating would change the file.")
STRICT = typer.Option(False, "--strict", help="Exit 1 if the report holds review or unknown entries.")
SHOW_SECRETS = typer.Option(False, "--show-secrets", help="Do not mask secrets in reports and diffs.")
QUIET = typer.Option(False, "-q", "--quiet", help="Do not print the text report on stderr.")
FOLLOW = typer.Option(False, "--follow-symlinks", help="Allow --in-place/-o to write through a symlink that leaves its directory.")
FROM = typer.Option(..., "--from", help="The API-M version the file is for, e.g. 3.2.0 or 3.2.")
TO = typer.Option(..., "--to", help="The API-M version to migrate to, e.g. 4.6.0 or 4.6.")
PROFILE = typer.Option(None, "--profile", help="all-in-one, control-plane, gateway, traffic-manager, key-manager (detected when not given).")
KEEP_OLD = typer.Option(False, "--keep-old-defaults", help="Write old defaults that changed explicitly, so behaviour stays as it was.")


def fail(exc: Exception) -> None:
    message = exc.render() if isinstance(exc, UsageError) else str(exc)
    sys.stderr.write(f"k8s-migrate: error: {message}\n")
    raise typer.Exit(2)


@app.command("toml")
def toml_command(
    file: str = typer.Argument(..., help="The deployment.toml to migrate, or - for stdin."),
    from_version: str = FROM,
    to_version: str = TO,
    profile: Optional[str] = PROFILE,
    onto: Optional[str] = typer.Option(None, "--onto", help="The new version's stock deployment.toml to build on (default: the built-in baseline)."),
    mode: str = typer.Option("rebase", "--mode", help="rebase: the new stock file with your customisations; edit: the rules applied to your own file."),
    keep_old_defaults: bool = KEEP_OLD,
    output: Optional[str] = OUTPUT, in_place: bool = IN_PLACE, backup: bool = BACKUP, report: Optional[str] = REPORT,
    diff: bool = DIFF, check: bool = CHECK, strict: bool = STRICT, show_secrets: bool = SHOW_SECRETS, quiet: bool = QUIET,
    follow_symlinks: bool = FOLLOW,
) -> None:
    """Migrate a deployment.toml (a VM or container install)."""
    delivery = Delivery(file, output, in_place, backup, report, diff, check, strict, show_secrets, quiet, follow_symlinks)
    try:
        from .output import read_input
        from .pipeline import Options, migrate_toml

        if mode not in ("rebase", "edit"):
            raise UsageError(f"--mode must be rebase or edit, not {mode!r}")
        data = read_input(file)
        options = Options(from_version, to_version, mode=mode, profile=profile, keep_old_defaults=keep_old_defaults)
        if onto:
            options.onto, options.onto_name = read_input(onto), onto
        result = migrate_toml(data, file, options)
    except UsageError as exc:
        fail(exc)
    deliver(result, delivery)


def deliver(result, d: Delivery) -> None:
    """Write the output or diff, the report, and pick the exit code."""
    from .output import unified_diff, write_atomic
    from .report.masking import mask_text, secret_values
    from .report.renderers import render_for_path, render_text

    if d.in_place and d.file == "-":
        fail(UsageError("--in-place needs a file, not stdin"))
    if d.in_place and d.output:
        fail(UsageError("give either --in-place or -o, not both"))
    report = result.report.masked(d.show_secrets)
    try:
        if d.report:
            write_atomic(d.report, render_for_path(report, d.report), allow_symlink_escape=d.follow_symlinks)
        if d.check:
            pass
        elif d.diff:
            text = unified_diff(result.original, result.output, d.file)
            if not d.show_secrets:
                secrets = secret_values([(e.old_key or "", e.old_value) for e in result.report.entries]
                                        + [(e.new_key or "", e.new_value) for e in result.report.entries])
                text = mask_text(text, secrets)
            sys.stdout.write(text)
        elif d.in_place:
            if result.output != result.original:
                write_atomic(d.file, result.output, backup=d.backup, allow_symlink_escape=d.follow_symlinks)
        elif d.output:
            write_atomic(d.output, result.output, allow_symlink_escape=d.follow_symlinks)
        else:
            sys.stdout.write(result.output)
            sys.stdout.flush()
    except UsageError as exc:
        fail(exc)
    if not d.quiet:
        sys.stderr.write(render_text(report))
    if d.check and result.report.changed:
        raise typer.Exit(1)
    if d.strict and result.report.needs_attention():
        raise typer.Exit(1)


def _click_exceptions():
    """Typer vendors click from 0.20 on; older releases use click itself."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click import exceptions
    return exceptions


def main() -> None:
    sys.exit(run_app())


def run_app() -> int:
    """Run the app; every failure becomes one line on stderr and an exit code, never a traceback."""
    click = _click_exceptions()
    try:
        code = app(standalone_mode=False)
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        sys.stderr.write(f"k8s-migrate: error: {' '.join(exc.format_message().split())}{hint}\n")
        return 2
    except click.ClickException as exc:
        sys.stderr.write(f"k8s-migrate: error: {' '.join(exc.format_message().split())}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("k8s-migrate: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the last net: a bug must still not show a traceback
        if type(exc).__name__ == "Abort":
            sys.stderr.write("k8s-migrate: aborted\n")
            return 1
        sys.stderr.write(f"k8s-migrate: error: internal error: {type(exc).__name__}: {' '.join(str(exc).split())}"
                         " (please report it with the input that caused it)\n")
        return 2


if __name__ == "__main__":
    main()
