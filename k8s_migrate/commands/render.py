"""`k8s-migrate render` and `k8s-migrate verify`: a chart's deployment.toml without helm, and the check
that a values migration renders to what the TOML migration says."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ..errors import UsageError
from .common import fail

RENDERER_HELP = "builtin (the Go-template evaluator in k8s-migrate) or helm (`helm template`, helm on PATH or $K8S_MIGRATE_HELM)."
CHART_DIR_HELP = "The chart directory, when --chart is a built-in id whose templates are not available here."


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)
    app.command("verify")(verify_command)


def render_command(
    file: str = typer.Argument(..., help="The values file, or - for stdin."),
    chart: str = typer.Option(..., "--chart", help="A chart directory, or a built-in id such as helm-apim/all-in-one@4.5.x."),
    instance: Optional[str] = typer.Option(None, "--instance", help="Which deployment.toml, e.g. instance-2 (default: the first)."),
    release_name: str = typer.Option("release", "--release-name", help=".Release.Name"),
    namespace: str = typer.Option("default", "--namespace", help=".Release.Namespace"),
    chart_dir: Optional[str] = typer.Option(None, "--chart-dir", help=CHART_DIR_HELP),
    renderer: str = typer.Option("builtin", "--renderer", help=RENDERER_HELP),
) -> None:
    """Print the deployment.toml that a chart renders from a values file (values merged over the chart's)."""
    try:
        from ..charts.render import TemplateError, load_values_text, render_deployment_toml
        from ..output import read_input
        from ..verify import chart_directory

        values = load_values_text(read_input(file).decode("utf-8-sig"))
        try:
            text = render_deployment_toml(chart_directory(chart_dir or chart), values, instance, release_name, namespace,
                                          _renderer(renderer))
        except TemplateError as exc:
            raise UsageError(str(exc)) from None
    except UsageError as exc:
        fail(exc)
    sys.stdout.write(text)


def verify_command(
    file: str = typer.Argument(..., help="The values file for --chart."),
    chart: str = typer.Option(..., "--chart", help="The chart the values are for (built-in id or directory)."),
    to_chart: str = typer.Option(..., "--to-chart", help="The chart to migrate to (built-in id or directory)."),
    instance: Optional[str] = typer.Option(None, "--instance", help="Compare only this instance, e.g. instance-2 (default: every instance)."),
    chart_dir: Optional[str] = typer.Option(None, "--chart-dir", help=CHART_DIR_HELP),
    to_chart_dir: Optional[str] = typer.Option(None, "--to-chart-dir", help="The directory of --to-chart, as --chart-dir."),
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Do not mask secret values in the differences."),
    given: list[str] = typer.Option([], "--set", help="KEY=VALUE for the new chart, as helm --set: a manual step the report asks for (e.g. a required encryption key). Repeatable."),
    renderer: str = typer.Option("builtin", "--renderer", help=RENDERER_HELP),
    subchart: Optional[str] = typer.Option(None, "--subchart", help="The alias under which an umbrella chart's values file holds --chart's values (default: detected)."),
) -> None:
    """Check a values migration: render before and after, compare with the TOML migration of the render."""
    try:
        from ..output import read_input
        from ..verify import render_text

        pairs = dict(_pair(item) for item in given)
        result = verify_values(read_input(file), file, chart, to_chart, instance, chart_dir, to_chart_dir, pairs,
                               _renderer(renderer), subchart)
    except UsageError as exc:
        fail(exc)
    sys.stdout.write(render_text(result, show_secrets))
    raise typer.Exit(0 if result.ok else 1)


def verify_values(data: bytes, name: str, chart: str, to_chart: str, instance: Optional[str], chart_dir: Optional[str],
                  to_chart_dir: Optional[str], given: dict, renderer: str, subchart: Optional[str]):
    """The values form of verify (FILE --chart X --to-chart Y): render every instance before and after."""
    from ..verify import verify

    return verify(data, name, chart, to_chart, instance, chart_dir, to_chart_dir, given, renderer, subchart)


def _renderer(name: str) -> str:
    from ..charts.render import RENDERERS
    from ..charts.helm import HELM_ENV, helm_binary

    if name not in RENDERERS:
        raise UsageError(f"--renderer takes {' or '.join(RENDERERS)}, not {name!r}")
    if name == "helm" and helm_binary() is None:
        raise UsageError(f"--renderer helm: no helm binary on PATH (or set {HELM_ENV})")
    return name


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(f"--set takes KEY=VALUE, not {item!r}")
    return key.strip(), value
