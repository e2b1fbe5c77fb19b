"""`k8s-migrate keys --version V [PREFIX]`: the catalog of one API-M version, with defaults."""

from __future__ import annotations

from typing import Optional

import typer

from .common import fail


def register(app: typer.Typer) -> None:
    app.command("keys")(keys_command)


def keys_command(
    prefix: Optional[str] = typer.Argument(None, help="Only keys under this one, e.g. apim.cache."),
    version: str = typer.Option(..., "--version", help="The API-M version, e.g. 4.6.0 or 4.6."),
) -> None:
    """List the deployment.toml keys a version knows, with their defaults."""
    from ..catalog import load_catalog, resolve_version
    from ..errors import UsageError
    from ..versions import VersionError

    try:
        catalog = load_catalog(resolve_version(version))
    except VersionError as exc:
        fail(UsageError(str(exc)))
    try:
        rows = catalog_rows(catalog, prefix)
    except ValueError as exc:
        fail(UsageError(f"not a key: {prefix!r} ({exc})"))
    if not rows:
        hint = did_you_mean(catalog, prefix or "")
        typer.echo(f"k8s-migrate: {catalog.version} knows no key under {prefix!r}"
                   + (f"; did you mean {hint}?" if hint else ""), err=True)
        raise typer.Exit(1)
    if catalog.partial:
        typer.echo(f"note: the {catalog.version} catalog is partial: {catalog.partial_note}", err=True)
    for key, default in rows:
        typer.echo(f"{key} = {default}" if default is not None else key)


def catalog_rows(catalog, prefix: str | None) -> list[tuple[str, str | None]]:
    """(key, default as JSON text or None) for every known key under ``prefix``, sorted."""
    import json

    from ..hub import matches, parse_key

    wanted = parse_key(prefix.rstrip(".")) if prefix else None
    rows = []
    for key in catalog.known.key_texts:
        if wanted is not None and not matches(wanted, parse_key(key), prefix=True):
            continue
        found, value, _ = catalog.default(key) if "*" not in key and "[]" not in key else (False, None, None)
        rows.append((key, json.dumps(value, ensure_ascii=False) if found else None))
    return rows


def did_you_mean(catalog, prefix: str) -> str | None:
    """The known key or table closest to what was typed."""
    import difflib

    names: set[str] = set()
    for key in catalog.known.key_texts:
        parts = key.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    close = difflib.get_close_matches(prefix.rstrip("."), sorted(names), n=1, cutoff=0.6)
    return close[0] if close else None
