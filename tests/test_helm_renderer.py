"""The built-in renderer against real `helm template`, byte for byte.

Every ConfigMap template that renders a deployment.toml, in every chart under ../shared/reference/, with
the chart's defaults and with HA on and an encryption key set (instance 2, and 4.7.x, render only then).
CI fetches helm (scripts/get-helm.sh) and sets K8S_MIGRATE_LONG=1; without it a quick subset runs.
The fixture chart helm-divergences holds what the reference charts' defaults do not reach: a null for a
key the chart does not have, unquoted timestamps through quote, Sprig text functions in tpl'd values.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from k8s_migrate.charts.helm import helm_binary, helm_template, split_manifests
from k8s_migrate.charts.render import (
    TemplateError,
    config_data,
    config_sources,
    load_chart,
    load_values_text,
    render_deployment_toml,
    render_template,
)

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference"
DIVERGENCES = HERE.parent / "charts-fixtures" / "render" / "helm-divergences"
LONG = os.environ.get("K8S_MIGRATE_LONG") == "1"
QUICK = {"helm-apim/4.6.x/all-in-one", "helm-apim/4.7.x/distributed/control-plane",
         "kubernetes-apim/4.2.x/advanced/am-pattern-1", "kubernetes-apim/3.0.x/advanced/am-pattern-3"}
HA_AND_KEY = {"wso2": {"deployment": {"highAvailability": True},
                       "apim": {"configurations": {"encryption": {"key": "0123456789abcdef0123456789abcdef"}}}}}


@pytest.fixture(scope="module")
def helm() -> str:
    found = helm_binary()
    if found is None:
        if os.environ.get("CI") or LONG:
            pytest.fail("a long run without helm: .ci/run fetches it with scripts/get-helm.sh")
        pytest.skip("no helm binary on PATH")
    return found


def _charts() -> list:
    if not REFERENCE.is_dir():
        return []
    charts = sorted(
        p.parent.relative_to(REFERENCE).as_posix()
        for family in ("helm-apim", "kubernetes-apim")
        for p in (REFERENCE / family).glob("*/**/Chart.yaml")
    )
    return [c for c in charts if LONG or c in QUICK]


def _helm_manifests(chart_dir: Path, values: dict | None) -> dict[str, str] | str:
    """Template path -> manifest, or helm's error message."""
    import json

    try:
        output = helm_template(chart_dir, [json.dumps(values)] if values else [])
    except TemplateError as exc:
        return str(exc)
    name = load_chart(chart_dir).name
    return {source.removeprefix(f"{name}/"): text for source, text in split_manifests(output)}


def _compare(chart_dir: Path, values: dict | None) -> list[str]:
    chart = load_chart(chart_dir)
    helm_out = _helm_manifests(chart_dir, values)
    problems, refused = [], []
    for instance, template in config_sources(chart).items():
        try:
            ours = render_template(chart, template, values)
        except TemplateError as exc:
            refused.append(str(exc).split("error calling fail: ")[-1])
            if not isinstance(helm_out, str):
                problems.append(f"{instance}: built-in failed ({exc}), helm rendered")
            continue
        if isinstance(helm_out, str):
            continue
        theirs = helm_out.get(template, "")
        if ours.strip() != theirs.strip():  # helm trims each manifest's surrounding space
            problems.append(f"{instance}: manifests differ")
        elif _data(ours, chart, template) != _data(theirs, chart, template):
            problems.append(f"{instance}: data.deployment.toml differs")
    if isinstance(helm_out, str) and not any(message in helm_out for message in refused):
        problems.append(f"helm failed ({helm_out}), the built-in renderer did not fail the same way ({refused})")
    return problems


def _data(manifest: str, chart, template: str) -> str | None:
    try:
        return config_data(manifest, chart, template)
    except TemplateError:
        return None


@pytest.mark.parametrize("chart", _charts())
def test_builtin_renderer_matches_helm_on_reference_chart(helm: str, reference_dir: Path, chart: str) -> None:
    chart_dir = reference_dir / chart
    assert _compare(chart_dir, HA_AND_KEY) == []
    if LONG:
        assert _compare(chart_dir, None) == []


def test_builtin_renderer_matches_helm_on_the_divergences_chart(helm: str) -> None:
    values = load_values_text((DIVERGENCES / "user-values.yaml").read_text())
    assert _compare(DIVERGENCES, values) == []


def test_divergences_chart_renders_what_helm_rendered() -> None:
    """Runs without helm: expected.toml was written by helm 4.1.4 from user-values.yaml."""
    values = load_values_text((DIVERGENCES / "user-values.yaml").read_text())
    assert render_deployment_toml(DIVERGENCES, values) == (DIVERGENCES / "expected.toml").read_text()


def test_helm_renderer_option_gives_the_same_toml(helm: str, reference_dir: Path) -> None:
    chart_dir = reference_dir / "kubernetes-apim/4.2.x/advanced/am-pattern-1"
    for instance in ("instance-1", "instance-2"):
        assert render_deployment_toml(chart_dir, None, instance, renderer="helm") == render_deployment_toml(
            chart_dir, None, instance
        )


def test_render_command_prints_the_toml_as_rendered(reference_dir: Path, tmp_path: Path) -> None:
    """No newline added: the output is data.deployment.toml byte for byte."""
    from tests.helpers import cli

    run = cli("render", DIVERGENCES / "user-values.yaml", "--chart", DIVERGENCES)
    assert run.code == 0, run.err
    assert run.out == (DIVERGENCES / "expected.toml").read_text()
    chomped = tmp_path / "chomped.yaml"
    chomped.write_text("app:\n  name: x\n", encoding="utf-8")
    expected = render_deployment_toml(DIVERGENCES, load_values_text(chomped.read_text()))
    assert cli("render", chomped, "--chart", DIVERGENCES).out == expected


def test_render_and_verify_with_the_helm_renderer(helm: str, reference_dir: Path) -> None:
    from tests.helpers import cli

    values = HERE / "fixtures" / "values" / "aio-4.2.x-custom.yaml"
    builtin = cli("render", values, "--chart", "helm-apim/all-in-one@4.2.x")
    real = cli("render", values, "--chart", "helm-apim/all-in-one@4.2.x", "--renderer", "helm")
    assert real.code == 0, real.err
    assert real.out == builtin.out
    args = ("verify", values, "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.3.x")
    assert cli(*args, "--renderer", "helm").out == cli(*args).out


def test_unknown_renderer_is_one_line_exit_2(reference_dir: Path) -> None:
    from tests.helpers import cli

    run = cli("render", DIVERGENCES / "user-values.yaml", "--chart", DIVERGENCES, "--renderer", "kustomize")
    assert run.code == 2 and run.err.count("\n") == 1 and "--renderer" in run.err
