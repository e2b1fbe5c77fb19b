"""`render` and `verify`: charts rendered without helm, and values migrations checked against the TOML migration."""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from pathlib import Path

import pytest

from k8s_migrate.charts import chartmap
from k8s_migrate.migrate import values as pipeline_values
from k8s_migrate.verify import verify
from tests.helpers import cli

FIXTURE = Path(__file__).parent / "fixtures" / "values" / "aio-4.2.x-custom.yaml"
SRC = "helm-apim/all-in-one@4.2.x"

# Found by verify on the fixture (see the report of issue 7): the 4.5.x/4.6.x charts render
# `gateway_type = {{ $env.gatewayType | quote }}` per gateway environment with no default, and the values
# migration does not add gatewayType; and server.hostname moves from kubernetes.ingress.* (guarded by
# ingress.enabled, which 4.5.x no longer sets) to kubernetes.gatewayAPI.*, which the migration ignores.
KNOWN_MAPPING_BUGS = {"apim.gateway.environment[0].gateway_type", "apim.gateway.environment[1].gateway_type",
                      "server.hostname"}


@pytest.fixture
def fixture_with_gateway_type(tmp_path: Path) -> Path:
    """The fixture with gatewayType set per environment, so the destination renders valid TOML."""
    text = FIXTURE.read_text(encoding="utf-8").replace(
        '            provider: "wso2"\n', '            provider: "wso2"\n            gatewayType: "Regular"\n')
    assert text.count("gatewayType") == 2
    path = tmp_path / "values.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_render_prints_the_charts_deployment_toml(reference_dir):
    run = cli("render", FIXTURE, "--chart", SRC)
    assert run.code == 0, run.err
    data = tomllib.loads(run.out)
    assert data["server"]["hostname"] == "apim.example.com"
    assert data["database"]["apim_db"]["url"] == "jdbc:mysql://mysql.db.svc:3306/apim_db?useSSL=false"


def test_render_null_deletes_a_chart_default(reference_dir, tmp_path):
    values = tmp_path / "v.yaml"
    values.write_text("kubernetes:\n  ingress:\n    management:\n      hostname: null\n", encoding="utf-8")
    assert tomllib.loads(cli("render", "-", "--chart", SRC, stdin=b"{}").out)["server"]["hostname"] == "am.wso2.com"
    run = cli("render", values, "--chart", SRC)
    assert run.code == 0, run.err
    assert tomllib.loads(run.out)["server"]["hostname"] == ""


def test_render_unknown_instance_is_one_line_exit_2(reference_dir):
    run = cli("render", FIXTURE, "--chart", SRC, "--instance", "no-such-instance")
    assert run.code == 2
    assert run.err.startswith("k8s-migrate: error:") and run.err.count("\n") == 1
    assert "no-such-instance" in run.err


@pytest.mark.parametrize("to", ["4.5.x", "4.6.x"])
def test_verify_passes_on_the_fixture_once_new_item_fields_are_filled(reference_dir, to):
    # 4.3.x+ charts render gateway_type from each environment item, which 4.2.x items lack:
    # r430-environment-gateway-type adds it (a report entry), so verify has no difference to explain.
    run = cli("verify", FIXTURE, "--chart", SRC, "--to-chart", f"helm-apim/all-in-one@{to}")
    assert run.code == 0, run.out + run.err
    assert "environment[0].gateway_type" not in run.out


@pytest.mark.parametrize("to", ["4.5.x", "4.6.x"])
def test_verify_fixture_leaves_only_known_mapping_bugs(reference_dir, fixture_with_gateway_type, to):
    result = verify(fixture_with_gateway_type.read_bytes(), "values.yaml", SRC, f"helm-apim/all-in-one@{to}")
    unexplained = {d.key for d in result.unexplained}
    assert unexplained <= KNOWN_MAPPING_BUGS
    reasons = " ".join(d.reason for d in result.explained)
    assert "chart default change" in reasons  # the values report's defaulted entries, not a verifier excuse
    assert not any(excuse in reasons for excuse in ("fed by the destination chart's default", "template constant",
                                                     "neither chart renders it"))
    assert all(d.reason for d in result.explained)


def test_verify_catches_a_broken_chart_map(reference_dir, fixture_with_gateway_type, monkeypatch):
    dst = "helm-apim/all-in-one@4.5.x"
    baseline = verify(fixture_with_gateway_type.read_bytes(), "values.yaml", SRC, dst)
    assert "database.apim_db.url" not in {d.key for d in baseline.unexplained}

    real_load_map = chartmap.load_map

    def broken_load_map(chart: str):
        chart_map = real_load_map(chart)
        if chart != dst:
            return chart_map
        chart_map = copy.deepcopy(chart_map)
        chart_map.links = [
            dataclasses.replace(link, values="wso2.apim.configurations.databases.apim_db.jdbcUrl")
            if link.toml == "database.apim_db.url" else link for link in chart_map.links]
        return chart_map

    monkeypatch.setattr(chartmap, "load_map", broken_load_map)
    monkeypatch.setattr(pipeline_values, "load_map", broken_load_map)
    run = cli("verify", fixture_with_gateway_type, "--chart", SRC, "--to-chart", dst)
    assert run.code == 1
    assert "database.apim_db.url" in run.out.split("UNEXPLAINED", 1)[1]


def test_verify_real_world_values_explain_the_chart_default_change(reference_dir):
    values = reference_dir / "real-world" / "chilcano-450-aio-values" / "wso2-am-pattern-0-all-in-one-values.yaml"
    result = verify(values.read_bytes(), values.name, "helm-apim/all-in-one@4.5.x", "helm-apim/all-in-one@4.6.x")
    reasons = {d.key: d.reason for d in result.explained}
    assert reasons["apim.gateway_type"].startswith("chart default change")
    # Left: the TOML migration's 4.6 aliases rename shared_db's pool_options keys to snake_case (not
    # apim_db's), while the 4.6.x chart renders them camelCase: a real disagreement, reported not hidden.
    assert {d.key for d in result.unexplained} <= {
        f"database.shared_db.pool_options.{k}"
        for k in ("defaultAutoCommit", "maxActive", "maxWait", "testOnBorrow", "validationInterval")}


def test_verify_fails_when_the_destination_chart_refuses_the_migrated_values(reference_dir):
    values = reference_dir / "real-world" / "thomas-460-gw-values" / "apim-gw-values.yaml"
    run = cli("verify", values, "--chart", "helm-apim/gateway@4.6.x", "--to-chart", "helm-apim/gateway@4.7.x")
    assert run.code == 1, run.err
    assert "cannot render the migrated values" in run.out and "Encryption key" in run.out


def test_verify_same_chart_has_no_differences(reference_dir):
    run = cli("verify", FIXTURE, "--chart", SRC, "--to-chart", SRC)
    assert run.code == 0, run.out + run.err
    assert "UNEXPLAINED" not in run.out and run.out.endswith("verify: OK\n")
    # Only shared_db.pool_options differs (explained by chart defaults): the TOML migration's aliases rename
    # those keys even from 4.2 to 4.2; see the report of issue 7.
    assert all("shared_db.pool_options" in line for line in run.out.splitlines()[1:-1])


KEY = "wso2.apim.configurations.encryption.key=0123456789abcdef0123456789abcdef"
REAL_VALUES_TO_NEWEST = [
    (
        "chilcano-450-aio-values/wso2-am-pattern-0-all-in-one-values.yaml",
        "helm-apim/all-in-one@4.5.x",
        "helm-apim/all-in-one@4.7.x",
    ),
    ("thomas-460-gw-values/apim-gw-values.yaml", "helm-apim/gateway@4.6.x", "helm-apim/gateway@4.7.x"),
    ("petro-420-pattern1-values/values.yaml", "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.7.x"),
]


@pytest.mark.parametrize(
    "name,src,dst", REAL_VALUES_TO_NEWEST, ids=[n.split("/")[0] for n, _, _ in REAL_VALUES_TO_NEWEST]
)
def test_verify_passes_on_real_world_values_once_the_required_key_is_given(reference_dir, name, src, dst):
    run = cli("verify", reference_dir / "real-world" / name, "--chart", src, "--to-chart", dst, "--set", KEY)
    assert run.code == 0, run.out[-3000:] + run.err


def test_verify_passes_on_the_fixture_to_47(reference_dir):
    run = cli("verify", FIXTURE, "--chart", SRC, "--to-chart", "helm-apim/all-in-one@4.7.x", "--set", KEY)
    assert run.code == 0, run.out[-3000:] + run.err


def test_values_verify_flag_runs_the_same_check(reference_dir, tmp_path):
    ok = cli("values", FIXTURE, "--chart", SRC, "--to-chart", "helm-apim/all-in-one@4.6.x", "--verify", "-q",
             "-o", tmp_path / "out.yaml")
    assert ok.code == 0 and "verify: OK" in ok.err
    refused = cli("values", FIXTURE, "--chart", SRC, "--to-chart", "helm-apim/all-in-one@4.7.x", "--verify", "-q",
                  "-o", tmp_path / "out47.yaml")
    assert refused.code == 1 and "Encryption key is required" in refused.err
    given = cli("values", FIXTURE, "--chart", SRC, "--to-chart", "helm-apim/all-in-one@4.7.x", "--verify", "-q",
                "--set", KEY, "-o", tmp_path / "out47.yaml")
    assert given.code == 0, given.err[-2000:]


def test_verify_masks_secret_values_in_its_diff():
    from k8s_migrate.verify import Difference, Verification, verification_text

    result = Verification(unexplained=[Difference("database.apim_db.password", "Old-Pa55", "New-Pa55", True, True)])
    text = verification_text(result)
    assert "Old-Pa55" not in text and "New-Pa55" not in text and "****" in text
    assert "New-Pa55" in verification_text(result, show_secrets=True)


def test_values_verify_checks_the_migration_it_writes(reference_dir, tmp_path, monkeypatch):
    """--verify checks the migration the command writes (made with the command's options and answers), and the
    migration is made once."""
    import k8s_migrate.migrate.values as migrate_module
    import k8s_migrate.verify as verify_module

    seen, runs = [], []
    real_verify, real_migrate = verify_module.verify, migrate_module.migrate_values

    def spy_verify(*args, **kwargs):
        seen.append(kwargs.get("values_result"))
        return real_verify(*args, **kwargs)

    def count_migrate(*args, **kwargs):
        runs.append(1)
        return real_migrate(*args, **kwargs)

    monkeypatch.setattr(verify_module, "verify", spy_verify)
    monkeypatch.setattr(migrate_module, "migrate_values", count_migrate)
    out = tmp_path / "out.yaml"
    run = cli("values", FIXTURE, "--chart", SRC, "--to-chart", "helm-apim/all-in-one@4.6.x", "--verify", "-q",
              "-o", out)
    assert run.code == 0 and "verify: OK" in run.err, run.err[-2000:]
    written = out.read_text(encoding="utf-8")
    assert len(seen) == 2, "the proof and --verify"
    assert all(result is not None and result.output == written for result in seen)
    assert len(runs) == 1
