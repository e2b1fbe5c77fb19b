"""Help pages in the form kubectl, helm and click users know: `toml [OPTIONS] FILE`, `--from VERSION`.

Typer's own help rendering changes between releases (recent ones print `{file}`, `<str>`,
`<list[str]>`), so every command's help is written here from the click parameters: the metavar an
option declares, or its name in capitals. Command summaries are the first sentence of their help,
never cut mid-word.
"""

from __future__ import annotations

import os
import sys
import textwrap

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy reads this block
if TYPE_CHECKING:
    from typing import Any

OPTION_METAVARS = {
    "--from": "VERSION", "--to": "VERSION", "--version": "VERSION",
    "--chart": "CHART", "--to-chart": "CHART",
    "--output": "PATH", "--report": "PATH", "--onto": "FILE", "--answers": "FILE", "--manifest": "FILE",
    "--body-file": "FILE", "--packs": "DIR", "--golden": "DIR", "--chart-dir": "DIR", "--to-chart-dir": "DIR",
    "--mode": "rebase|edit", "--profile": "PROFILE", "--workers": "N", "--set": "KEY=VALUE",
    "--instance": "NAME", "--release-name": "NAME", "--namespace": "NAME", "--remote": "NAME",
    "--base": "BRANCH", "--branch": "BRANCH",
}
ARGUMENT_METAVARS = {"conf": "CONF_DIR|FILE", "directory": "DIR", "rule_id": "RULE_ID"}


def metavar(param: Any) -> str:
    if getattr(param, "metavar", None):
        return param.metavar
    for opt in getattr(param, "opts", []):
        if opt in OPTION_METAVARS:
            return OPTION_METAVARS[opt]
    name = param.name or "value"
    return ARGUMENT_METAVARS.get(name, name.upper())


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False))


def _is_option(param: Any) -> bool:
    return bool(getattr(param, "opts", None)) and param.opts[0].startswith("-")


def _repeats(param: Any) -> bool:
    return bool(getattr(param, "multiple", False)) or getattr(param, "nargs", 1) != 1


def usage_pieces(command: Any, ctx: Any) -> list[str]:
    pieces = ["[OPTIONS]"]
    for param in command.get_params(ctx):
        if _is_option(param) or getattr(param, "hidden", False):
            continue
        name = metavar(param) + ("..." if _repeats(param) else "")
        pieces.append(name if param.required else f"[{name}]")
    if hasattr(command, "commands"):
        pieces.append("COMMAND [ARGS]...")
    return pieces


def summary(command: Any) -> str:
    text = (command.short_help or command.help or "").strip().split("\n\n")[0]
    text = " ".join(text.split())
    end = text.find(". ")
    return text[: end + 1] if end != -1 else text


def _default(param: Any) -> str:
    default = getattr(param, "default", None)
    if _is_flag(param) or default in (None, "", (), []) or getattr(param, "show_default", None) is False:
        return ""
    return f"  [default: {default}]"


def _width() -> int:
    return max(40, min(_terminal_columns(), 100))


def _terminal_columns() -> int:
    """shutil.get_terminal_size((80, 24)).columns, without importing shutil (the fast help path counts)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """Wrap at spaces only: ids such as helm-apim/all-in-one@4.6.x and control-plane stay whole."""
    return textwrap.wrap(text, width, initial_indent=indent if first is None else first, subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False) or [indent]


def _help_text(help_text: str, width: int) -> list[str]:
    """The help's paragraphs, wrapped; a paragraph that starts with \\b keeps its lines as written."""
    lines: list[str] = []
    for paragraph in help_text.split("\n\n"):
        if not paragraph.strip():
            continue
        if paragraph.startswith("\b"):
            lines += ["  " + line for line in paragraph[2:].strip("\n").splitlines()]
        else:
            lines += _wrap(" ".join(paragraph.split()), width, "  ")
        lines.append("")
    return lines


def _rows(rows: list[tuple[str, str]], width: int) -> list[str]:
    first = min(max(len(name) for name, _ in rows), 24) + 4
    out = []
    for name, text in rows:
        head = f"  {name}"
        if len(head) + 2 > first:
            out.append(head)
            out += _wrap(text, width, " " * first) if text else []
        else:
            out += _wrap(text, width, " " * first, head.ljust(first))
    return out


def page(command: Any, ctx: Any) -> dict[str, Any]:
    """What a command's help says, before it is wrapped to a terminal's width (plain data: see clispec)."""
    import inspect

    arguments, options = [], []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if _is_option(param):
            opts = sorted(param.opts, key=lambda o: not (o.startswith("-") and not o.startswith("--")))
            names = ", ".join(opts + list(getattr(param, "secondary_opts", [])))
            if not _is_flag(param):
                names += " " + metavar(param) + ("..." if getattr(param, "nargs", 1) != 1 else "")
            help_text = (param.help or "") + _default(param)
            if param.required:
                help_text += "  [required]"
            options.append([names, help_text])
        else:
            arguments.append([metavar(param), getattr(param, "help", None) or ""])
    options[-1:-1] = [list(row) for row in getattr(command, "help_extra_options", [])]
    commands = []
    if hasattr(command, "commands"):
        commands = [[name, summary(sub)] for name in command.list_commands(ctx)
                    if (sub := command.get_command(ctx, name)) is not None and not sub.hidden]
    return {"path": ctx.command_path, "usage": " ".join(usage_pieces(command, ctx)),
            "help": inspect.cleandoc(command.help or ""),
            "sections": [[title, rows] for title, rows in (("Arguments", arguments), ("Options", options),
                                                            ("Commands", commands)) if rows]}


def render(help_page: dict[str, Any], width: int | None = None) -> str:
    """A page wrapped to ``width`` (default: the terminal's, between 40 and 100 columns)."""
    width = width or _width()
    lines = _wrap(help_page["usage"], width, " " * 8, f"Usage: {help_page['path']} ")
    lines.append("")
    lines += _help_text(help_page["help"], width)
    for title, rows in help_page["sections"]:
        lines += [f"{title}:", *_rows([tuple(row) for row in rows], width), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def format_help(command: Any, ctx: Any, formatter: Any) -> None:
    formatter.write(render(page(command, ctx)))


def install(command: Any) -> Any:
    """Give this click command, and every command under it, the help page above (and errors that name an
    argument as its help does: "Missing argument 'FILE'")."""
    import types

    command.format_help = types.MethodType(format_help, command)
    for param in getattr(command, "params", []):
        if not _is_option(param) and not getattr(param, "metavar", None):
            param.metavar = metavar(param)
    for sub in getattr(command, "commands", {}).values():
        install(sub)
    return command
