"""The CLI's commands, one module each. A module registers its commands with ``register(app)``.

Command modules import their heavy dependencies inside the command functions, so that
``k8s-migrate --help`` stays fast. The migrating commands declare their options with
``commands.params`` instead of typer, so that the fast path (k8s_migrate.clispec) runs them without typer.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

MODULES = ["toml", "values", "configmap", "batch", "render", "xml", "rules", "keys", "pr", "validate", "meta", "charts"]


def register_all(app: Any) -> None:
    for name in MODULES:
        import_module(f"{__name__}.{name}").register(app)
    for_typer_all(app)


def for_typer_all(app: Any) -> None:
    from .params import for_typer

    for info in app.registered_commands:
        for_typer(info.callback)
    for group in app.registered_groups:
        for_typer_all(group.typer_instance)
