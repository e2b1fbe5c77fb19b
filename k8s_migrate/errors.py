"""Errors that reach the user as one line on stderr and exit code 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input or usage: the CLI prints ``k8s-migrate: error: <message>`` and exits 2."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        self.message = " ".join(str(message).split())
        self.file = file
        self.line = line
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return where + self.message
