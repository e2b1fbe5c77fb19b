"""Chart maps derived from chart templates: fixture charts per construct, then WSO2's real charts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from k8s_migrate.charts.chartmap import (
    ChartMap,
    UnknownChartError,
    apply_pattern,
    invert_pattern,
    load_chart_map,
)
from k8s_migrate.charts.derive import derive_chart

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "charts-fixtures"
CHARTS = REPO / "mappings" / "charts"


def links_of(chart: str) -> list[tuple]:
    data = derive_chart(FIXTURES / chart)
    return [
        (link["values"], link["toml"], link["kind"], link.get("pattern"), link.get("filter"), link.get("guard")) for link in data["links"]
    ]


# ---------------------------------------------------------------- one fixture per construct


def test_direct_links_and_constants():
    data = derive_chart(FIXTURES / "direct")
    assert links_of("direct") == [
        ("ingress.host", "server.hostname", "direct", None, None, None),
        ("db.url", "database.apim_db.url", "direct", None, None, None),
        ("db.user", "database.apim_db.username", "direct", None, None, None),
    ]
    assert [(c["toml"], c["value"]) for c in data["constants"]] == [("server.mode", "single")]
    assert data["app_version"] == "4.5.0"
    assert data["defaults"] == {"db.url": "jdbc:h2:mem:x", "db.user": "admin", "ingress.host": "am.example.com"}


def test_range_over_map_is_a_subtree():
    assert links_of("range-map") == [("pool.*", "database.apim_db.pool_options.*", "subtree", None, None, None)]


def test_range_over_list_links_items():
    assert links_of("range-list") == [
        ("envs[].name", "apim.gateway.environment[].name", "list", None, "quote", None),
        ("envs[].tags[]", "apim.gateway.environment[].labels[]", "list", None, None, None),
    ]


def test_fixed_text_is_a_pattern_with_other_holes_kept():
    assert links_of("pattern") == [
        ("host", "apim.gateway.https_endpoint", "pattern", "https://{}", None, None),
        ("host", "apim.gateway.service_url", "pattern", "https://{}:{{ .Values.port }}/services/", None, None),
        ("port", "apim.gateway.service_url", "pattern", "https://{{ .Values.host }}:{}/services/", None, None),
        ("offset", "transport.https.properties.port", "direct", None, "add 9443", None),
    ]


def test_if_else_if_else_guards_and_guard_only_values():
    data = derive_chart(FIXTURES / "guards")
    assert links_of("guards") == [
        (
            "password",
            "super_admin.password",
            "direct",
            None,
            "quote",
            "and (not (.Values.vault)) (not (.Values.secretName))",
        ),
        ("choreo.endpoint", "apim.analytics.config_endpoint", "direct", None, None, ".Values.choreo.enabled"),
    ]
    assert data["guard_only"] == ["choreo.enabled", "secretName", "vault"]
    assert [(c["toml"], c["value"], c["guard"]) for c in data["constants"]][:2] == [
        ("super_admin.password", "$secret{admin_password}", ".Values.vault"),
        ("super_admin.password", "$env{ADMIN_PASSWORD}", "and (not (.Values.vault)) (.Values.secretName)"),
    ]
    assert [c["values"] for c in data["commented"]] == ["choreo.type"]
    assert data["counts"]["values_refs"] == {
        "total": 6,
        "mapped": 2,
        "guard": 3,
        "commented": 1,
        "unmapped": 0,
        "coverage": 1.0,
    }


def test_quote_tojson_default_filters():
    assert links_of("filters") == [
        ("cors.origins", "apim.cors.allow_origins", "direct", None, "toJson", None),
        ("cors.enabled", "apim.cors.enable", "direct", None, None, None),
        ("token.expiry", "apim.cors.expiry_time", "direct", None, 'default "15m" | quote', None),
    ]


def test_configmap_inline_toml_and_embedded_config():
    data = derive_chart(FIXTURES / "configmap")
    assert data["instances"] == [{"instance": "am/instance-1", "file": "templates/am/instance-1/am-conf.yaml",
                                  "always": True}]
    assert links_of("configmap") == [
        ("wso2.deployment.am.config.*", None, "embedded", None, "tpl | indent 4", ".Values.wso2.deployment.am.config"),
        (
            "wso2.deployment.am.hostname",
            "server.hostname",
            "direct",
            None,
            None,
            "not (.Values.wso2.deployment.am.config)",
        ),
    ]
    assert [(c["toml"], c["value"]) for c in data["constants"]] == [("server.offset", 0)]


def test_what_cannot_be_mapped_is_listed_with_a_reason():
    data = derive_chart(FIXTURES / "unmappable")
    assert data["links"] == []
    [entry] = data["unmapped"]
    assert entry["line"] == 1 and entry["values"] == ["tableName"] and entry["reason"]
    assert entry["text"] == "[{{ .Values.tableName }}]"
    assert data["counts"]["values_refs"]["unmapped"] == 1


# ---------------------------------------------------------------- the loader


def test_chart_map_translates_both_ways_through_wildcards():
    cm = load_chart_map(str(FIXTURES / "range-list"))
    assert [k for k, _ in cm.values_to_toml("envs[1].name")] == ["apim.gateway.environment[1].name"]
    assert [v for v, _ in cm.toml_to_values("apim.gateway.environment[0].labels[2]")] == ["envs[0].tags[2]"]
    sub = load_chart_map(str(FIXTURES / "range-map"))
    assert [k for k, _ in sub.values_to_toml("pool.maxActive")] == ["database.apim_db.pool_options.maxActive"]
    assert [v for v, _ in sub.toml_to_values("database.apim_db.pool_options.maxWait")] == ["pool.maxWait"]


def test_patterns_apply_and_invert():
    assert apply_pattern("https://{}", "gw.example.com") == "https://gw.example.com"
    assert invert_pattern("https://{}", "https://gw.example.com") == "gw.example.com"
    assert invert_pattern("https://{}", "http://gw.example.com") is None
    assert invert_pattern("https://{{ .Values.host }}:{}/services/", "https://h:8243/services/") == "8243"
    assert apply_pattern(None, 2, "add 9443") == 9445
    assert invert_pattern(None, 9445, "add 9443") == 2


def test_unknown_chart_id_is_a_value_error_naming_close_ids():
    with pytest.raises(UnknownChartError) as err:
        load_chart_map("helm-apim/all-in-one@9.9.x")
    assert isinstance(err.value, ValueError)
    assert "helm-apim/all-in-one@" in str(err.value) and "\n" not in str(err.value)


def test_builtin_ids_short_forms():
    assert load_chart_map("helm-apim/all-in-one@4.5").id == "helm-apim/all-in-one@4.5.x"
    assert load_chart_map("am-pattern-1@4.2.x").id == "kubernetes-apim/am-pattern-1@4.2.x"
    with pytest.raises(UnknownChartError):
        load_chart_map("am-pattern-1@9.9")  # no such branch


# ---------------------------------------------------------------- WSO2's charts


def test_all_in_one_45_coverage_and_key_links():
    cm = load_chart_map("helm-apim/all-in-one@4.5.x")
    assert isinstance(cm, ChartMap)
    refs = cm.counts["values_refs"]
    assert refs["total"] > 400
    assert refs["coverage"] >= 0.95
    assert refs["unmapped"] <= 0.05 * refs["total"]
    assert cm.app_version == "4.5.0" and cm.name == "wso2am-all-in-one"
    assert cm.source["commit"] == "9856a0c79a7d"
    assert "database.apim_db.url" in [k for k, _ in cm.values_to_toml("wso2.apim.configurations.databases.apim_db.url")]
    assert "wso2.apim.configurations.databases.apim_db.url" in [v for v, _ in cm.toml_to_values("database.apim_db.url")]
    hostname = cm.values_to_toml("kubernetes.ingress.management.hostname")
    assert "server.hostname" in [k for k, _ in hostname]
    assert {"instance-1", "instance-2"} <= {i["instance"] for i in cm.instances}
    env = cm.values_to_toml("wso2.apim.configurations.gateway.environments[0].httpHostname")
    assert ("apim.gateway.environment[0].https_endpoint", "https://{}") in [(k, link.pattern) for k, link in env]
    assert cm.defaults["wso2.apim.configurations.gateway.environments[0].name"] == "Default"
    assert [c["value"] for c in cm.stock_value("server.mode", "instance-1")] == ["single"]


def test_helm_32_camel_case_values():
    cm = load_chart_map("helm-apim/all-in-one@3.2.x")
    assert [k for k, _ in cm.values_to_toml("wso2.apim.configurations.databases.apimDB.url")] == [
        "database.apim_db.url"
    ]


def test_kubernetes_apim_inline_configmap():
    cm = load_chart_map("kubernetes-apim/am-pattern-1@4.2.x")
    assert "wso2.deployment.am.db.apim.url" in [
        v for v, _ in cm.toml_to_values("database.apim_db.url", "am/instance-1")
    ]


def test_every_builtin_chart_derives(reference_dir):
    sys.path.insert(0, str(REPO / "scripts"))
    import derive_chart_maps

    charts = derive_chart_maps.chart_dirs(reference_dir)
    assert len(charts) >= 50
    for family, chart, branch, directory in charts:
        data = derive_chart(directory, chart_id=f"{family}/{chart}@{branch}")
        assert data["counts"]["values_refs"]["coverage"] >= 0.9, data["id"]


def test_regenerating_gives_identical_files(reference_dir, tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "derive_chart_maps.py"), "--reference", str(reference_dir),
                    "--out", str(tmp_path), "--quiet"], check=True)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    # mappings/charts/rules/ holds hand-written chart-level rules, not derived maps
    committed = sorted(
        p.relative_to(CHARTS) for p in CHARTS.rglob("*.json") if p.relative_to(CHARTS).parts[0] != "rules"
    )
    assert fresh == committed
    for rel in fresh:
        assert (tmp_path / rel).read_bytes() == (CHARTS / rel).read_bytes(), rel
    index = json.loads((tmp_path / "index.json").read_text())
    assert "helm-apim/control-plane@4.6.x" in index["charts"]


def test_an_instance_records_the_guard_around_its_whole_configmap(tmp_path):
    """instance-2's ConfigMap sits inside {{- if .Values.ha }}: the map says so (the chart renders it only then);
    instance-1's has none (always rendered); a confs/ file read by two templates is neither."""
    (tmp_path / "Chart.yaml").write_text("name: c\nversion: 1.0.0\nappVersion: 4.6.0\n")
    (tmp_path / "values.yaml").write_text("ha: false\n")
    for n in (1, 2, 3):
        conf = tmp_path / "confs" / f"instance-{n}"
        conf.mkdir(parents=True)
        (conf / "deployment.toml").write_text('[server]\nhostname = "h"\n')
    templates = tmp_path / "templates"
    templates.mkdir()
    configmap = ("apiVersion: v1\nkind: ConfigMap\ndata:\n"
                 "  deployment.toml: {{ tpl (.Files.Get \"confs/instance-%d/deployment.toml\") . | quote }}\n")
    (templates / "one.yaml").write_text("# a comment\n" + configmap % 1)
    (templates / "two.yaml").write_text("{{- /* the second, for HA */ -}}\n{{- if .Values.ha }}\n" + configmap % 2
                                        + "{{- end }}\n")
    (templates / "three-a.yaml").write_text(configmap % 3)
    (templates / "three-b.yaml").write_text(configmap % 3)
    instances = {i["instance"]: i for i in derive_chart(tmp_path)["instances"]}
    assert instances["instance-1"].get("always") is True and "guard" not in instances["instance-1"]
    assert instances["instance-2"]["guard"] == ".Values.ha" and "always" not in instances["instance-2"]
    assert "guard" not in instances["instance-3"] and "always" not in instances["instance-3"]
