"""WSO2's own stock values files through same-chart upgrades: the proof explains each difference by a report entry
that states the chart's change, and each new way of explaining stays narrow (a user's value is never explained
away as a chart change)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from k8s_migrate.catalog import load_catalog
from k8s_migrate.charts.chartmap import ChartLink, load_map
from k8s_migrate.charts.effective import overlay
from k8s_migrate.charts.render import load_values_text
from k8s_migrate.migrate import values as values_migration
from k8s_migrate.migrate.default_changes import (
    Rendered,
    StockRenders,
    _new_for_instance,
    instance_pairs,
    pair_instances,
    render_model,
    template_hosts,
)
from k8s_migrate.migrate.split import component_mismatch
from k8s_migrate.migrate.values import ValuesOptions, migrate_values
from k8s_migrate.report import Entry, Report
from k8s_migrate.verify import Difference, _unpaired, reported_change, topology
from tests.conftest import REFERENCE
from tests.helpers import cli


@functools.cache
def matrix_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "stock_upgrade_matrix", Path(__file__).resolve().parent.parent / "scripts" / "stock_upgrade_matrix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stock(chart: str) -> Path:
    """The chart's own values.yaml in the reference, as scripts/stock_upgrade_matrix.py finds it."""
    found = matrix_script().stock_values(chart)
    assert found is not None, f"no stock values for {chart}"
    return found


# One pair per class of chart change (the whole matrix, 145 pairs, is scripts/stock_upgrade_matrix.py, ~70 s):
# a template key an instance gains (control-plane 4.4 -> 4.6, instance-2), template constants and default-fed keys
# the new chart drops and service addresses it adds (3.2.x -> 4.6.x), a default-fed key the new chart renders
# otherwise (am-single 4.1 -> 4.2).
PAIRS = [
    ("helm-apim/control-plane@4.4.x", "helm-apim/control-plane@4.6.x"),
    ("helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.6.x"),
    ("helm-apim/all-in-one@3.2.x", "helm-apim/all-in-one@4.2.x"),
    ("helm-apim/traffic-manager@3.2.x", "helm-apim/traffic-manager@4.6.x"),
    ("kubernetes-apim/am-single@4.1.x", "kubernetes-apim/am-single@4.2.x"),
]


@pytest.mark.parametrize(("chart", "to_chart"), PAIRS)
def test_a_stock_file_upgrades_with_every_difference_explained(reference_dir, tmp_path, chart, to_chart):
    report = tmp_path / "report.json"
    run = cli("values", stock(chart), "--chart", chart, "--to-chart", to_chart, "-o", tmp_path / "out.yaml",
              "--report", report)
    assert run.code == 0, run.err
    assert "proven by rendering" in report.read_text()


@pytest.mark.parametrize(("chart", "to_chart", "key"), [
    ("helm-apim/control-plane@4.4.x", "helm-apim/control-plane@4.6.x", "truststore.password"),
    ("helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.6.x", "apim.cache.gateway_token.expiry_time"),
    ("helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.6.x", "apim.event_hub.service_url"),
    ("helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.6.x", "resource.access_control[1].permissions"),
])
def test_without_its_chart_change_entry_the_proof_fails(reference_dir, monkeypatch, tmp_path, chart, to_chart, key):
    """Each class is explained by the entry default_changes writes, not by a broader explainer."""
    real = values_migration.default_changes
    monkeypatch.setattr(values_migration, "default_changes",
                        lambda *a, **k: [e for e in real(*a, **k) if e.new_key != key])
    out = tmp_path / "out.yaml"
    run = cli("values", stock(chart), "--chart", chart, "--to-chart", to_chart, "-o", out)
    assert run.code == 3, run.err
    assert not out.exists()
    assert f"internal inconsistency: {key} in" in run.err or f"{key}" in run.err


def test_a_users_value_the_new_chart_drops_is_no_chart_change(reference_dir):
    """The old chart rendered the user's own value: it is reported for review, never as the old chart's default."""
    chart, to_chart = "helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.6.x"
    text = stock(chart).read_text()
    assert 'expiryTime: "15m"' in text or "expiryTime: 15m" in text
    mine = text.replace('expiryTime: "15m"', 'expiryTime: "30m"', 1).replace("expiryTime: 15m", "expiryTime: 30m", 1)
    result = migrate_values(mine.encode(), "values.yaml", ValuesOptions(chart=chart, to_chart=to_chart))
    key = "apim.cache.gateway_token.expiry_time"
    entries = [e for e in result.report.entries if key in (e.new_key, e.old_key)]
    assert entries and all(e.action != "defaulted" for e in entries), [(e.action, e.message) for e in entries]


def test_chart_driven_refuses_a_customised_old_value(reference_dir):
    src, dst = load_map("helm-apim/control-plane@3.2.x"), load_map("helm-apim/control-plane@4.6.x")
    renders = StockRenders(src, dst, "default", "instance-1", "3.2.0", "4.6.0")
    key = "apim.cache.gateway_token.expiry_time"
    stock_b = renders.before()[key]
    assert renders.chart_driven(key, stock_b, None, {}, {})
    users = Rendered("30m", stock_b.values_path, stock_b.line, stock_b.link)
    assert not renders.chart_driven(key, users, None, {}, {})


def test_new_for_instance_only_where_the_old_template_has_no_such_key(reference_dir):
    src = load_map("helm-apim/control-plane@4.4.x")
    path = "wso2.apim.configurations.security.truststore.password"
    a = Rendered("", path, 124)
    same = {"wso2": {"apim": {"configurations": {"security": {"truststore": {"password": ""}}}}}}
    other = {"wso2": {"apim": {"configurations": {"security": {"truststore": {"password": "changed"}}}}}}
    assert _new_for_instance(None, a, "truststore.password", "instance-2", src, same, same)
    assert not _new_for_instance(None, a, "truststore.password", "instance-1", src, same, same)  # 4.4 renders it
    assert not _new_for_instance(None, a, "truststore.password", "instance-2", src, other, same)  # not carried
    assert not _new_for_instance(Rendered("", path, 1), a, "truststore.password", "instance-2", src, same, same)


def test_an_array_is_explained_item_by_item_only_when_every_item_has_its_entry():
    key = ("apim", "event_hub", "event_listening_endpoints")
    t2 = {"apim": {"event_hub": {"event_listening_endpoints": ["tcp://a:5672", "tcp://b:5672"]}}}
    report = Report("values.yaml", "4.2.0", "4.6.0")
    report.entries.append(Entry("defaulted", None, "apim.event_hub.event_listening_endpoints[0]", None,
                                "tcp://a:5672", message="item 0"))
    assert reported_change(report, key, {}, t2, None) == ""
    report.entries.append(Entry("defaulted", None, "apim.event_hub.event_listening_endpoints[1]", None,
                                "tcp://elsewhere:5672", message="item 1"))
    assert reported_change(report, key, {}, t2, None) == ""  # the entry states another value
    report.entries[-1].new_value = "tcp://b:5672"
    assert reported_change(report, key, {}, t2, None) == "defaulted: item 0"


def test_template_hosts_reads_only_a_helper_built_host(reference_dir):
    old = load_map("helm-apim/control-plane@3.2.x")
    key = "apim.key_manager.service_url"
    assert template_hosts(old, key, "https://wso2am-cp-service:9443/services/") == ("wso2am-cp",)
    assert template_hosts(old, key, "https://wso2am-cp-service.example.com/elsewhere") == ()
    assert template_hosts(old, "apim.cache.gateway_token.expiry_time", "15m") == ()  # a plain link: no host


def test_a_field_guard_inside_a_range_is_judged_per_item(reference_dir):
    chart_map = load_map("helm-apim/control-plane@3.2.x")
    values = load_values_text(stock("helm-apim/control-plane@3.2.x").read_text())
    model = render_model(chart_map, "default", overlay(chart_map.defaults_tree(), values))
    assert "resource.access_control[0].permissions" not in model  # the item has no permissions
    assert model["resource.access_control[1].permissions"].value == "[/permission/protected/]"  # Go prints [a b]
    link = model["resource.access_control[1].permissions"].link
    assert isinstance(link, ChartLink) and link.guard == ".permissions"


WIRED_PAIRS = [
    ("kubernetes-apim/am-pattern-4@4.0.x", "kubernetes-apim/am-pattern-4@4.2.x"),
    ("kubernetes-apim/am-pattern-1@3.2.x", "kubernetes-apim/am-pattern-1@4.2.x"),
]


@pytest.mark.parametrize(("chart", "to_chart"), WIRED_PAIRS)
def test_a_stock_file_whose_charts_rewire_their_services_upgrades(reference_dir, tmp_path, chart, to_chart):
    run = cli("values", stock(chart), "--chart", chart, "--to-chart", to_chart, "-o", tmp_path / "out.yaml")
    assert run.code == 0, run.err


def _diff(key: str, before, after) -> Difference:
    return Difference(key, before, after, before is not None, after is not None, instance="am/control-plane/instance-1")


def test_an_address_only_the_old_chart_wired_gives_way_to_the_server_default_only_when_no_value_fed_it(
        reference_dir):
    old, new = load_map("kubernetes-apim/am-pattern-4@4.0.x"), load_map("kubernetes-apim/am-pattern-4@4.1.x")
    catalog = load_catalog("4.1.0")
    diff = _diff("apim.throttling.service_url",
                 "https://wso2am-pattern-4-am-trafficmanager-service:${mgt.transport.https.port}/services/", None)
    reason = topology(diff, ("am-pattern-4", "am-pattern-4"), catalog, new, old)
    assert "does not render the key: API-M's own default" in reason
    fed = load_map("helm-apim/control-plane@3.2.x")  # its throttling.serviceUrl feeds the key
    assert topology(diff, ("am-pattern-4", "am-pattern-4"), catalog, new, fed) == ""
    plain = _diff("apim.throttling.service_url", "https://tm.example.com:9443/services/", None)  # no chart's host
    assert topology(plain, ("am-pattern-4", "am-pattern-4"), catalog, new, old) == ""


def test_an_address_both_charts_wire_otherwise_is_wiring_only_when_neither_map_feeds_it(reference_dir):
    old, new = load_map("kubernetes-apim/am-pattern-4@4.0.x"), load_map("kubernetes-apim/am-pattern-4@4.1.x")
    catalog = load_catalog("4.1.0")
    diff = _diff("apim.gateway.environment[0].service_url",
                 "https://wso2am-pattern-4-am-gateway-service:${mgt.transport.https.port}${carbon.context}services/",
                 "https://wso2am-pattern-4-am-gateway-service:${mgt.transport.https.port}/services/")
    assert "each chart builds this address" in topology(diff, ("am-pattern-4", "am-pattern-4"), catalog, new, old)
    fed = load_map("helm-apim/all-in-one@4.6.x")  # its gateway environments feed the key
    assert topology(diff, ("am-pattern-4", "am-pattern-4"), catalog, fed, old) == ""


def migrated_stock(chart: str, to_chart: str, report: Path):
    """The CLI run of a chart's stock values file to another chart, with its report written to ``report``."""
    return cli("values", stock(chart), "--chart", chart, "--to-chart", to_chart, "-o", report.with_name("out.yaml"),
               "--report", report)


def test_an_umbrella_chart_without_its_subcharts_is_not_proven_and_says_why(reference_dir, tmp_path):
    report = tmp_path / "report.md"
    run = migrated_stock("kubernetes-apim/am-pattern-2@3.2.x", "kubernetes-apim/am-pattern-2@4.0.x", report)
    assert run.code == 0, run.err
    assert ("not proven by rendering: kubernetes-apim/am-pattern-2@4.0.x renders no deployment.toml here: its chart "
            "map lists no instance (an umbrella chart whose subcharts (am-pattern-1 4.0.0-1) are not bundled)"
            in report.read_text())


def test_a_file_of_one_component_to_another_components_chart_is_a_usage_error(reference_dir, tmp_path):
    out = tmp_path / "out.yaml"
    run = cli("values", stock("helm-apim/gateway@4.4.x"), "--chart", "helm-apim/gateway@4.4.x",
              "--to-chart", "helm-apim/control-plane@4.6.x", "-o", out)
    assert run.code == 2, run.err
    assert not out.exists() and run.err.count("\n") == 1
    assert "internal inconsistency" not in run.err
    assert ("helm-apim/gateway@4.4.x is a gateway chart and helm-apim/control-plane@4.6.x a control-plane chart"
            in run.err
            and "use the gateway chart (helm-apim/gateway@4.6.x)" in run.err and "one --to-chart per component"
            in run.err)


def test_the_component_mismatch_is_only_what_the_maps_make_certain(reference_dir):
    assert component_mismatch("kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x") == ""
    assert component_mismatch("helm-apim/gateway@4.4.x", "helm-apim/gateway@4.6.x") == ""
    assert component_mismatch("helm-apim/traffic-manager@4.4.x", "helm-apim/control-plane@4.6.x")


@pytest.mark.parametrize(("chart", "to_chart"), [
    ("kubernetes-apim/am-pattern-3@3.0.x", "kubernetes-apim/am-pattern-3@3.1.x"),  # 3.0.x maps name files
    ("kubernetes-apim/am-pattern-3@3.1.x", "kubernetes-apim/am-pattern-3@3.2.x"),  # host names the charts build
    ("kubernetes-apim/am-pattern-3@3.1.x", "kubernetes-apim/am-pattern-3@4.2.x"),  # an old literal -> new wiring
    ("kubernetes-apim/am-pattern-2@3.0.x", "kubernetes-apim/am-pattern-2@3.1.x"),  # a literal $env{} -> a service
])
def test_the_pattern_charts_of_3_x_upgrade(reference_dir, tmp_path, chart, to_chart):
    run = cli("values", stock(chart), "--chart", chart, "--to-chart", to_chart, "-o", tmp_path / "out.yaml")
    assert run.code == 0, run.err


def test_a_3_0_map_pairs_its_file_named_instances_by_component(reference_dir):
    old, new = load_map("kubernetes-apim/am-pattern-3@3.0.x"), load_map("kubernetes-apim/am-pattern-3@3.1.x")
    pairs = instance_pairs(old, new)
    assert ("am-gateway/repository/conf", "am/gateway") in pairs and ("am-km/repository/conf", "am/km") in pairs
    assert ("am-dev/repository/conf", "am/devportal") in pairs and ("am-pub/repository/conf", "am/publisher") in pairs
    assert pair_instances(["am/km"], ["am/kmx/other"]) == [("am/km", "am/kmx/other")]  # in order, not abbreviated
    assert pair_instances(["a/dev", "b/pub"], ["b/publisher", "a/devportal"]) == [("a/dev", "a/devportal"),
                                                                                   ("b/pub", "b/publisher")]


def test_a_host_name_is_wiring_only_where_the_maps_instance_has_no_value_for_it(reference_dir):
    old, new = load_map("kubernetes-apim/am-pattern-3@3.1.x"), load_map("kubernetes-apim/am-pattern-3@3.2.x")
    catalog = load_catalog("3.2.0")
    names = ("am-pattern-3", "am-pattern-3")
    gone = Difference("server.hostname", "wso2am-pattern-3-tm", None, True, False, instance="am/tm")
    assert "does not render the key" in topology(gone, names, catalog, new, old)
    users = Difference("server.hostname", "apim.example.com", None, True, False, instance="am/tm")
    assert topology(users, names, catalog, new, old) == ""  # no chart's name in it: maybe the user's
    fed = Difference("server.hostname", "wso2am-pattern-3-gateway", None, True, False, instance="am/gateway")
    assert topology(fed, names, catalog, new, old) == ""  # 3.1.x's gateway renders it from a values path


def test_an_instance_the_new_chart_has_no_counterpart_for_is_stated_for_review(reference_dir, tmp_path):
    report = tmp_path / "report.json"
    run = migrated_stock("kubernetes-apim/am-pattern-3@3.0.x", "kubernetes-apim/am-pattern-3@4.2.x", report)
    assert run.code == 0, run.err
    assert "renders a deployment.toml for am/km and kubernetes-apim/am-pattern-3@4.2.x none" in report.read_text()


def test_without_the_unpaired_instance_entry_the_vanished_instance_fails_the_proof(reference_dir, monkeypatch,
                                                                                    tmp_path):
    real = values_migration.default_changes
    monkeypatch.setattr(values_migration, "default_changes",
                        lambda *a, **k: [e for e in real(*a, **k) if e.origin != "(instance am/km)"])
    chart, to_chart = "kubernetes-apim/am-pattern-3@3.0.x", "kubernetes-apim/am-pattern-3@4.2.x"
    run = cli("values", stock(chart), "--chart", chart, "--to-chart", to_chart, "-o", tmp_path / "out.yaml")
    assert run.code == 3 and "(instance am/km)" in run.err, run.err


def test_an_unpaired_instance_entry_explains_only_its_own_instance():
    report = Report("values.yaml", "3.0.0", "4.2.0")
    report.entries.append(Entry("review", None, None, origin="(instance am/km)", message="km has no counterpart"))
    assert _unpaired("am/km", report) == "gone: review: km has no counterpart"
    assert _unpaired("x/am/km", report) == "gone: review: km has no counterpart"
    assert _unpaired("am/gateway", report) == ""
    assert _unpaired("am/kmx", report) == ""


@pytest.mark.parametrize("chart, instance, versions", [
    ("helm-apim/control-plane@4.4.x", "instance-2", ("4.4.0", "4.6.0")),
    ("helm-apim/control-plane@4.6.x", "instance-2", None),
    ("kubernetes-apim/am-pattern-1@3.2.x", "am/instance-1", ("3.2.0", "4.2.0")),
])
def test_a_kept_stock_model_reads_as_the_model_built_anew(chart, instance, versions, tmp_path, monkeypatch):
    from k8s_migrate.migrate.default_changes import WIRED, migrated, stock_model

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    chart_map = load_map(chart)
    model = render_model(chart_map, instance, chart_map.defaults_tree())
    built = migrated(model, *versions) if versions else model
    expected = {k: (r.value is WIRED, None if r.value is WIRED else r.value, r.values_path) for k, r in built.items()}
    assert len(expected) > 20
    for _ in range(2):  # built and written, then read back
        got = stock_model(chart_map, instance, versions)
        assert {k: (r.value is WIRED, None if r.value is WIRED else r.value, r.values_path)
                for k, r in got.items()} == expected
    assert any(p.name.startswith("stock-model-") for p in (tmp_path / "cache" / "k8s-migrate" / "data").iterdir())


def test_an_old_literal_gives_way_to_new_wiring_only_where_neither_side_is_fed(reference_dir):
    """3.0.x's km wrote server.hostname = "$env{HOST_NAME}" in its confs file, 3.1.x's names its own service."""
    old, new = load_map("kubernetes-apim/am-pattern-2@3.0.x"), load_map("kubernetes-apim/am-pattern-2@3.1.x")
    catalog = load_catalog("3.1.0")
    names = ("am-pattern-2", "am-pattern-2")
    literal = Difference("server.hostname", "$env{HOST_NAME}", "wso2am-pattern-2-km", True, True, instance="am/km")
    assert "wrote '$env{HOST_NAME}' as a literal of its template" in topology(literal, names, catalog, new, old)
    users = Difference("server.hostname", "apim.example.com", "wso2am-pattern-2-km", True, True, instance="am/km")
    assert topology(users, names, catalog, new, old) == ""  # not the old chart's literal: maybe the user's
    fed = Difference("server.hostname", "$env{HOST_NAME}", "wso2am-pattern-2-gateway", True, True,
                     instance="am/gateway")
    assert topology(fed, names, catalog, new, old) == ""  # 3.1.x's gateway renders it from a values path


@pytest.mark.parametrize(("chart", "to_chart"), [
    ("kubernetes-apim/am-pattern-3@3.0.x", "kubernetes-apim/am-pattern-3@4.0.x"),  # am-dev, am-pub: gone
    ("kubernetes-apim/am-pattern-3@3.0.x", "kubernetes-apim/am-pattern-3@3.1.x"),  # confs/am/instance-2: gone
    ("kubernetes-apim/am-pattern-2@3.1.x", "kubernetes-apim/am-pattern-2@3.2.x"),  # pub-devportal-tm/instance-2: new
])
def test_a_file_that_sets_nothing_upgrades_with_each_instance_change_stated(reference_dir, tmp_path, chart, to_chart):
    empty = tmp_path / "values.yaml"
    empty.write_text("{}\n")
    report = tmp_path / "report.json"
    run = cli("values", empty, "--chart", chart, "--to-chart", to_chart, "-o", tmp_path / "out.yaml",
              "--report", report)
    assert run.code == 0, run.err
    assert "(instance " in report.read_text()


def test_a_3_0_chart_instance_is_known_by_the_confs_folder_its_template_reads(reference_dir):
    from k8s_migrate.verify import instance_aliases

    chart = REFERENCE / "kubernetes-apim" / "3.0.x" / "advanced" / "am-pattern-3"
    assert instance_aliases(chart, "am/devportal") == ("am/dev",)
    assert instance_aliases(chart, "am/tm/instance-2") == ("am/instance-2",)
    assert instance_aliases(REFERENCE / "kubernetes-apim" / "3.1.x" / "advanced" / "am-pattern-3", "am/km") == ()
    report = Report("values.yaml", "3.0.0", "4.0.0")
    report.entries.append(Entry("review", None, None, origin="(instance am/dev)", message="dev has no counterpart"))
    assert _unpaired("am/devportal", report, ("am/dev",)) == "gone: review: dev has no counterpart"
    assert _unpaired("am/devportal", report) == ""
