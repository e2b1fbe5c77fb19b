"""Splitting a kubernetes-apim pattern values file into helm-apim's distributed charts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from k8s_migrate.charts.chartmap import load_chart_map
from k8s_migrate.data import load_json
from k8s_migrate.formats.text import decode
from k8s_migrate.formats.values import ValuesDocument
from k8s_migrate.hub import format_key, parse_key
from k8s_migrate.migrate.split import SplitOptions, known_path, split_values
from tests.helpers import cli

FIXTURE = Path(__file__).parent / "fixtures" / "split" / "pattern-3-4.2.x.yaml"
TARGETS = ["helm-apim/control-plane@4.6.x", "helm-apim/gateway@4.6.x", "helm-apim/traffic-manager@4.6.x"]
RULES = "charts/rules/kubernetes-apim-4.x-distributed.json"


def split(data: bytes, chart: str = "kubernetes-apim/am-pattern-3@4.2.x", targets=TARGETS):
    return split_values(data, "values.yaml", SplitOptions(chart=chart, to_charts=list(targets)))


def files_of(result) -> dict[str, dict]:
    return {f.name: YAML(typ="safe").load(f.output) for f in result.files if f.output is not None}


def at(tree: dict, path: str):
    node = tree
    for seg in parse_key(path):
        node = node[seg]
    return node


def leaves_of(data: bytes) -> list[str]:
    return [format_key(p) for p, _, _ in ValuesDocument(decode(data, "v"), "v").leaves()]


@pytest.fixture(scope="module")
def fixture_split():
    return split(FIXTURE.read_bytes())


@pytest.mark.parametrize("name, path, value", [
    ("control-plane.yaml", "wso2.apim.configurations.databases.apim_db.url", "jdbc:mysql://db.example.com:3306/APIM_DB?useSSL=true"),
    ("control-plane.yaml", "wso2.apim.configurations.databases.shared_db.username", "shareduser"),
    ("control-plane.yaml", "kubernetes.ingress.controlPlane.hostname", "portal.api.example.com"),
    ("control-plane.yaml", "wso2.apim.configurations.gateway.environments[0].httpHostname", "gw.api.example.com"),
    ("control-plane.yaml", "wso2.apim.configurations.gateway.environments[0].wsHostname", "ws.api.example.com"),
    ("control-plane.yaml", "wso2.deployment.resources.limits.memory", "4Gi"),
    ("control-plane.yaml", "wso2.deployment.image.registry", "registry.example.com"),
    ("gateway.yaml", "kubernetes.ingress.gateway.hostname", "gw.api.example.com"),
    ("gateway.yaml", "kubernetes.ingress.websocket.hostname", "ws.api.example.com"),
    ("gateway.yaml", 'kubernetes.ingress.gateway.annotations."nginx.ingress.kubernetes.io/proxy-body-size"', "20m"),
    ("gateway.yaml", "wso2.deployment.replicas", 4),
    ("gateway.yaml", "wso2.deployment.resources.requests.memory", "3Gi"),
    ("gateway.yaml", "wso2.deployment.resources.jvm.memory.xmx", "1536m"),
    ("gateway.yaml", "wso2.deployment.image.registry", "registry.example.com"),
    ("traffic-manager.yaml", "wso2.apim.configurations.databases.apim_db.url", "jdbc:mysql://db.example.com:3306/APIM_DB?useSSL=true"),
    ("traffic-manager.yaml", "wso2.apim.configurations.databases.apim_db.password", "s3cret-apim"),
    ("traffic-manager.yaml", "wso2.deployment.image.registry", "registry.example.com"),
])
def test_each_customisation_lands_in_its_file(fixture_split, name, path, value):
    assert at(files_of(fixture_split)[name], path) == value


def test_files_hold_only_their_components_values(fixture_split):
    files = files_of(fixture_split)
    assert "ingress" not in files["traffic-manager.yaml"].get("kubernetes", {})
    assert "controlPlane" not in files["gateway.yaml"]["kubernetes"]["ingress"]
    assert "replicas" not in files["control-plane.yaml"]["wso2"]["deployment"]
    # the control plane's own resources, not the shared am.resources the gateway takes
    assert "requests" not in files["control-plane.yaml"]["wso2"]["deployment"]["resources"]
    # values left at the old chart's defaults are not written
    assert "type" not in files["control-plane.yaml"]["wso2"]["apim"]["configurations"]["databases"]


def test_the_gateway_environment_item_is_complete(fixture_split):
    env = at(files_of(fixture_split)["control-plane.yaml"], "wso2.apim.configurations.gateway.environments[0]")
    assert env["name"] and env["type"] and env["httpHostname"] == "gw.api.example.com"


def test_the_users_comment_travels(fixture_split):
    cp = next(f.output for f in fixture_split.files if f.name == "control-plane.yaml")
    assert 'registry: "registry.example.com"  # our mirror' in cp


def test_every_input_leaf_has_exactly_one_entry(fixture_split):
    data = FIXTURE.read_bytes()
    origins = [e.origin for e in fixture_split.report.entries if e.old_key is not None and e.origin]
    for leaf in leaves_of(data):
        assert origins.count(leaf) == 1, leaf
    assert len(origins) == len(leaves_of(data))


def test_values_no_target_takes_are_review(fixture_split):
    by_origin = {e.origin: e for e in fixture_split.report.entries if e.origin and e.old_key is not None}
    for leaf in ("kubernetes.serviceAccount", "wso2.deployment.mi.replicas", "wso2.deployment.am.imageTag"):
        assert by_origin[leaf].action == "review"
    assert by_origin["wso2.deployment.am.cp.db.apim.url"].file == "control-plane.yaml"
    assert "traffic-manager.yaml" in by_origin["wso2.deployment.am.cp.db.apim.url"].message


def test_key_manager_is_skipped_with_a_note():
    result = split(FIXTURE.read_bytes(), targets=TARGETS + ["helm-apim/key-manager@4.6.x"])
    km = next(f for f in result.files if f.chart == "helm-apim/key-manager@4.6.x")
    assert km.output is None
    assert any("key-manager" in n and "no file written" in n for n in result.report.notes)


@pytest.mark.parametrize("chart", ["am-pattern-3", "am-pattern-4"])
@pytest.mark.parametrize("branch", ["4.5.x", "4.6.x", "4.7.x"])
def test_reference_values_split_cleanly(reference_dir, chart, branch):
    data = (reference_dir / "kubernetes-apim/4.2.x/advanced" / chart / "values.yaml").read_bytes()
    targets = [f"helm-apim/{c}@{branch}" for c in ("control-plane", "gateway", "traffic-manager")]
    result = split(data, f"kubernetes-apim/{chart}@4.2.x", targets)
    origins = [e.origin for e in result.report.entries if e.old_key is not None and e.origin]
    assert sorted(origins) == sorted(leaves_of(data))
    # the chart's own defaults are no customisation: nothing but completed list items is written
    for tree in files_of(result).values():
        assert not tree or set(tree) <= {"wso2"}
    assert not [e for e in result.report.entries if e.origin and e.action == "review"
                and "no target chart" in e.message]


def test_pattern_4_traffic_manager_takes_its_own_resources(reference_dir):
    data = (reference_dir / "kubernetes-apim/4.2.x/advanced/am-pattern-4/values.yaml").read_text()
    data = data.replace('cpu: "3000m"', 'cpu: "3500m"', 1)  # the first one in the file is trafficmanager's
    result = split(data.encode(), "kubernetes-apim/am-pattern-4@4.2.x")
    tm = files_of(result)["traffic-manager.yaml"]
    assert at(tm, "wso2.deployment.resources.limits.cpu") == "3500m"


@pytest.mark.parametrize("branch", ["4.5.x", "4.6.x", "4.7.x"])
def test_every_rule_target_exists_in_the_charts(branch):
    rules = load_json(RULES)
    for rule in rules["paths"]:
        for profile, to in rule.get("to", {}).items():
            chart_map = load_chart_map(f"helm-apim/{profile}@{branch}")
            assert known_path(chart_map, parse_key(to)), (rule["from"], profile, to)


def test_cli_writes_one_file_per_chart(tmp_path):
    out = tmp_path / "out"
    args = ["values", str(FIXTURE), "--chart", "kubernetes-apim/am-pattern-3@4.2.x"]
    for t in TARGETS:
        args += ["--to-chart", t]
    run = cli(*args, "-o", str(out), "--report", str(tmp_path / "r.json"), "-q")
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == ["control-plane.yaml", "gateway.yaml", "traffic-manager.yaml"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["moved"] >= 10
    assert cli(*args, "-o", str(out), "--check", "-q").code == 0  # the files are there and equal
    (out / "gateway.yaml").write_text("{}\n")
    assert cli(*args, "-o", str(out), "--check", "-q").code == 1
    run = cli(*args, "-q")
    assert run.code == 2 and "-o DIR" in run.err


def split_args() -> list[str]:
    args = ["values", str(FIXTURE), "--chart", "kubernetes-apim/am-pattern-3@4.2.x"]
    for t in TARGETS:
        args += ["--to-chart", t]
    return args


def test_each_split_file_is_proven_against_its_components_instances(reference_dir, tmp_path):
    report = tmp_path / "r.json"
    run = cli(*split_args(), "-o", str(tmp_path / "out"), "--report", str(report), "-q")
    assert run.code == 0, run.err
    notes = json.loads(report.read_text())["notes"]
    for name, before, after in [("control-plane.yaml", "am/control-plane/instance-1, am/control-plane/instance-2",
                                 "control-plane/instance-1, control-plane/instance-2"),
                                ("gateway.yaml", "am/gateway", "gateway"),
                                ("traffic-manager.yaml", "am/control-plane/instance-1, am/control-plane/instance-2",
                                 "traffic-manager/instance-1, traffic-manager/instance-2")]:
        assert any(n.startswith(f"{name}: proven by rendering: instances {before} -> {after};") for n in notes), notes


def test_a_split_writer_bug_fails_the_proof_and_writes_nothing(reference_dir, tmp_path, monkeypatch):
    from k8s_migrate.migrate import split as split_module

    real_set = split_module.NewValues.set

    def typo(self, path, value, comment=None):  # a writer that garbles the database URL it was told to write
        if path and path[-1] == "url" and "apim_db" in path:
            value = f"{value}-typo"
        real_set(self, path, value, comment)

    monkeypatch.setattr(split_module.NewValues, "set", typo)
    out, report = tmp_path / "out", tmp_path / "r.json"
    run = cli(*split_args(), "-o", str(out), "--report", str(report))
    assert run.code == 3, run.err
    assert not out.exists() and run.out == ""
    assert run.err.count("\n") == 1 and "internal inconsistency: database.apim_db.url in control-plane.yaml" in run.err
    assert "proof failed: database.apim_db.url" in report.read_text()


def test_split_refuses_set_and_subchart_in_one_line(tmp_path):
    for extra in (["--set", "a.b=c"], ["--subchart", "acp"]):
        run = cli(*split_args(), "-o", str(tmp_path / "out"), *extra)
        assert run.code == 2 and run.err.count("\n") == 1 and extra[0] in run.err, run.err
        assert not (tmp_path / "out").exists()


def test_split_honours_the_answers_file(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("keep_old_defaults: true\n")
    by_flag, by_file = tmp_path / "flag.json", tmp_path / "file.json"
    run = cli(*split_args(), "-o", str(tmp_path / "a"), "--keep-old-defaults", "--report", str(by_flag), "-q")
    assert run.code == 0
    run = cli(*split_args(), "-o", str(tmp_path / "b"), "--answers", str(answers), "--report", str(by_file), "-q")
    assert run.code == 0
    plain = tmp_path / "plain.json"
    assert cli(*split_args(), "-o", str(tmp_path / "c"), "--report", str(plain), "-q").code == 0
    summary = lambda p: json.loads(p.read_text())["summary"]  # noqa: E731
    assert summary(by_file) == summary(by_flag) != summary(plain)
    answers.write_text("no_such_field: 1\n")
    run = cli(*split_args(), "-o", str(tmp_path / "d"), "--answers", str(answers))
    assert run.code == 2 and "no_such_field" in run.err and run.err.count("\n") == 1


def test_split_verify_prints_each_files_verification(reference_dir, tmp_path):
    run = cli(*split_args(), "-o", str(tmp_path / "out"), "--verify", "-q")
    assert run.code == 0, run.err
    for name in ("control-plane.yaml (helm-apim/control-plane@4.6.x):", "gateway.yaml (helm-apim/gateway@4.6.x):",
                 "traffic-manager.yaml (helm-apim/traffic-manager@4.6.x):"):
        assert name in run.err
    assert run.err.count("verify: OK") == 3


@pytest.mark.parametrize("chart", ["am-pattern-3", "am-pattern-4"])
def test_a_separate_traffic_manager_gives_the_gateway_the_event_hub(reference_dir, chart):
    data = (reference_dir / "kubernetes-apim/4.2.x/advanced" / chart / "values.yaml").read_bytes()
    result = split(data, f"kubernetes-apim/{chart}@4.2.x", [t.replace("4.6.x", "4.5.x") for t in TARGETS])
    assert files_of(result)["gateway.yaml"]["wso2"]["apim"]["configurations"]["eventhub"]["enabled"] is True
    gateway = next(f for f in result.files if f.name == "gateway.yaml")
    assert any(e.rule == "split-gateway-event-hub" and e.action == "added" for e in gateway.report.entries)
    without_tm = split(data, f"kubernetes-apim/{chart}@4.2.x", TARGETS[:2])
    assert "eventhub" not in str(files_of(without_tm)["gateway.yaml"])
    from k8s_migrate.verify import prove_split

    assert all(v.ok for _, v in prove_split(data, "values.yaml", f"kubernetes-apim/{chart}@4.2.x", result))
