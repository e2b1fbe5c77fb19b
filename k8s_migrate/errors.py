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


class ProofError(Exception):
    """The output would disagree with its report (k8s_migrate.proof): nothing is written, exit 3."""

    def __init__(self, problems: list, name: str, report=None):
        self.problems = problems
        self.name = name
        self.report = report
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{name}: internal inconsistency at {first.key}: {first.describe()}{more}; "
                         f"nothing written; please report it")
        if report is not None:
            report.notes.extend(f"proof failed: {d.key}: {d.describe()}" for d in problems)


class Exit(Exception):
    """End the command with this exit code; what it had to say is already said (the CLI's typer.Exit, without typer)."""

    def __init__(self, code: int = 0):
        super().__init__(code)
        self.code = code
