"""`k8s-migrate charts pull ID`: a built-in chart's templates into the user's cache, for render/verify."""

from __future__ import annotations

from typing import Optional

import typer

from ..errors import UsageError
from .common import fail

charts_app = typer.Typer(help="Fetch the charts that render and verify need.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(charts_app, name="charts")


@charts_app.command("pull")
def pull_command(
    chart: str = typer.Argument(..., help="A built-in chart id, e.g. helm-apim/all-in-one@4.6.x."),
    repo: Optional[str] = typer.Option(
        None, "--repo", help="The Helm chart repository URL (default: WSO2's public repository)."
    ),
) -> None:
    """Fetch a chart (index.yaml + archive, sha256 checked; helm pull when helm is on PATH) into the cache."""
    try:
        from ..charts.chartmap import load_map
        from ..charts.pull import pull

        path = pull(load_map(chart), repo)
    except UsageError as exc:
        fail(exc)
    typer.echo(str(path))
