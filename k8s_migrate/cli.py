"""The command line: thin. Each command parses options, calls one pipeline function, delivers, exits."""

from __future__ import annotations

import os
import sys
from functools import lru_cache


def __getattr__(name: str):
    if name == "app":
        return typer_app()
    raise AttributeError(name)


@lru_cache(maxsize=1)
def typer_app():
    """The typer app with every command, built on first use: `k8s-migrate version` never imports typer."""
    import typer

    app = typer.Typer(
        name="k8s-migrate",
        help=(
            "Migrate WSO2 API Manager configuration to a newer API-M version.\n\n"
            "Reads a deployment.toml, a Helm values file or a ConfigMap, carries your customisations over "
            "through cited rules, and reports what happened to every key.\n\n"
            "\b\nExamples:\n"
            "  k8s-migrate toml deployment.toml --from 3.2.0 --to 4.6.0 -o new.toml --report report.md\n"
            "  k8s-migrate toml deployment.toml --from 4.2 --to 4.6 --mode edit --diff\n"
            "  helm get values REL -o yaml | k8s-migrate values - \\\n"
            "      --chart helm-apim/all-in-one@4.2.x --to-chart helm-apim/all-in-one@4.6.x\n"
            "  k8s-migrate verify old/deployment.toml new/deployment.toml --from 4.2 --to 4.6\n\n"
            "Every migration is proven before it is written: the output is read back, and each change must "
            "be one the report explains.\n\n"
            "Exit codes: 0 done, 1 --check found changes or --strict found review/unknown entries, "
            "2 bad input or usage, 3 internal inconsistency: nothing written; please report it. "
            "'k8s-migrate version' lists the versions and charts it knows."
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

    from .commands import register_all

    register_all(app)
    return app


def _click_exceptions():
    """Typer vendors click from 0.20 on; older releases use click itself."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click import exceptions  # type: ignore[import-not-found]  # installed only with typer < 0.20
    return exceptions


ONE_FILE = (["toml"], ["values"], ["configmap"], ["verify"], ["render"])
DATACLASSES = (*ONE_FILE, ["batch"])  # the commands whose modules define dataclasses (render's do not)


def main() -> None:
    """The process. A command that defines dataclasses takes their code from earlier runs (codecache). A one-file
    run (``ONE_FILE``) frees nothing worth a collector pass before it ends, and ends without the interpreter's
    teardown; on a small file those two took a fifth of the run."""
    import gc

    one_file = sys.argv[1:2] in ONE_FILE
    if one_file:
        gc.disable()
    cached = sys.argv[1:2] in DATACLASSES and sys.argv[-1] not in ("--help", "-h")
    if cached:
        from .codecache import install

        install(sys.argv[1])
    code = run_app()
    if cached:
        from .codecache import save

        save()
    if not one_file or not nothing_waits_for_exit():
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed pipe: the interpreter's own exit reports it as it always did
        sys.exit(code)
    os._exit(code)


def nothing_waits_for_exit() -> bool:
    """No exit handler, profiler (python -m cProfile), tracer (coverage) or other thread that the interpreter's
    own exit would run, save or wait for."""
    import atexit

    threading = sys.modules.get("threading")
    return (atexit._ncallbacks() == 0 and sys.getprofile() is None and sys.gettrace() is None
            and (threading is None or threading.active_count() == 1))


def command():
    """The click command tree, with help pages that name their placeholders (see helptext)."""
    import typer

    from .helptext import install

    root_command = install(typer.main.get_command(typer_app()))
    # run_app answers --version before parsing: a typer option would load typer's value adapters on every run
    root_command.help_extra_options = [("--version", "Print the version and the data it carries, and exit.")]
    return root_command


def _print_help(ctx) -> int:
    """No command given (`k8s-migrate`, `k8s-migrate rules`): the normal help on stdout, as kubectl and helm do."""
    sys.stdout.write(ctx.get_help() + "\n")
    return 0


def _silent(*_args, **_kwargs) -> None:
    """ruamel.yaml, on import, asks for its YAML 1.1 float warning ('1e3' has no dot) to be shown once."""


def run_app() -> int:
    """Run the app; every failure becomes one line on stderr and an exit code, never a traceback."""
    import warnings

    warnings.simplefilter("ignore")  # library warnings are not messages for an operator; the report is
    warnings.showwarning = _silent  # also for a library that puts its own filter first when it is imported
    if sys.argv[1:] in (["--version"], ["version"]):
        from .about import version_text

        sys.stdout.write(version_text())
        return 0
    try:
        from .clispec import dispatch

        answered = dispatch(sys.argv[1:])
        return run_typer() if answered is None else answered
    except KeyboardInterrupt:
        sys.stderr.write("k8s-migrate: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the last net: a bug must still not show a traceback
        return failure(exc)


def run_typer() -> int:
    import typer

    from .errors import Exit

    click = _click_exceptions()
    if os.environ.get("_K8S_MIGRATE_COMPLETE"):
        from typer._completion_classes import completion_init

        completion_init()
    try:
        code = command().main(prog_name="k8s-migrate", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except Exit as exc:
        return exc.code
    except click.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            return _print_help(exc.ctx)
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        sys.stderr.write(f"k8s-migrate: error: {' '.join(exc.format_message().split())}{hint}\n")
        return 2
    except click.ClickException as exc:
        sys.stderr.write(f"k8s-migrate: error: {' '.join(exc.format_message().split())}\n")
        return 2


def failure(exc: Exception) -> int:
    from .errors import ProofError

    if isinstance(exc, ProofError):
        sys.stderr.write(f"k8s-migrate: error: {' '.join(str(exc).split())}\n")
        return 3
    if type(exc).__name__ == "Abort":
        sys.stderr.write("k8s-migrate: aborted\n")
        return 1
    sys.stderr.write(f"k8s-migrate: error: internal error: {type(exc).__name__}: {' '.join(str(exc).split())}"
                     " (please report it with the input that caused it)\n")
    return 2


if __name__ == "__main__":
    main()
