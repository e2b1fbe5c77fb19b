"""The Go text/template + Sprig evaluator (k8s_migrate.charts.render) on hand-written cases, a small
fixture chart, and every deployment.toml WSO2's reference charts render from their default values."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from k8s_migrate.charts.render import (
    TemplateError,
    helm_values,
    list_instances,
    load_chart,
    merge_values,
    render_deployment_toml,
    render_string,
)

HERE = Path(__file__).resolve().parent
CASES = HERE / "render_cases"
MINI_CHART = HERE.parent / "charts-fixtures" / "render" / "mini-chart"
REFERENCE = HERE.parent.parent / "shared" / "reference"


# ---- hand-written cases: template.tpl + values.yaml -> expected.txt, or error.txt (message, line) ---------

def _case_context(case: Path) -> dict:
    values_file = case / "values.yaml"
    values = YAML(typ="safe", pure=True).load(values_file.read_text()) if values_file.exists() else {}
    return {"Values": helm_values(values or {}), "Release": {"Name": "rel", "Namespace": "ns"}}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_render_case(case: str) -> None:
    folder = CASES / case
    template = (folder / "template.tpl").read_text()
    context = _case_context(folder)
    if (folder / "error.txt").exists():
        message, line = (folder / "error.txt").read_text().splitlines()[:2]
        with pytest.raises(TemplateError) as caught:
            render_string(template, context, name=case)
        assert message in str(caught.value)
        assert caught.value.name == case
        assert caught.value.line == int(line)
    else:
        assert render_string(template, context, name=case) == (folder / "expected.txt").read_text()


def test_render_string_uses_given_defines() -> None:
    out = render_string('{{ include "greet" . }}!', {"who": "ops"}, defines={"greet": "hi {{ .who }}"})
    assert out == "hi ops!"


def test_range_else_and_break() -> None:
    text = "{{ range .xs }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ else }}empty{{ end }}"
    assert render_string(text, {"xs": [1, 2, 3, 4]}) == "12"
    assert render_string(text, {"xs": []}) == "empty"


# ---- merge_values ----------------------------------------------------------------------------------

def test_merge_values_maps_merge_lists_replace_null_deletes() -> None:
    defaults = {"a": {"x": 1, "y": 2}, "l": [1, 2], "keep": "k", "drop": {"z": 1}}
    merged = merge_values(defaults, {"a": {"y": 3}, "l": [9], "drop": None})
    assert merged == {"a": {"x": 1, "y": 3}, "l": [9], "keep": "k"}
    assert defaults["a"]["y"] == 2  # defaults untouched


# ---- the fixture chart -----------------------------------------------------------------------------

def test_fixture_chart_instances_and_default_render() -> None:
    assert list_instances(MINI_CHART) == ["app/instance-1", "app/instance-2"]
    doc = tomllib.loads(render_deployment_toml(MINI_CHART))
    assert doc["server"]["hostname"] == "mini.example.com"
    assert doc["server"]["max_body"] == 1e6            # Helm prints the float64 1000000 as 1e+06
    assert doc["server"]["service"] == "release-mini-svc.default"
    assert doc["database"]["apim_db"]["pool_options"] == {"maxActive": 100, "testOnBorrow": True}
    assert [e["name"] for e in doc["apim"]["gateway"]["environment"]] == ["Default", "Edge"]
    assert doc["apim"]["sync"]["labels"] == ["a", "b"]


def test_fixture_chart_values_override_release_and_instance() -> None:
    overrides = {
        "server": {"hostname": "h.example.org"},
        "db": {"pool": None},
        "gateways": [{"name": "Only", "host": "o"}],
        "secondary": {"enabled": True},
    }
    text = render_deployment_toml(MINI_CHART, overrides, release_name="prod", namespace="apim")
    doc = tomllib.loads(text)
    assert doc["server"]["hostname"] == "h.example.org"
    assert doc["server"]["service"] == "prod-mini-svc.apim"
    assert "pool_options" not in doc["database"]["apim_db"]
    assert [e["name"] for e in doc["apim"]["gateway"]["environment"]] == ["Only"]
    second = render_deployment_toml(MINI_CHART, overrides, instance="instance-2")
    assert tomllib.loads(second)["server"]["hostname"] == "second-h.example.org"


def test_fixture_chart_guarded_instance_and_unknown_instance() -> None:
    with pytest.raises(TemplateError, match="rendered no data.deployment.toml"):
        render_deployment_toml(MINI_CHART, instance="instance-2")
    with pytest.raises(TemplateError, match="unknown"):
        render_deployment_toml(MINI_CHART, instance="instance-9")


def test_load_chart_reads_metadata_values_and_files() -> None:
    chart = load_chart(MINI_CHART)
    assert chart.name == "mini"
    assert chart.values["server"]["offset"] == 0.0 and isinstance(chart.values["server"]["offset"], float)
    assert "confs/instance-1/deployment.toml" in chart.files
    assert "templates/_helpers.tpl" in chart.templates


# ---- every deployment.toml of WSO2's reference charts ----------------------------------------------------

def _reference_charts() -> list[Path]:
    charts = [
        p.parent for family in ("helm-apim", "kubernetes-apim") for p in (REFERENCE / family).glob("*/**/Chart.yaml")
    ]
    return sorted(charts)


def _reference_params() -> list:
    if not REFERENCE.is_dir():
        return []
    params = []
    for chart in _reference_charts():
        relative = chart.relative_to(REFERENCE).as_posix()
        for instance in list_instances(chart):
            marks = [pytest.mark.xfail(raises=expected[0], strict=True, reason=expected[1])] \
                if (expected := EXPECTED_FAILURES.get((relative, instance))) else []
            params.append(pytest.param(relative, instance, id=f"{relative}:{instance}", marks=marks))
    return params


_NEEDS_KEY = (TemplateError, "chart default wso2.apim.configurations.encryption.key is \"\" and the template "
              "calls fail for SymmetricKeyInternalCryptoProvider without a key (helm fails the same way)")
_HA_ONLY = (TemplateError, "the instance-2 ConfigMap template is wrapped in "
            "{{- if .Values.wso2.deployment.highAvailability }}, false by default: helm renders no ConfigMap")
EXPECTED_FAILURES: dict[tuple[str, str], tuple[type[Exception], str]] = {
    ("helm-apim/4.3.x/distributed/key-manager", "key-manager"): (
        tomllib.TOMLDecodeError,
        'confs/deployment.toml line 5 ends `base_path = "..."}`: a stray brace, invalid TOML in helm too',
    ),
    **{(f"helm-apim/{b}/all-in-one", "am/instance-2"): _HA_ONLY for b in ("4.5.x", "4.6.x", "4.7.x")},
    **{
        ("helm-apim/4.7.x/" + chart, inst): _NEEDS_KEY
        for chart, inst in (
            ("all-in-one", "am/instance-1"),
            ("distributed/control-plane", "control-plane/instance-1"),
            ("distributed/control-plane", "control-plane/instance-2"),
            ("distributed/gateway", "gateway"),
            ("distributed/key-manager", "key-manager"),
            ("distributed/traffic-manager", "traffic-manager/instance-1"),
            ("distributed/traffic-manager", "traffic-manager/instance-2"),
        )
    },
}


@pytest.mark.parametrize(("chart", "instance"), _reference_params())
def test_reference_chart_renders_valid_toml(reference_dir: Path, chart: str, instance: str) -> None:
    text = render_deployment_toml(reference_dir / chart, None, instance)
    doc = tomllib.loads(text)
    assert doc, "rendered deployment.toml is empty"
    assert "{{" not in text, "template syntax left in the output"


def test_expected_failures_are_what_the_chart_text_says(reference_dir: Path) -> None:
    km = (reference_dir / "helm-apim/4.3.x/distributed/key-manager/confs/deployment.toml").read_text().splitlines()
    assert km[4].startswith("base_path") and km[4].endswith('"}')
    for branch in ("4.5.x", "4.6.x", "4.7.x"):
        chart = reference_dir / f"helm-apim/{branch}/all-in-one"
        guard = (chart / "templates/am/instance-2/wso2am-conf.yaml").read_text()
        assert "{{- if .Values.wso2.deployment.highAvailability }}" in guard
        assert load_chart(chart).values["wso2"]["deployment"]["highAvailability"] is False
    chart = reference_dir / "helm-apim/4.7.x/all-in-one"
    assert load_chart(chart).values["wso2"]["apim"]["configurations"]["encryption"]["key"] == ""
    assert (
        'fail "Encryption key is required for symmetric encryption.'
        in (chart / "confs/instance-1/deployment.toml").read_text()
    )


@pytest.mark.parametrize("branch", ["4.5.x", "4.6.x", "4.7.x"])
def test_reference_all_in_one_ha_instance_renders_when_enabled(reference_dir: Path, branch: str) -> None:
    values = {
        "wso2": {
            "deployment": {"highAvailability": True},
            "apim": {"configurations": {"encryption": {"key": "k" * 32}}},
        }
    }
    doc = tomllib.loads(render_deployment_toml(reference_dir / f"helm-apim/{branch}/all-in-one", values, "instance-2"))
    assert doc["server"]["hostname"]


def test_reference_4_7_renders_with_an_encryption_key(reference_dir: Path) -> None:
    values = {"wso2": {"apim": {"configurations": {"encryption": {"key": "0123456789abcdef"}}}}}
    doc = tomllib.loads(render_deployment_toml(reference_dir / "helm-apim/4.7.x/all-in-one", values))
    assert doc["encryption"]["key"] == "0123456789abcdef"


def test_reference_values_reach_the_toml(reference_dir: Path) -> None:
    chart = reference_dir / "helm-apim/4.6.x/all-in-one"
    values = {"wso2": {"apim": {"portOffset": 2, "configurations": {"databases": {"apim_db": {"url": "jdbc:mysql://db/apim"}}}}}}
    doc = tomllib.loads(render_deployment_toml(chart, values, release_name="prod"))
    assert doc["server"]["offset"] == 2
    assert doc["database"]["apim_db"]["url"] == "jdbc:mysql://db/apim"


def test_reading_values_leaves_no_loader_behind_with_the_collector_paused() -> None:
    """A CLI run pauses the cycle collector: reading a values text must not leave ruamel's loader (which holds the
    text and the C parser's buffers) in a reference cycle."""
    import gc

    from k8s_migrate.charts.render import load_values_text

    def loaders() -> int:
        return sum(type(o).__name__ == "XLoader" for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        before = loaders()
        assert load_values_text("a:\n  b: [1, 2]\n  c: x\n") == {"a": {"b": [1.0, 2.0], "c": "x"}}
        assert loaders() == before
    finally:
        gc.enable()


def _coalesce_copying_each_level(defaults: dict, overrides: dict, take) -> dict:
    """The merge as it was written before it merged in place: each level copied again on the way down."""
    import copy

    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if value is None and key in merged:
            del merged[key]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _coalesce_copying_each_level(merged[key], value, take)
        else:
            merged[key] = take(value)
    return merged


_VALUES_TREE = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcd"), inner,
                                                                                         max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcd"), _VALUES_TREE, max_size=4),
       st.dictionaries(st.sampled_from("abcd"), _VALUES_TREE, max_size=4))
def test_the_in_place_merge_is_helms_coalesce_as_before(defaults, overrides):
    import copy

    from k8s_migrate.charts.render import _coalesce, merge_values

    kept_defaults, kept_overrides = copy.deepcopy(defaults), copy.deepcopy(overrides)
    expected = _coalesce_copying_each_level(defaults, overrides, copy.deepcopy)
    merged = merge_values(defaults, overrides)
    assert merged == expected and list(merged) == list(expected)
    assert repr(merged) == repr(expected)  # the order of every nested map too
    assert repr(_coalesce(defaults, copy.deepcopy(overrides), lambda fresh: fresh)) == repr(expected)
    assert defaults == kept_defaults and overrides == kept_overrides
