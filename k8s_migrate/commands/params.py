"""Option and Argument declarations that need no typer: the fast path (k8s_migrate.clispec) calls the
commands that use them without importing typer; ``for_typer`` hands typer its own at registration."""

from __future__ import annotations

from typing import Any, Callable


class Declared:
    """``typer.Option(default, *decls, **info)`` or ``typer.Argument(default, **info)``, not yet made."""

    def __init__(self, kind: str, default: Any, decls: tuple[str, ...], info: dict[str, Any]):
        self.kind, self.default, self.decls, self.info = kind, default, decls, info

    def for_typer(self) -> Any:
        import typer

        return getattr(typer, self.kind)(self.default, *self.decls, **self.info)


def Option(default: Any, *decls: str, **info: Any) -> Any:  # noqa: N802 - typer's name
    return Declared("Option", default, decls, info)


def Argument(default: Any, **info: Any) -> Any:  # noqa: N802 - typer's name
    return Declared("Argument", default, (), info)


def for_typer(function: Callable[..., Any]) -> Callable[..., Any]:
    """The command with a signature typer reads: every Declared default made into typer's Option/Argument."""
    if not any(isinstance(default, Declared) for default in function.__defaults__ or ()):
        return function
    import inspect

    signature = inspect.signature(function)  # annotations stay text: typer reads them with get_type_hints
    function.__signature__ = signature.replace(parameters=[  # type: ignore[attr-defined]  # what typer reads
        p.replace(default=p.default.for_typer()) if isinstance(p.default, Declared) else p
        for p in signature.parameters.values()])
    return function
