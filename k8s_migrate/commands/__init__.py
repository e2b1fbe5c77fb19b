"""The CLI's commands, one module each. A module registers its commands with ``register(app)``.

Command modules import their heavy dependencies inside the command functions, so that
``k8s-migrate --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module

import typer

MODULES = ["toml", "values", "configmap", "batch", "render", "xml", "rules", "keys", "pr", "validate", "meta", "charts"]


def register_all(app: typer.Typer) -> None:
    for name in MODULES:
        import_module(f"{__name__}.{name}").register(app)
