"""The command line without typer, for the runs that do not need it.

``clispec.json`` holds, for every command, its help page (helptext.page); ``clispec-fast.json``, for the commands
in ``FAST``, their parameters as click sees them (a run reads only these: parsing the help pages too took half a
millisecond of every run). Both are generated from the typer app (``python scripts/write_cli_spec.py``; a test
checks the files equal what the app gives). ``dispatch`` answers `--help` from the pages and runs a
FAST command whose arguments it fully understands; anything else (an unknown or doubled option, a missing
argument, `--`, clustered short flags) it leaves to typer, whose messages and exit codes are the contract.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache

from .data import parse_json

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy reads this block
if TYPE_CHECKING:
    from typing import Any

SPEC = os.path.join(os.path.dirname(__file__), "clispec.json")  # os.path, not pathlib: --help counts its imports
FAST_SPEC = os.path.join(os.path.dirname(__file__), "clispec-fast.json")
RUN_ONLY = ("callback", "params")  # what FAST_SPEC holds of a command
FAST = ("toml", "values", "configmap", "batch", "render", "verify")
HELP = ("--help", "-h")
TYPES = {"str": str, "text": str, "int": int, "integer": int, "boolean": bool}
TYPER_ONLY = ("K8S_MIGRATE_MAPPINGS", "_K8S_MIGRATE_COMPLETE")  # help built from other data; completion


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The spec as ``build`` gives it: both files."""
    with open(SPEC, encoding="utf-8") as fh:
        spec = parse_json(fh.read())
    for name, entry in load_fast()["commands"].items():
        spec["commands"][name].update(entry)
    return spec


@lru_cache(maxsize=1)
def load_fast() -> dict[str, Any]:
    with open(FAST_SPEC, encoding="utf-8") as fh:
        return parse_json(fh.read())


def split(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``build``'s spec as the two files hold it: (pages, FAST commands' callbacks and parameters)."""
    pages = {name: {k: v for k, v in entry.items() if k not in RUN_ONLY} for name, entry in spec["commands"].items()}
    fast = {name: {k: entry[k] for k in RUN_ONLY} for name, entry in spec["commands"].items() if name in FAST}
    return {"commands": pages}, {"commands": fast}


def build(root: Any) -> dict[str, Any]:
    """The spec of a click command tree: the typer app's as it is now is ``build(cli.command())``."""
    from .helptext import page

    commands: dict[str, Any] = {}

    def visit(cmd: Any, path: list[str], parent: Any) -> None:
        ctx = cmd.context_class(cmd, info_name=path[-1] if path else "k8s-migrate", parent=parent,
                                **cmd.context_settings)
        entry: dict[str, Any] = {"page": page(cmd, ctx), "group": hasattr(cmd, "commands")}
        if " ".join(path) in FAST:
            callback = cmd.callback.__wrapped__
            entry["callback"] = f"{callback.__module__}:{callback.__qualname__}"
            entry["params"] = [parameter(p) for p in cmd.params]
        commands[" ".join(path)] = entry
        for name in cmd.list_commands(ctx) if entry["group"] else []:
            visit(cmd.get_command(ctx, name), [*path, name], ctx)

    visit(root, [], None)
    return {"commands": commands}


def parameter(param: Any) -> dict[str, Any]:
    if param.type.name not in TYPES or param.nargs != 1 or param.envvar or param.callback:
        raise ValueError(f"the fast path cannot parse {param.name} ({param.type.name}); leave its command to typer")
    option = param.param_type_name == "option"
    default = param.default
    return {"name": param.name, "opts": [*param.opts, *param.secondary_opts] if option else [],
            "flag": bool(option and param.is_flag), "multiple": bool(param.multiple), "required": param.required,
            "type": param.type.name, "default": list(default or []) if param.multiple else default}


def dispatch(argv: list[str]) -> int | None:
    """The exit code of a run answered here, or None for typer to answer."""
    asks_help = argv[-1:] in (["--help"], ["-h"])
    if any(os.environ.get(name) for name in TYPER_ONLY) or not (asks_help or len(argv) <= 1 or argv[0] in FAST):
        return None
    if asks_help or len(argv) <= 1:
        entry = load()["commands"].get(" ".join(argv[:-1] if asks_help else argv))
        if entry is not None and (asks_help or entry["group"]):
            from .helptext import render

            sys.stdout.write(render(entry["page"]))
            return 0
    entry = load_fast()["commands"].get(argv[0]) if argv and argv[0] in FAST else None
    arguments = parse(entry["params"], argv[1:]) if entry is not None else None
    if entry is None or arguments is None:
        return None
    return run(entry["callback"], arguments)


def parse(params: list[dict[str, Any]], args: list[str]) -> dict[str, Any] | None:
    """The command's keyword arguments, as typer would pass them; None when typer should read ``args``."""
    options = {opt: p for p in params for opt in p["opts"]}
    given: dict[str, Any] = {}
    positional: list[str] = []
    rest = list(args)
    while rest:
        token = rest.pop(0)
        if token == "-" or not token.startswith("-"):
            positional.append(token)
            continue
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        param = options.get(name)
        if param is None or (param["flag"] and equals) or (param["name"] in given and not param["multiple"]):
            return None
        if param["flag"]:
            value: Any = True
        elif equals:
            value = inline
        elif rest and (rest[0] == "-" or not rest[0].startswith("-")):
            value = rest.pop(0)
        else:
            return None
        if param["multiple"]:
            given.setdefault(param["name"], []).append(value)
        else:
            given[param["name"]] = value
    arguments = [p for p in params if not p["opts"]]
    required = [p["required"] for p in arguments]
    if required != sorted(required, reverse=True) or not sum(required) <= len(positional) <= len(arguments):
        return None  # an optional argument before a required one: click's to place
    given.update((p["name"], value) for p, value in zip(arguments, positional, strict=False))
    out = {}
    for p in params:
        if p["name"] not in given:
            if p["required"]:
                return None
            out[p["name"]] = list(p["default"]) if p["multiple"] else p["default"]
            continue
        try:
            convert = TYPES[p["type"]]
            value = given[p["name"]]
            out[p["name"]] = [convert(v) for v in value] if p["multiple"] else convert(value)
        except ValueError:
            return None
    return out


def run(callback: str, arguments: dict[str, Any]) -> int:
    """Call the command as typer's main would, with its handling of Exit, Ctrl-C, end of input and a closed pipe."""
    import errno
    from importlib import import_module

    from .errors import Exit

    module, name = callback.split(":")
    try:
        result = getattr(import_module(module), name)(**arguments)
    except Exit as exc:
        return exc.code
    except KeyboardInterrupt:
        return 130
    except EOFError:
        sys.stderr.write("\nk8s-migrate: aborted\n")
        return 1
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.stdout, sys.stderr = QuietFlush(sys.stdout), QuietFlush(sys.stderr)
        return 1
    return result if isinstance(result, int) else 0


class QuietFlush:
    """A stream whose flush ignores a closed pipe (click's PacifyFlushWrapper), for the exit after one."""

    def __init__(self, stream: Any):
        self.stream = stream

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            import errno

            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
