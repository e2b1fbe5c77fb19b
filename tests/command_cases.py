"""The migrating commands the robustness tests loop over. A new command is one entry here.

Each command is run on inputs of its own kind (``kind`` names the folder under tests/malformed/ and the
file suffix). Commands that are not registered yet are skipped with the reason, so their cases already
sit in the corpus and start running the day the command lands.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Command:
    name: str
    kind: str  # toml | yaml
    args: tuple[str, ...]  # everything but FILE and the delivery options

    @property
    def suffix(self) -> str:
        return "." + self.kind


COMMANDS = [
    Command("toml", "toml", ("--from", "4.2", "--to", "4.6", "--mode", "edit")),
    Command("toml", "toml", ("--from", "3.2", "--to", "4.6")),
    Command("values", "yaml", ("--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x")),
    Command("configmap", "yaml", ("--from", "4.0", "--to", "4.6")),
]


def registered(name: str) -> bool:
    from k8s_migrate.cli import app

    return name in [c.name for c in app.registered_commands]


def params(kind: str | None = None) -> list:
    """pytest params for the commands of a kind, each skipped until its command is registered."""
    out = []
    for command in COMMANDS:
        if kind and command.kind != kind:
            continue
        marks = [] if registered(command.name) else [
            pytest.mark.skip(reason=f"'k8s-migrate {command.name}' is not registered yet")]
        out.append(
            pytest.param(command, id=f"{command.name}{'-' + command.args[-1] if command.args else ''}", marks=marks)
        )
    return out
