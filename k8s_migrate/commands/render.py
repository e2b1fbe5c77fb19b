"""`k8s-migrate render` and `k8s-migrate verify`: a chart's deployment.toml without helm, and the check
that a values migration renders to what the TOML migration says."""

from __future__ import annotations

import sys
from typing import Optional

from ..errors import UsageError
from .params import Argument, Option

RENDERER_HELP = (
    "builtin (the Go-template evaluator in k8s-migrate) or helm (`helm template`, helm on PATH or $K8S_MIGRATE_HELM)."
)
CHART_DIR_HELP = "The chart directory, when --chart is a built-in id whose templates are not available here."


def register(app) -> None:
    app.command("render")(render_command)
    app.command("verify")(verify_command)


def render_command(
    file: str = Argument(..., help="The values file, or - for stdin."),
    chart: str = Option(
        ..., "--chart", help="A chart directory, or a built-in id such as helm-apim/all-in-one@4.5.x."
    ),
    instance: Optional[str] = Option(
        None, "--instance", help="Which deployment.toml, e.g. instance-2 (default: the first)."
    ),
    release_name: str = Option("release", "--release-name", help=".Release.Name"),
    namespace: str = Option("default", "--namespace", help=".Release.Namespace"),
    chart_dir: Optional[str] = Option(None, "--chart-dir", help=CHART_DIR_HELP),
    renderer: str = Option("builtin", "--renderer", help=RENDERER_HELP),
) -> None:
    """Print the deployment.toml that a chart renders from a values file (values merged over the chart's)."""
    try:
        from ..charts.locate import chart_directory
        from ..charts.render import TemplateError, load_values_text, render_deployment_toml
        from ..output import read_input, without_bom

        values = load_values_text(without_bom(read_input(file)))
        try:
            text = render_deployment_toml(
                chart_directory(chart_dir or chart), values, instance, release_name, namespace, _renderer(renderer)
            )
        except TemplateError as exc:
            raise UsageError(str(exc)) from None
    except UsageError as exc:
        from .common import fail  # here: commands.common loads dataclasses, which a render needs nowhere else

        fail(exc)
    sys.stdout.write(text)


def verify_command(
    file: str = Argument(
        ...,
        help="The values file for --chart; or OLD, the deployment.toml or ConfigMap before a migration.",
        metavar="FILE|OLD",
    ),
    new_file: Optional[str] = Argument(
        None,
        help="NEW: the same file after a migration (made by any tool or by hand), with --from and --to.",
        metavar="[NEW]",
    ),
    chart: Optional[str] = Option(
        None, "--chart", help="The chart the values are for (built-in id or directory)."
    ),
    to_chart: Optional[str] = Option(
        None, "--to-chart", help="The chart to migrate to (built-in id or directory)."
    ),
    from_version: Optional[str] = Option(
        None, "--from", help="With OLD NEW: the API-M version of OLD, e.g. 4.2."
    ),
    to_version: Optional[str] = Option(None, "--to", help="With OLD NEW: the API-M version of NEW, e.g. 4.6."),
    profile: Optional[str] = Option(
        None, "--profile", help="With OLD NEW: the profile (detected when not given)."
    ),
    report_path: Optional[str] = Option(
        None, "--report", help="With OLD NEW: write the audit here (.json, .md, .sarif, .txt)."
    ),
    instance: Optional[str] = Option(
        None, "--instance", help="Values: compare only this instance, e.g. instance-2 (default: every instance)."
    ),
    chart_dir: Optional[str] = Option(None, "--chart-dir", help=CHART_DIR_HELP),
    to_chart_dir: Optional[str] = Option(
        None, "--to-chart-dir", help="The directory of --to-chart, as --chart-dir."
    ),
    show_secrets: bool = Option(False, "--show-secrets", help="Do not mask secret values in the differences."),
    given: list[str] = Option(
        [],
        "--set",
        help=(
            "KEY=VALUE for the new chart, as helm --set: a manual step the report asks for (e.g. a required "
            "encryption key). Repeatable."
        ),
    ),
    renderer: str = Option("builtin", "--renderer", help=RENDERER_HELP),
    subchart: Optional[str] = Option(
        None,
        "--subchart",
        help="The alias under which an umbrella chart's values file holds --chart's values (default: detected).",
    ),
) -> None:
    """Check a migration. OLD NEW --from A --to B: every effective change between two deployment.toml files
    (or ConfigMaps), each with the rule, default change or stock value that explains it; exit 1 if any is
    unexplained. FILE --chart X --to-chart Y: render a values migration before and after and compare."""
    if new_file is not None:
        verify_pair(file, new_file, from_version, to_version, profile, report_path, show_secrets)
        return
    # commands.common (its dataclass and enum) is imported where it is used: an OK verify of values needs neither
    if not chart or not to_chart:
        from .common import fail

        fail(UsageError("verify needs OLD NEW --from A --to B (deployment.toml or ConfigMap), "
                        "or FILE --chart X --to-chart Y (Helm values)"))
    try:
        from ..output import read_input
        from ..report import exit_code
        from ..verify import verification_text

        pairs = dict(set_pair(item) for item in given)
        result = verify_values(read_input(file), file, chart, to_chart, instance, chart_dir, to_chart_dir, pairs,
                               _renderer(renderer), subchart)
    except UsageError as exc:
        from .common import fail

        fail(exc)
    sys.stdout.write(verification_text(result, show_secrets))
    code = exit_code(findings=not result.ok)
    if code:
        from .common import finish

        finish(code)


def verify_values(data: bytes, name: str, chart: str, to_chart: str, instance: Optional[str], chart_dir: Optional[str],
                  to_chart_dir: Optional[str], given: dict, renderer: str, subchart: Optional[str]):
    """The values form of verify (FILE --chart X --to-chart Y): render every instance before and after."""
    from ..verify import verify

    return verify(data, name, chart, to_chart, instance, chart_dir, to_chart_dir, given, renderer, subchart)


def _renderer(name: str) -> str:
    from ..charts.render import RENDERERS

    if name not in RENDERERS:
        raise UsageError(f"--renderer takes {' or '.join(RENDERERS)}, not {name!r}")
    if name == "helm":
        from ..charts.helm import HELM_ENV, helm_binary

        if helm_binary() is None:
            raise UsageError(f"--renderer helm: no helm binary on PATH (or set {HELM_ENV})")
    return name


def verify_pair(old: str, new: str, from_version: Optional[str], to_version: Optional[str], profile: Optional[str],
                report_path: Optional[str], show_secrets: bool) -> None:
    from .common import fail, finish

    try:
        from ..output import read_input, write_atomic
        from ..proof import audit_files
        from ..report import exit_code
        from ..report.renderers import render_for_path, terminal_text

        old_data, new_data = read_input(old), read_input(new)
        notes = []
        from_version, found = version_of(old_data, old, from_version, "--from")
        notes += found
        to_version, found = version_of(new_data, new, to_version, "--to")
        notes += found
        audit = audit_files(old_data, new_data, old, new, from_version, to_version, profile)
        audit.report.notes[:0] = notes
        report = audit.report.masked(show_secrets)
        if report_path:
            write_atomic(report_path, render_for_path(report, report_path))
    except UsageError as exc:
        fail(exc)
    sys.stdout.write(terminal_text(report, verbose=True, stream=sys.stdout))
    finish(exit_code(findings=not audit.ok))


def version_of(data: bytes, name: str, given: Optional[str], option: str) -> tuple[str, list[str]]:
    """A version as given, or read from the file by k8s_migrate.detect (the note says how)."""
    if given:
        return given, []
    from ..formats.configmap import looks_like_configmap
    from .detection import version_detection

    kind = "configmap" if looks_like_configmap(data.decode("utf-8", "replace")) else "toml"
    detection = version_detection(data, name, kind)
    if detection.value is None:
        fits = f"it fits {', '.join(detection.candidates)}" if detection.candidates else "nothing in it names a version"
        raise UsageError(f"cannot tell which API-M version {name} is for ({fits}); give {option}")
    return detection.value, [f"{name}: {detection.value} (detected: {'; '.join(detection.evidence)})"]


def set_pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(f"--set takes KEY=VALUE, not {item!r}")
    return key.strip(), value
