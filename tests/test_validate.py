"""`k8s-migrate validate`: each kind of finding on its line, WSO2's own files clean, the exit codes,
the report formats."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from k8s_migrate.validate import ValidateOptions, validate_file

from helpers import assert_rederives, cli

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
CHARTS = Path(__file__).resolve().parent.parent / "charts-fixtures"


def findings(path: Path, **options) -> list[tuple]:
    report = validate_file(path.read_bytes(), str(path), ValidateOptions(**options))
    return [(f.line, f.severity, f.kind, f.key) for f in report.findings]


def test_one_planted_mistake_of_each_kind_in_a_deployment_toml():
    assert findings(FIXTURES / "planted-4.6.0.toml", version="4.6") == [
        (4, "error", "unknown", "server.hostnme"),
        (5, "error", "type", "server.offset"),
        (6, "error", "value", "server.server_role"),
        (9, "error", "value", "user_store.type"),
        (11, "error", "unknown", "apim.throtling"),
        (16, "error", "type", "apim.cache.gateway_token.enable"),
        (19, "warning", "alias", "apim.cache.token_expiry_time"),
        (25, "error", "removed", "apim.key_manager.enable_apikey_subscription_validation"),
        (29, "warning", "value", "apim.analytics.type"),
        (33, "error", "placeholder", "database.apim_db.password"),
        (34, "error", "placeholder", "database.apim_db.username"),
        (35, "error", "placeholder", "database.apim_db.driver"),
        (36, "warning", "placeholder", "database.apim_db.validationQuery"),
        (39, "error", "required", "encryption.key"),
    ]


def test_findings_say_what_to_write_instead():
    report = validate_file((FIXTURES / "planted-4.6.0.toml").read_bytes(), "x.toml", ValidateOptions("4.6.0"))
    by_key = {f.key: f for f in report.findings}
    assert by_key["server.hostnme"].suggestion == "server.hostname"
    assert by_key["apim.throtling"].suggestion == "apim.throttling"
    assert by_key["server.server_role"].suggestion == "gateway-worker"
    assert by_key["apim.cache.token_expiry_time"].suggestion == "apim.cache.gateway_token.expiry_time"
    assert "apim.ai.token" not in by_key  # 4.4.0+ still read token beside key (issue 14, W7)
    assert "4.4.0" in by_key["apim.key_manager.enable_apikey_subscription_validation"].message
    assert by_key["apim.analytics.type"].suggestion == "elk"


def test_a_key_a_later_version_drops_is_a_note_naming_that_version():
    data = b'[apim.key_manager]\nenable_apikey_subscription_validation = true\n'
    report = validate_file(data, "d.toml", ValidateOptions("4.3"))
    assert [(f.line, f.severity, f.kind, f.suggestion) for f in report.findings] == [
        (2, "note", "deprecated", None)]
    assert "4.4.0" in report.findings[0].message


def test_a_key_only_later_versions_read_says_so():
    report = validate_file(b"[apim.ai]\nkey = \"k\"\n", "d.toml", ValidateOptions("4.2"))
    assert [(f.kind, f.severity) for f in report.findings] == [("unknown", "error")]
    assert "4.3.0 and later read it" in report.findings[0].message


def test_a_configmap_reports_lines_of_the_manifest():
    assert findings(FIXTURES / "planted-configmap-4.0.0.yaml", version="4.0") == [
        (10, "error", "value", "server.server_role"),
        (13, "error", "type", "apim.cors.allow_credentials"),
    ]


def test_a_values_file_is_checked_through_the_chart_map():
    assert findings(FIXTURES / "planted-values-4.6.x.yaml", chart="helm-apim/all-in-one@4.6.x") == [
        (4, "error", "type", "server.offset"),
        (7, "warning", "values-path", "wso2.apim.configurations.transactionCounter.serverURL"),
        (9, "error", "type", "apim.devportal.enable_application_sharing"),
        (12, "error", "placeholder", "database.apim_db.password"),
        (14, "error", "unknown", "apim.throtling"),
    ]


def test_a_chart_with_a_values_schema_is_checked_against_it(tmp_path):
    chart = tmp_path / "chart"
    shutil.copytree(CHARTS / "direct", chart)
    (chart / "values.schema.json").write_text(json.dumps({
        "type": "object",
        "properties": {"db": {"type": "object", "required": ["url"],
                              "properties": {"user": {"type": "string", "enum": ["admin", "apim"]}}},
                       "replicas": {"type": "integer", "minimum": 1}}}))
    values = tmp_path / "values.yaml"
    values.write_text("db:\n  user: root\nreplicas: 0\n")
    got = findings(values, chart=str(chart))
    assert [(line, kind, key) for line, _, kind, key in got if kind == "schema"] == [
        (1, "schema", "db"), (2, "schema", "db.user"), (3, "schema", "replicas")]


def test_wso2s_stock_files_have_no_errors(reference_dir):
    files = sorted([*reference_dir.glob("apim/*/repository/conf/deployment.toml"),
                    *reference_dir.glob("apim/*/profiles/*/deployment.toml")])
    files = [f for f in files if not f.relative_to(reference_dir / "apim").parts[0].startswith("2.")]
    assert len(files) >= 20
    for path in files:
        version = path.relative_to(reference_dir / "apim").parts[0]
        report = validate_file(path.read_bytes(), str(path), ValidateOptions(version))
        assert report.count("error") == 0, [f.message for f in report.findings if f.severity == "error"]


def test_a_key_wso2s_own_stock_file_sets_but_nothing_reads_is_a_warning(reference_dir):
    path = reference_dir / "apim/4.6.0/profiles/gateway/deployment.toml"
    report = validate_file(path.read_bytes(), str(path), ValidateOptions("4.6.0"))
    assert [(f.kind, f.severity, f.key) for f in report.findings] == [
        ("unknown", "warning", "apim.oauth_config.remove_outbound_auth_header")]


def test_a_file_that_does_not_parse_is_one_syntax_finding_with_its_line(tmp_path):
    bad = tmp_path / "deployment.toml"
    bad.write_text('[server]\nhostname = "a"\noffset = \n')
    assert findings(bad, version="4.6") == [(3, "error", "syntax", None)]
    dup = tmp_path / "dup.toml"
    dup.write_text('[server]\nhostname = "a"\nhostname = "b"\n')
    assert [k for _, _, k, _ in findings(dup, version="4.6")] == ["syntax"]


def test_cli_clean_file_prints_one_line_and_exits_0(tmp_path):
    good = tmp_path / "deployment.toml"
    good.write_text('[server]\nhostname = "am.example.com"\n')
    run = cli("validate", good, "--version", "4.6")
    assert run.code == 0
    assert run.out.splitlines() == [f"{good}: API-M 4.6.0: no findings"]


def test_cli_exit_code_follows_fail_on(tmp_path):
    warn = tmp_path / "deployment.toml"
    warn.write_text("[apim.cache]\ntoken_expiry_time = 900\n")
    assert cli("validate", warn, "--version", "4.6").code == 0
    run = cli("validate", warn, "--version", "4.6", "--fail-on", "warning")
    assert run.code == 1
    assert f"{warn}:2: warning: apim.cache.token_expiry_time:" in run.out
    assert cli("validate", FIXTURES / "planted-4.6.0.toml", "--version", "4.6").code == 1
    assert cli("validate", warn, "--version", "4.6", "--only", "unknown", "--fail-on", "warning").code == 0


def test_cli_without_version_is_one_line_and_exit_2(tmp_path):
    good = tmp_path / "deployment.toml"
    good.write_text('[server]\nhostname = "a"\n')
    run = cli("validate", good)
    assert run.code == 2
    assert (
        run.err.count("\n") == 1
        and run.err.startswith("k8s-migrate: error: ")
        and "give --version" in run.err
        and "deployment.toml" in run.err
    )
    bad = cli("validate", good, "--version", "4.6", "--fail-on", "note")
    assert bad.code == 2 and "--fail-on" in bad.err


def test_cli_reports_in_every_format(tmp_path):
    paths = [tmp_path / f"r.{s}" for s in ("json", "sarif", "md", "txt")]
    args = [x for p in paths for x in ("--report", p)]
    run = cli("validate", FIXTURES / "planted-4.6.0.toml", "--version", "4.6", "-q", *args)
    assert run.code == 1 and run.out == ""
    data = json.loads(paths[0].read_text())
    assert data["summary"] == {"error": 11, "warning": 3, "note": 0}
    sarif = json.loads(paths[1].read_text())
    results = sarif["runs"][0]["results"]
    assert len(results) == 14
    first = results[0]
    assert first["level"] == "error" and first["ruleId"] == "k8s-migrate/unknown"
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert "| 4 | error | unknown | `server.hostnme` |" in paths[2].read_text()
    assert ":39: error: encryption.key:" in paths[3].read_text()


def test_secrets_stay_masked(tmp_path):
    conf = tmp_path / "deployment.toml"
    conf.write_text('[database.apim_db]\nurl = "jdbc:h2:x"\npassword = ["hunter2secret"]\n')
    run = cli("validate", conf, "--version", "4.6", "--report", tmp_path / "r.json")
    assert "hunter2secret" not in run.out + (tmp_path / "r.json").read_text()
    shown = cli("validate", conf, "--version", "4.6", "--show-secrets")
    assert "hunter2secret" in shown.out


def test_several_files_at_once(tmp_path):
    good = tmp_path / "deployment.toml"
    good.write_text('[server]\nhostname = "a"\n')
    run = cli("validate", good, FIXTURES / "planted-configmap-4.0.0.yaml", "--version", "4.0")
    assert run.code == 1
    assert run.out.splitlines()[0] == f"{good}: API-M 4.0.0: no findings"
    assert "planted-configmap-4.0.0.yaml:10: error:" in run.out


def test_rederiving_the_validation_data_gives_identical_bytes(reference_dir, tmp_path):
    assert_rederives("derive_validation", "validation", reference_dir, tmp_path)


@pytest.mark.parametrize("text, problem", [
    ("$env{HOME}", None), ("${carbon.home}/x", None), ("$secret{db_password}", None), ("$sys{user.dir}", None),
    ("$env{HOME", "no closing brace"), ("$env(HOME)", "parentheses"), ("${env:HOME}", "is not a name"),
    ("$Secret{x}", "lower case"), ("${}", "empty"), ("pa$word{1}", None),
])
def test_placeholder_forms(text, problem):
    from k8s_migrate.validate.placeholders import problems

    found = [m for m, ref in problems(text) if ref is None]
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0]


def test_the_profile_picks_whose_stock_file_counts_as_wso2s_own():
    data = b"[apim.oauth_config]\nremove_outbound_auth_header = true\n"
    gateway = validate_file(data, "d.toml", ValidateOptions("4.6", profile="gateway"))
    control = validate_file(data, "d.toml", ValidateOptions("4.6", profile="control-plane"))
    assert [(f.severity, f.kind) for f in gateway.findings] == [("warning", "unknown")]
    assert [(f.severity, f.kind) for f in control.findings] == [("error", "unknown")]


def test_unreadable_files_and_configmaps_without_a_deployment_toml_do_not_stop_the_others(tmp_path):
    empty, logs, good = tmp_path / "deployment.toml", tmp_path / "log-conf.yaml", tmp_path / "good.toml"
    empty.write_text("")
    logs.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: log\ndata:\n  log4j2.properties: |\n    a=b\n")
    good.write_text('[server]\nhostname = "a"\n')
    run = cli("validate", empty, logs, good, "--version", "4.6")
    assert run.code == 1
    lines = run.out.splitlines()
    assert f"{empty}: error: empty file [syntax]" in lines
    assert f"{logs}: API-M 4.6.0: 1 note" in lines
    assert lines[-1] == f"{good}: API-M 4.6.0: no findings"


def test_every_malformed_file_of_the_corpus_is_a_syntax_error_with_a_line_never_a_traceback():
    corpus = Path(__file__).parent / "malformed"
    tomls, yamls = sorted((corpus / "toml").glob("*.toml")), sorted((corpus / "yaml").glob("*.yaml"))
    assert len(tomls) > 100 and len(yamls) > 20
    for files, chart in ((tomls, []), (yamls, ["--chart", "helm-apim/all-in-one@4.6.x"])):
        run = cli("validate", *files, "--version", "4.6", *chart)  # one run: a bad file must not stop the rest
        assert run.code == 1 and run.err == "", run.err
        for case in files:
            summary = next(line for line in run.out.splitlines() if line.startswith(f"{case}: API-M"))
            assert "error" in summary, summary
            if case.suffix == ".toml":
                assert re.search(rf"^{re.escape(str(case))}(:\d+)?: error: .*\[syntax\]$", run.out, re.M), case.name
