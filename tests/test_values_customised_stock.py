"""WSO2's stock values files with one setting changed, as a user changes them: the change is carried or stated,
never written over or called the chart's, and the proof holds (scripts/stock_upgrade_matrix.py runs the stock
files unchanged; these are the classes a seeded sweep of changed leaves found)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import REFERENCE
from tests.helpers import cli


def customised(tmp_path: Path, stock: str, changes: dict[tuple, object]) -> Path:
    yaml = YAML()
    data = yaml.load((REFERENCE / stock).read_text())
    for path, value in changes.items():
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    out = tmp_path / "values.yaml"
    with out.open("w") as fh:
        yaml.dump(data, fh)
    return out


def migrate(tmp_path: Path, values: Path, chart: str, to_chart: str) -> tuple[str, list[dict]]:
    out, report = tmp_path / "out.yaml", tmp_path / "report.json"
    run = cli("values", values, "--chart", chart, "--to-chart", to_chart, "-o", out, "--report", report)
    assert run.code == 0, run.err
    assert "proven by rendering" in report.read_text()
    return out.read_text(), json.loads(report.read_text())["entries"]


def test_a_path_the_file_sets_is_not_written_over_by_an_old_path_that_had_no_effect(reference_dir, tmp_path):
    """4.3.x fed server.hostname from kubernetes.ingress.management.hostname, or under gatewayAPI.enabled from
    kubernetes.gatewayAPI.management.hostname; 4.4.x reads only the first. The second (off, at its default) used
    to be moved onto the first, replacing the user's host name."""
    values = customised(tmp_path, "helm-apim/4.3.x/all-in-one/values.yaml",
                        {("kubernetes", "ingress", "management", "hostname"): "apim.example.com"})
    output, entries = migrate(tmp_path, values, "helm-apim/all-in-one@4.3.x", "helm-apim/all-in-one@4.4.x")
    new = YAML(typ="safe").load(output)
    assert new["kubernetes"]["ingress"]["management"]["hostname"] == "apim.example.com"
    inert = [e for e in entries if e.get("origin") == "kubernetes.gatewayAPI.management.hostname"]
    assert [e["action"] for e in inert] == ["kept"]
    assert "which this file sets itself ('apim.example.com')" in inert[0]["message"]


def test_a_live_value_is_not_written_over_either_it_is_left_for_review(reference_dir, tmp_path):
    """With gatewayAPI on, its host name fed server.hostname and apim.devportal.url; 4.4.x reads both from the
    ingress host name, which the file also sets: each key the live value fed is stated for review."""
    values = customised(tmp_path, "helm-apim/4.3.x/all-in-one/values.yaml", {
        ("kubernetes", "gatewayAPI", "enabled"): True,
        ("kubernetes", "gatewayAPI", "management", "hostname"): "gw-api.example.com",
        ("kubernetes", "ingress", "management", "hostname"): "apim.example.com"})
    output, entries = migrate(tmp_path, values, "helm-apim/all-in-one@4.3.x", "helm-apim/all-in-one@4.4.x")
    new = YAML(typ="safe").load(output)
    assert new["kubernetes"]["ingress"]["management"]["hostname"] == "apim.example.com"
    assert new["kubernetes"]["gatewayAPI"]["management"]["hostname"] == "gw-api.example.com"
    origin = "kubernetes.gatewayAPI.management.hostname"
    live = {e["new_key"]: e["action"] for e in entries if e.get("origin") == origin}
    assert live == {"server.hostname": "review", "apim.devportal.url": "review"}


def test_a_list_items_own_field_guard_is_judged_by_the_items_value(reference_dir, tmp_path):
    """3.2.x renders permissions under {{ if .permissions }} inside its range; 4.2.x renders none. A customised
    permission was called "no effect of its own (a guard that did not hold)" and kept silently."""
    values = customised(tmp_path, "helm-apim/3.2.x/distributed/control-plane/values.yaml", {
        ("wso2", "apim", "configurations", "resourceAccessControl", 1, "permissions"): ["/permission/custom/"]})
    _, entries = migrate(tmp_path, values, "helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.2.x")
    custom = [e for e in entries if e.get("origin") == "wso2.apim.configurations.resourceAccessControl[1].permissions"]
    assert [e["action"] for e in custom] == ["review"]
    unset = [e for e in entries if e.get("origin") == "wso2.apim.configurations.resourceAccessControl[0].permissions"]
    assert [e["action"] for e in unset] == ["kept"]  # permissions: null, the guard does not hold for that item


def test_a_key_rendered_under_a_guard_the_user_turned_on_is_theirs_to_review(reference_dir, tmp_path):
    """4.5.x renders apim.analytics.enable = true (a template literal) and the Choreo endpoint and key (its defaults)
    when wso2.choreoAnalytics.enabled is on; 4.6.x has no Choreo analytics. Those changes are the user's to review,
    not the chart's defaults."""
    values = customised(tmp_path, "helm-apim/4.5.x/all-in-one/values.yaml",
                        {("wso2", "choreoAnalytics", "enabled"): True})
    _, entries = migrate(tmp_path, values, "helm-apim/all-in-one@4.5.x", "helm-apim/all-in-one@4.6.x")
    by_key = {e["new_key"]: e for e in entries if e.get("origin") == "chart:helm-apim/all-in-one@4.6.x"}
    for key in ("apim.analytics.enable", "apim.analytics.auth_token", "apim.analytics.config_endpoint"):
        assert by_key[key]["action"] == "review", by_key[key]
        assert "under a guard that reads your wso2.choreoAnalytics.enabled" in by_key[key]["message"]


def test_with_the_guard_at_its_default_the_same_keys_stay_the_charts(reference_dir, tmp_path):
    values = customised(tmp_path, "helm-apim/4.5.x/all-in-one/values.yaml", {})
    _, entries = migrate(tmp_path, values, "helm-apim/all-in-one@4.5.x", "helm-apim/all-in-one@4.6.x")
    assert not any("under a guard that reads your" in e["message"] for e in entries)


def test_a_value_an_old_guard_kept_off_says_that_it_takes_effect_now(reference_dir, tmp_path):
    """3.2.x renders revoke_endpoint only when oauthConfig.enabled (off in the stock file); 4.4.x renders it from
    oauth_config.revokeEndpoint with no guard: the user's value turns on, and the report says so."""
    values = customised(tmp_path, "helm-apim/3.2.x/all-in-one/values.yaml", {
        ("wso2", "apim", "configurations", "oauthConfig", "revokeEndpoint"): "https://cp.example.com"})
    output, entries = migrate(tmp_path, values, "helm-apim/all-in-one@3.2.x", "helm-apim/all-in-one@4.4.x")
    new = YAML(typ="safe").load(output)
    assert new["wso2"]["apim"]["configurations"]["oauth_config"]["revokeEndpoint"] == \
        "https://cp.example.com/oauth2/revoke"
    entry = next(e for e in entries if e.get("new_key") == "apim.oauth_config.revoke_endpoint")
    assert entry["action"] == "review" and "so it takes effect now" in entry["message"]
    assert entry["old_value"] != entry["new_value"]  # the server's default before, the user's value now


def test_a_value_an_old_guard_kept_off_at_its_default_is_no_news(reference_dir, tmp_path):
    values = customised(tmp_path, "helm-apim/3.2.x/all-in-one/values.yaml", {})
    _, entries = migrate(tmp_path, values, "helm-apim/all-in-one@3.2.x", "helm-apim/all-in-one@4.4.x")
    assert not any("so it takes effect now" in e["message"] for e in entries)


def test_a_leaf_that_gave_part_of_a_key_is_not_written_over_the_path_that_now_gives_it_all(reference_dir, tmp_path):
    """3.2.x built key_manager.service_url from iskm.serviceName and iskm.servicePort; 4.5.x from serviceName with
    the port fixed in its template. The port used to be moved onto serviceName, replacing the service name."""
    values = customised(tmp_path, "helm-apim/3.2.x/distributed/traffic-manager/values.yaml", {
        ("wso2", "apim", "configurations", "iskm", "enabled"): True,
        ("wso2", "apim", "configurations", "iskm", "serviceName"): "km-svc",
        ("wso2", "apim", "configurations", "iskm", "servicePort"): 9444})
    output, entries = migrate(tmp_path, values, "helm-apim/traffic-manager@3.2.x", "helm-apim/traffic-manager@4.5.x")
    assert YAML(typ="safe").load(output)["wso2"]["apim"]["configurations"]["iskm"]["serviceName"] == "km-svc"
    port = [e for e in entries if e.get("origin") == "wso2.apim.configurations.iskm.servicePort"]
    assert [e["action"] for e in port] == ["review"] and "gave a part of" in port[0]["message"]


def test_a_key_built_from_a_defaulted_path_and_the_users_own_is_stated(reference_dir, tmp_path):
    """3.2.x built a gateway environment's service_url from its serviceName and servicePort: with the user's port
    and the name taking 4.4.x's default, the URL changes, and an entry says so with both values."""
    values = customised(tmp_path, "helm-apim/3.2.x/distributed/control-plane/values.yaml", {
        ("wso2", "apim", "configurations", "gateway", "environments", 0, "servicePort"): 8244})
    _, entries = migrate(tmp_path, values, "helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.4.x")
    url = [e for e in entries if e.get("new_key") == "apim.gateway.environment[0].service_url"]
    assert [(e["old_value"], e["new_value"]) for e in url] == [
        ("https://apim-am-all-in-one-am-service:8244/services/", "https://wso2am-gateway-service:8244/services/")]


def test_a_value_moved_where_it_feeds_more_keys_is_stated_for_each_new_key(reference_dir, tmp_path):
    """3.1.x pattern-3 has a host name per component; 4.0.x one for the control plane (publisher and devportal).
    The devportal's moves there and now also feeds apim.devportal.url, and server.hostname of the instance paired
    with the old Key Manager: each is stated for review, not left to the proof to find unexplained."""
    values = customised(tmp_path, "kubernetes-apim/3.1.x/advanced/am-pattern-3/values.yaml",
                        {("wso2", "deployment", "am", "devportal", "hostname"): "portal.example.com"})
    output, entries = migrate(tmp_path, values, "kubernetes-apim/am-pattern-3@3.1.x",
                              "kubernetes-apim/am-pattern-3@4.0.x")
    cp = YAML(typ="safe").load(output)["wso2"]["deployment"]["am"]["cp"]
    assert cp["ingress"]["hostname"] == "portal.example.com"
    carried = {e["new_key"]: e for e in entries if "moved there from your wso2.deployment.am.devportal.hostname"
               in e.get("message", "")}
    assert set(carried) == {"apim.devportal.url", "server.hostname"}
    assert {e["action"] for e in carried.values()} == {"review"}
    assert carried["apim.devportal.url"]["new_value"] == "https://portal.example.com/devportal"
    assert "in am/control-plane/instance-2" in carried["server.hostname"]["message"]


def test_a_kept_value_the_new_template_reads_where_the_old_one_had_a_literal_is_stated(reference_dir, tmp_path):
    """4.1.x pattern-1 wrote the websocket endpoints as literals; 4.2.x builds them from the websocket ingress host
    name, which the file customised: the endpoints change, and each is stated for review."""
    values = customised(tmp_path, "kubernetes-apim/4.1.x/advanced/am-pattern-1/values.yaml",
                        {("wso2", "deployment", "am", "ingress", "websocket", "hostname"): "ws.example.com"})
    _, entries = migrate(tmp_path, values, "kubernetes-apim/am-pattern-1@4.1.x", "kubernetes-apim/am-pattern-1@4.2.x")
    stated = {e["new_key"]: e for e in entries if "did not render into this key" in e.get("message", "")}
    assert set(stated) == {"apim.gateway.environment[0].ws_endpoint", "apim.gateway.environment[0].wss_endpoint"}
    assert [stated[k]["action"] for k in sorted(stated)] == ["review", "review"]
    assert stated["apim.gateway.environment[0].ws_endpoint"]["old_value"] == "ws://localhost:9099"
    assert stated["apim.gateway.environment[0].wss_endpoint"]["new_value"] == "wss://ws.example.com"


@pytest.mark.parametrize(("component", "old", "new", "said"), [
    # 3.2.x built the Key Manager's service_url from iskm.serviceName and iskm.servicePort (null: an empty port);
    # 4.5.x writes the port 9443 into its template
    ("traffic-manager@3.2.x>4.5.x", "https://:/services/", "https://:9443/services/",
     ["under a guard that reads your wso2.apim.configurations.iskm.enabled",
      "filled from wso2.apim.configurations.iskm.serviceName where"]),
    # the reverse: 4.2.x wrote :9443 into the gateway's, 4.6.x reads iskm.servicePort, which neither file sets
    ("gateway@4.2.x>4.6.x", "https://:9443/services/", "https://:/services/",
     ["wso2.apim.configurations.iskm.servicePort where helm-apim/gateway@4.2.x's"]),
])
def test_a_part_one_template_fills_from_a_value_and_the_other_fixes_is_stated(reference_dir, tmp_path, component, old,
                                                                              new, said):
    """With iskm turned on, the Key Manager's service_url changes where one chart's template fills the port from a
    value and the other's writes it: stated for review, not left for the proof to find."""
    name, versions = component.split("@")
    version, to_version = versions.split(">")
    values = customised(tmp_path, f"helm-apim/{version}/distributed/{name}/values.yaml",
                        {("wso2", "apim", "configurations", "iskm", "enabled"): True})
    _, entries = migrate(tmp_path, values, f"helm-apim/{name}@{version}", f"helm-apim/{name}@{to_version}")
    url = [e for e in entries if e["new_key"] == "apim.key_manager.service_url" and e["action"] == "review"]
    assert [(e["old_value"], e["new_value"]) for e in url] == [(old, new)]
    assert all(fragment in url[0]["message"] for fragment in said)


def test_each_key_a_defaulted_path_fed_under_a_guard_the_user_turned_on_is_stated(reference_dir, tmp_path):
    """The database password paths take 4.5.x's defaults (''); with secure vault on, 3.2.x rendered them into the
    [secrets] table rather than into database.*.password, which the defaulted entries name: each secret is stated."""
    values = customised(tmp_path, "helm-apim/3.2.x/distributed/traffic-manager/values.yaml",
                        {("wso2", "apim", "secureVaultEnabled"): True})
    _, entries = migrate(tmp_path, values, "helm-apim/traffic-manager@3.2.x", "helm-apim/traffic-manager@4.5.x")
    secrets = {e["new_key"]: e for e in entries if e["new_key"] in ("secrets.apim_db_password",
                                                                   "secrets.shared_db_password")}
    assert set(secrets) == {"secrets.apim_db_password", "secrets.shared_db_password"}
    assert {e["action"] for e in secrets.values()} == {"review"}
    assert all(e["new_value"] == "" and "your wso2.apim.secureVaultEnabled" in e["message"] for e in secrets.values())


def test_a_kept_value_a_guard_kept_out_of_a_key_the_new_chart_renders_it_into_is_stated(reference_dir, tmp_path):
    """3.2.x wrote truststore.password as $secret{truststore_password} (the user's password went to [secrets]);
    4.3.x renders the password itself there: the key's change is stated, beside the secret's."""
    values = customised(tmp_path, "helm-apim/3.2.x/all-in-one/values.yaml", {
        ("wso2", "apim", "configurations", "security", "truststore", "password"): "trust-me",
        ("wso2", "apim", "configurations", "security", "keystores", "tls", "enabled"): True})
    _, entries = migrate(tmp_path, values, "helm-apim/all-in-one@3.2.x", "helm-apim/all-in-one@4.3.x")
    key = [e for e in entries if e["new_key"] == "truststore.password" and e["action"] == "review"]
    assert [e["old_value"] for e in key] == ["$secret{truststore_password}"] and len(key) == 1
    assert "did not render into this key" in key[0]["message"]


def test_keys_a_customised_list_item_built_that_the_new_chart_drops_are_stated_each(reference_dir, tmp_path):
    """3.2.x's control plane built throttle_decision_endpoints and one url_group per item of throttling.urls;
    4.2.x renders none of them. The file still holds the list (kept for review), and each key its custom item built
    is stated too: the list's own entry names the values path, not the keys."""
    values = customised(tmp_path, "helm-apim/3.2.x/distributed/control-plane/values.yaml",
                        {("wso2", "apim", "configurations", "throttling", "urls", 1): "tm.example.com"})
    _, entries = migrate(tmp_path, values, "helm-apim/control-plane@3.2.x", "helm-apim/control-plane@4.2.x")
    stated = {e["new_key"]: e for e in entries if e["action"] == "review" and "tm.example.com" in str(e["old_value"])
              and e["new_key"] != "wso2.apim.configurations.throttling.urls"}  # the list's own entry
    assert set(stated) == {"apim.throttling.throttle_decision_endpoints",
                           "apim.throttling.url_group[1].traffic_manager_urls[0]",
                           "apim.throttling.url_group[1].traffic_manager_auth_urls[0]"}
    assert all(e["new_value"] is None for e in stated.values())


def test_the_keys_each_item_of_a_defaulted_list_built_are_stated_each(reference_dir, tmp_path):
    """throttling.urls takes 4.3.x's defaults (the control plane's services): 3.2.x's gateway built one url_group
    per item; each item's keys change and are stated, as the chart's default, not as the user's (a customised
    portOffset, a part of the same keys, is not a reason to leave them out)."""
    values = customised(tmp_path, "helm-apim/3.2.x/distributed/gateway/values.yaml",
                        {("wso2", "apim", "configurations", "throttling", "portOffset"): 1})
    _, entries = migrate(tmp_path, values, "helm-apim/gateway@3.2.x", "helm-apim/gateway@4.3.x")
    offset_path = "wso2.apim.configurations.throttling.portOffset"
    groups = {e["new_key"]: e for e in entries if (e["new_key"] or "").startswith("apim.throttling.url_group[")
              and e["new_key"].endswith("_urls[0]") and e.get("origin") != offset_path}
    assert set(groups) == {f"apim.throttling.url_group[{i}].traffic_manager{a}_urls[0]" for i in (0, 1)
                           for a in ("", "_auth")}
    assert {e["action"] for e in groups.values()} == {"defaulted"}
    second = groups["apim.throttling.url_group[1].traffic_manager_urls[0]"]
    assert second["new_value"] == "tcp://wso2am-cp-2-service:9612"
    # the port offset's own entries name every item's key ([]), not a key made of its name
    offset = {e["new_key"] for e in entries if e.get("origin") == offset_path}
    assert "apim.throttling.url_group[].traffic_manager_urls[0]" in offset
    assert not any("portOffset" in key for key in offset)
