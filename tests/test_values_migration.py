"""Helm values migration through the hub (issue 3)."""

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from k8s_migrate.formats.values import walk_values
from k8s_migrate.migrate.values import ValuesOptions, migrate_values

from helpers import cli

FIXTURES = Path(__file__).parent / "fixtures" / "values"
HELM_APIM_AIO = ["3.2.x", "4.2.x", "4.3.x", "4.4.x", "4.5.x", "4.6.x", "4.7.x"]


def load(text):
    return YAML(typ="safe", pure=True).load(text)


def dig(data, dotted):
    node = data
    for part in dotted.split("."):
        if "[" in part:
            name, idx = part[:-1].split("[")
            node = node[name][int(idx)]
        else:
            node = node[part]
    return node


def reference_charts(reference_dir):
    for family in ("helm-apim", "kubernetes-apim"):
        for values in sorted((reference_dir / family).glob("*/**/values.yaml")):
            yield family, values


def chart_id(reference_dir, family, values):
    from k8s_migrate.charts.chartmap import builtin_ids

    branch = values.relative_to(reference_dir / family).parts[0]
    name = values.parent.name
    cid = f"{family}/{name}@{branch}"
    return cid if cid in builtin_ids() else None


def test_every_chart_values_file_to_its_own_chart_is_byte_identical(reference_dir):
    checked = 0
    for family, values in reference_charts(reference_dir):
        cid = chart_id(reference_dir, family, values)
        if cid is None:
            continue
        data = values.read_bytes()
        result = migrate_values(data, str(values), ValuesOptions(chart=cid, to_chart=cid))
        assert result.output.encode() == data, cid
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize("target", ["4.5.x", "4.6.x", "4.7.x"])
def test_customised_42_values_land_at_new_paths_with_comments(target):
    path = FIXTURES / "aio-4.2.x-custom.yaml"
    text = path.read_text()
    result = migrate_values(
        text.encode(), str(path), ValuesOptions(chart="helm-apim/all-in-one@4.2.x", to_chart=f"helm-apim/all-in-one@{target}")
    )
    out = load(result.output)
    cfg = "wso2.apim.configurations"
    assert dig(out, "kubernetes.ingress.management.hostname") == "apim.example.com"
    assert dig(out, f"{cfg}.databases.apim_db.url") == "jdbc:mysql://mysql.db.svc:3306/apim_db?useSSL=false"
    assert dig(out, f"{cfg}.databases.shared_db.password") == "Sh-Db-Pa55"
    assert dig(out, f"{cfg}.security.keystores.primary.name") == "apim-primary.jks"
    assert dig(out, f"{cfg}.gateway.environments[1].name") == "Internal"
    assert dig(out, f"{cfg}.gateway.environments[1].httpHostname") == "gw.internal.example.com"
    assert dig(out, f"{cfg}.cors.allowOrigins") == ["https://portal.example.com"]
    assert dig(out, f"{cfg}.cache.gateway_token.expiryTime") == "30m"
    assert dig(out, "wso2.deployment.image.tag") == "4.2.0-hardened.3"
    for line in text.splitlines():
        if line.strip().startswith("#") or "#" in line:
            comment = line[line.index("#"):]
            assert comment in result.output, f"lost comment {comment!r}"
    leaves = {".".join(map(str, p)) for p, _, _ in walk_values(load(text))}
    reported = {e.origin for e in result.report.entries if e.origin}
    assert len(reported) >= len(leaves) - 0
    assert len([e for e in result.report.entries if e.old_key]) == len(list(walk_values(load(text))))


def test_32_camel_case_values_reach_45_snake_case_paths_through_the_hub(reference_dir):
    values = reference_dir / "helm-apim" / "3.2.x" / "all-in-one" / "values.yaml"
    result = migrate_values(values.read_bytes(), "values.yaml",
                            ValuesOptions(chart="helm-apim/all-in-one@3.2.x", to_chart="helm-apim/all-in-one@4.5.x"))
    out = load(result.output)
    cfg = out["wso2"]["apim"]["configurations"]
    assert "gateway_token" in cfg["cache"] and "gatewayToken" not in cfg["cache"]
    assert "apim_db" in cfg["databases"] and "apimDB" not in cfg["databases"]
    moved = {e.origin: e for e in result.report.entries if e.action == "moved"}
    assert "wso2.apim.configurations.databases.apimDB.poolParameters.testOnBorrow" in moved


REAL_VALUES = {
    "chilcano-450-aio-values/wso2-am-pattern-0-all-in-one-values.yaml": (
        "helm-apim/all-in-one@4.5.x",
        "helm-apim/all-in-one@4.7.x",
    ),
    "thomas-460-gw-values/apim-gw-values.yaml": ("helm-apim/gateway@4.6.x", "helm-apim/gateway@4.7.x"),
    "petro-420-pattern1-values/values.yaml": ("kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.7.x"),
}


@pytest.mark.parametrize("name", sorted(REAL_VALUES))
def test_real_world_values_migrate_to_the_newest_chart(reference_dir, name, tmp_path):
    src, dst = REAL_VALUES[name]
    report = tmp_path / "r.json"
    run = cli("values", reference_dir / "real-world" / name, "--chart", src, "--to-chart", dst,
              "-o", tmp_path / "out.yaml", "--report", report, "-q")
    assert run.code == 0, run.err
    load((tmp_path / "out.yaml").read_text())
    entries = json.loads(report.read_text())["entries"]
    leaves = list(walk_values(load((reference_dir / "real-world" / name).read_text())))
    assert len([e for e in entries if e["old_key"]]) == len(leaves)


def test_helm_action_in_values_is_a_one_line_error(tmp_path):
    bad = tmp_path / "values.yaml"
    bad.write_text("wso2:\n  apim:\n    version: {{ .Chart.AppVersion }}\n")
    run = cli("values", bad, "--chart", "helm-apim/all-in-one@4.5.x", "--to-chart", "helm-apim/all-in-one@4.6.x")
    assert run.code == 2
    assert run.err.count("\n") == 1 and "values.yaml:3" in run.err


def test_a_requirement_of_the_new_chart_is_a_review_entry(reference_dir):
    values = reference_dir / "real-world" / "thomas-460-gw-values" / "apim-gw-values.yaml"
    result = migrate_values(
        values.read_bytes(), "v.yaml", ValuesOptions(chart="helm-apim/gateway@4.6.x", to_chart="helm-apim/gateway@4.7.x")
    )
    refusals = [e for e in result.report.entries if e.action == "review" and "refuses" in e.message]
    assert len(refusals) == 1 and "Encryption key is required" in refusals[0].message


def test_one_value_feeding_two_keys_reaches_both_paths_across_families(reference_dir):
    # pattern-1's db.type feeds apim_db.type and shared_db.type; across families the user's MySQL stays
    values = reference_dir / "real-world" / "petro-420-pattern1-values" / "values.yaml"
    result = migrate_values(values.read_bytes(), "v.yaml",
                            ValuesOptions(chart="kubernetes-apim/am-pattern-1@4.2.x", to_chart="helm-apim/all-in-one@4.6.x"))
    out = load(result.output)
    assert dig(out, "wso2.apim.configurations.databases.type") == "mysql"
    assert dig(out, "wso2.apim.configurations.databases.jdbc.driver") == "com.mysql.cj.jdbc.Driver"
    assert "WSO2AM_SHARED_DB" in dig(out, "wso2.apim.configurations.databases.shared_db.url")


EMBEDDED = """wso2:
  apim:
    configurations:
      # our diagnostics settings
      extraConfigs: |
        [server_configuration]
        diagnostic_tool_enabled = false  # off in prod
"""


def test_embedded_toml_in_extra_configs_is_migrated_in_its_block_style():
    result = migrate_values(
        EMBEDDED.encode(), "v.yaml", ValuesOptions(chart="helm-apim/all-in-one@4.5.x", to_chart="helm-apim/all-in-one@4.6.x")
    )
    assert "      extraConfigs: |\n        [diagnostic_tool.server_configuration]\n" in result.output
    assert "diagnostic_tool_enabled = false # off in prod" in result.output
    assert "# our diagnostics settings" in result.output
    moved = [e for e in result.report.entries if e.rule == "r460-diagnostic-tool-tables"]
    assert moved and moved[0].origin == "wso2.apim.configurations.extraConfigs"


def test_a_key_the_new_chart_does_not_expose_goes_into_its_extra_configs():
    values = "wso2:\n  apim:\n    configurations:\n      oauth:\n        tokenCleanup:\n          enable: true\n"
    result = migrate_values(
        values.encode(), "v.yaml", ValuesOptions(chart="helm-apim/all-in-one@3.2.x", to_chart="helm-apim/all-in-one@4.6.x")
    )
    out = load(result.output)
    assert "tokenCleanup" not in out["wso2"]["apim"]["configurations"].get("oauth", {})
    import tomllib

    assert (
        tomllib.loads(out["wso2"]["apim"]["configurations"]["extraConfigs"])["oauth"]["token_cleanup"]["enable"] is True
    )
    kept = migrate_values(values.encode(), "v.yaml", ValuesOptions(
        chart="helm-apim/all-in-one@3.2.x", to_chart="helm-apim/all-in-one@4.6.x", answers={"unexposed": "keep"}))
    assert load(kept.output) == load(values)
    assert any(e.action == "review" and "does not expose" in e.message for e in kept.report.entries)
