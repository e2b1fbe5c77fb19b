"""The values proof: every instance of the old chart (values) and of the new chart (migrated values) rendered,
each deployment.toml compared, the set of instances compared; what no report entry explains stops the write
(exit 3, nothing written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from k8s_migrate.charts import deployment_rules
from k8s_migrate.migrate import values as values_migration
from k8s_migrate.migrate.default_changes import pair_instances
from k8s_migrate.verify import verify
from tests.helpers import cli

GOLDEN = Path(__file__).parent / "golden" / "values"
PATTERN_1 = GOLDEN / "repro-1-pattern-1-topology-and-database" / "input.yaml"
KEY = "wso2.apim.configurations.encryption.key=0123456789abcdef0123456789abcdef"


def test_pattern_1_keeps_both_instances_and_its_database(reference_dir):
    result = verify(
        PATTERN_1.read_bytes(), "values.yaml", "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x"
    )
    assert result.ok, [d.key for d in result.unexplained]
    assert result.instances_before == result.instances_after == ["am/instance-1", "am/instance-2"]
    changed = {(d.instance, d.key) for d in result.explained + result.unexplained}
    for instance in ("am/instance-1", "am/instance-2"):
        for key in ("database.apim_db.type", "database.apim_db.url", "database.shared_db.url"):
            assert (instance, key) not in changed  # rendered the same before and after


def test_a_vanished_instance_is_unexplained_without_the_topology_rule(reference_dir, monkeypatch):
    monkeypatch.setattr(deployment_rules, "load_rules", lambda: [])
    result = verify(
        PATTERN_1.read_bytes(), "values.yaml", "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x"
    )
    assert result.instances_after == ["am/instance-1"]
    assert "(instance am/instance-2)" in {d.key for d in result.unexplained}


def test_values_writes_nothing_and_exits_3_when_the_proof_fails(reference_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(deployment_rules, "load_rules", lambda: [])
    out, report = tmp_path / "out.yaml", tmp_path / "report.json"
    run = cli("values", PATTERN_1, "--chart", "kubernetes-apim/am-pattern-1@4.2.x",
              "--to-chart", "helm-apim/all-in-one@4.6.x", "-o", out, "--report", report)
    assert run.code == 3, run.err
    assert not out.exists() and run.out == ""
    assert "proof failed: (instance am/instance-2)" in report.read_text()
    assert run.err.count("\n") == 1 and "internal inconsistency" in run.err and "nothing written" in run.err
    assert "am/instance-2" in run.err


DEFAULT_FED = GOLDEN / "default-fed-keys-across-families"


@pytest.mark.parametrize("dropped", ["apim.gateway.environment[0].http_endpoint",
                                     "transport.passthru_https.sender.parameters.HostnameVerifier"])
def test_a_default_fed_change_without_its_entry_fails_the_proof(reference_dir, monkeypatch, tmp_path, dropped):
    real = values_migration.default_changes
    monkeypatch.setattr(values_migration, "default_changes",
                        lambda *a, **k: [e for e in real(*a, **k) if e.new_key != dropped])
    out = tmp_path / "out.yaml"
    run = cli("values", DEFAULT_FED / "input.yaml", "--chart", "kubernetes-apim/am-pattern-1@4.2.x",
              "--to-chart", "helm-apim/all-in-one@4.6.x", "-o", out)
    assert run.code == 3, run.err
    assert not out.exists() and run.out == ""
    assert run.err.count("\n") == 1 and f"internal inconsistency: {dropped} in am/instance-1" in run.err


def test_the_proof_checks_the_values_a_default_fed_entry_claims(reference_dir, monkeypatch):
    real = values_migration.default_changes

    def wrong_new_value(*args, **kwargs):
        entries = real(*args, **kwargs)
        for e in entries:
            if e.new_key == "apim.gateway.environment[0].http_endpoint":
                e.new_value = "http://elsewhere.example.com"
        return entries

    monkeypatch.setattr(values_migration, "default_changes", wrong_new_value)
    result = verify((DEFAULT_FED / "input.yaml").read_bytes(), "values.yaml", "kubernetes-apim/am-pattern-1@4.2.x",
                    "helm-apim/all-in-one@4.6.x")
    assert "apim.gateway.environment[0].http_endpoint" in {d.key for d in result.unexplained}


def test_values_notes_the_proof_in_its_report(reference_dir, tmp_path):
    report = tmp_path / "report.json"
    run = cli("values", PATTERN_1, "--chart", "kubernetes-apim/am-pattern-1@4.2.x",
              "--to-chart", "helm-apim/all-in-one@4.6.x", "-o", tmp_path / "out.yaml", "--report", report)
    assert run.code == 0, run.err
    assert (
        "proven by rendering: instances am/instance-1, am/instance-2 -> am/instance-1, am/instance-2"
        in report.read_text()
    )


def test_verify_names_the_given_value_not_a_template_constant(reference_dir):
    fixture = Path(__file__).parent / "fixtures" / "values" / "aio-4.2.x-custom.yaml"
    run = cli("verify", fixture, "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.7.x",
              "--set", KEY)
    assert run.code == 0, run.out[-2000:]
    reasons = dict(line.strip().split(": ", 1) for line in run.out.splitlines() if line.startswith("  "))
    assert reasons["encryption.key"] == "given with --set wso2.apim.configurations.encryption.key"
    assert all("destination chart fixes it" not in r or ", line " in r for r in reasons.values())


def test_verify_renders_an_umbrella_chart_through_its_alias(reference_dir):
    values = GOLDEN / "repro-4-umbrella-subchart-detected" / "input.yaml"
    run = cli(
        "verify", values, "--chart", "helm-apim/control-plane@4.5.x", "--to-chart", "helm-apim/control-plane@4.6.x"
    )
    assert run.code == 0, run.out[-2000:]
    assert "super_admin.username" not in run.out  # bob before and after: no difference to explain
    plain = cli("render", values, "--chart", "helm-apim/control-plane@4.5.x")
    assert 'username = "bob"' not in plain.out  # render takes the file as the chart's own values


def test_verify_duplicate_keys_render_the_last(reference_dir):
    values = GOLDEN / "repro-5-duplicate-keys-last-wins" / "input.yaml"
    run = cli("verify", values, "--chart", "helm-apim/all-in-one@4.5.x", "--to-chart", "helm-apim/all-in-one@4.6.x")
    assert run.code == 0 and "internal error" not in run.err, run.out[-2000:] + run.err


@pytest.mark.parametrize(
    ("before", "after", "pairs"),
    [
        (
            ["am/instance-1", "am/instance-2"],
            ["am/instance-1"],
            [("am/instance-1", "am/instance-1"), ("am/instance-2", None)],
        ),
        (["am"], ["am/instance-1"], [("am", "am/instance-1")]),
        (
            ["control-plane/instance-1"],
            ["control-plane/instance-1", "control-plane/instance-2"],
            [("control-plane/instance-1", "control-plane/instance-1"), (None, "control-plane/instance-2")],
        ),
        (
            ["am/instance-1", "am/instance-2"],
            ["x/instance-2", "x/instance-1"],
            [("am/instance-1", "x/instance-1"), ("am/instance-2", "x/instance-2")],
        ),
    ],
)
def test_pair_instances(before, after, pairs):
    assert pair_instances(before, after) == pairs


# ---- full charts: the other objects ----------------------------------------------------------------------

FULL = Path(__file__).resolve().parent.parent / "charts-fixtures" / "full-objects"


def _full_chart(reference_dir: Path, tmp_path: Path, branch: str) -> Path:
    import shutil

    target = tmp_path / branch
    shutil.copytree(reference_dir / f"helm-apim/{branch}/all-in-one", target)
    for folder in ("common", "gateway-api") if branch == "4.7.x" else ("common",):
        shutil.copytree(FULL / folder, target / "templates" / f"fixture-{folder}")
    return target


def _ingress_values(tmp_path: Path) -> Path:
    values = tmp_path / "values.yaml"
    values.write_text('wso2:\n  deployment:\n    image:\n      repository: "wso2/wso2am:4.6.0"\n'
                      'kubernetes:\n  ingress:\n    management:\n      hostname: "apim.local"\n', encoding="utf-8")
    return values


def _verify_full_charts(reference_dir, tmp_path):
    """verify of the ingress values between the full 4.6.x and 4.7.x all-in-one charts."""
    old, new = _full_chart(reference_dir, tmp_path, "4.6.x"), _full_chart(reference_dir, tmp_path, "4.7.x")
    return cli("verify", _ingress_values(tmp_path), "--chart", "helm-apim/all-in-one@4.6.x",
               "--to-chart", "helm-apim/all-in-one@4.7.x", "--chart-dir", old, "--to-chart-dir", new, "--set", KEY)


def test_full_charts_compare_the_objects_around_deployment_toml(reference_dir, tmp_path):
    run = _verify_full_charts(reference_dir, tmp_path)
    objects = run.out.split("other objects", 1)[1].split("explained differences", 1)[0]
    assert (
        "Deployment/release-am-1: images ['wso2/wso2am:4.6.0'] -> ['wso2/wso2am:4.7.0'] (chart-wso2-image-pin"
        in objects
    )
    assert "Ingress/release-management: gone" not in objects  # kept enabled by chart-ingress-stays-enabled
    assert "HTTPRoute/release-management: new" in objects
    assert "Service/" not in objects  # the same ports before and after


def test_full_charts_list_vanished_objects(reference_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(deployment_rules, "load_rules", lambda: [])
    run = _verify_full_charts(reference_dir, tmp_path)
    objects = run.out.split("other objects", 1)[1]
    for name in ("management", "gateway", "websocket", "websub"):
        assert f"Ingress/release-{name}: gone" in objects
    assert "Deployment/release-am-1: images ['wso2/wso2am:4.6.0'] -> ['wso2/wso2am:4.6.0']" not in objects


def test_the_proof_renders_each_chart_once_and_migrates_each_rendered_file_once(reference_dir, monkeypatch):
    from k8s_migrate import verify as verify_module
    from k8s_migrate.charts import render
    from k8s_migrate.migrate import toml as pipeline
    from k8s_migrate.migrate import toml_data
    from k8s_migrate.migrate.values import ValuesOptions, migrate_values

    data = PATTERN_1.read_bytes()
    charts = ("kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x")
    result = migrate_values(data, "values.yaml", ValuesOptions(chart=charts[0], to_chart=charts[1]))
    merges, migrated = [], []
    real_init, real_migrate = render.Rendering.__init__, toml_data.migrate_toml_data
    monkeypatch.setattr(
        render.Rendering, "__init__", lambda self, *a, **k: (merges.append(1), real_init(self, *a, **k))[1]
    )
    monkeypatch.setattr(
        toml_data, "migrate_toml_data", lambda text, *a, **k: (migrated.append(text), real_migrate(text, *a, **k))[1]
    )
    monkeypatch.setattr(pipeline, "migrate_toml", lambda *a, **k: pytest.fail("the proof reads the TOML side as data"))
    monkeypatch.setattr(verify_module, "is_full_chart", lambda chart_dir: True)
    monkeypatch.setattr(
        verify_module, "render_objects", lambda *a, **k: pytest.fail("the proof reads no other objects")
    )
    proven = verify_module.prove_values(data, "values.yaml", *charts, result)
    assert proven is not None and proven.ok
    assert proven.instances_before == ["am/instance-1", "am/instance-2"]
    assert len(merges) == 2  # one Rendering per chart, whatever the number of instances
    assert migrated and len(migrated) == len(set(migrated)) <= 2
    with pytest.raises(pytest.fail.Exception):  # verify itself still compares them
        verify_module.verify(data, "values.yaml", *charts, values_result=result)


def test_the_chart_level_checks_share_one_plain_copy_of_the_migrated_values(reference_dir, monkeypatch):
    """chart_level hands one plain copy of the migrated values to default_changes and then unmet_requirements:
    default_changes must leave it as it was (else the requirements are judged on other values)."""
    import copy

    real = values_migration.default_changes
    seen = []

    def checked(report, src_map, dst_map, source_values, migrated_values, *args, **kwargs):
        before = copy.deepcopy(migrated_values)
        entries = real(report, src_map, dst_map, source_values, migrated_values, *args, **kwargs)
        seen.append(migrated_values == before and bool(entries))
        return entries

    monkeypatch.setattr(values_migration, "default_changes", checked)
    for name, src, dst in (("helm-apim/4.2.x/all-in-one/values.yaml", "helm-apim/all-in-one@4.2.x",
                            "helm-apim/all-in-one@4.6.x"),
                           ("real-world/petro-420-pattern1-values/values.yaml", "kubernetes-apim/am-pattern-1@4.2.x",
                            "helm-apim/all-in-one@4.7.x")):
        values_migration.migrate_values((reference_dir / name).read_bytes(), name,
                                        values_migration.ValuesOptions(chart=src, to_chart=dst))
    assert seen == [True, True]
