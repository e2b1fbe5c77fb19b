"""`k8s-migrate xml`: a 2.x repository/conf -> the deployment.toml of 3.0.0 and later, with a report per customisation."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from k8s_migrate.hub import flatten, format_key
from k8s_migrate.xml import xml_customisations

from helpers import cli
from xml_expected import EXPECTED_KEYS, customised_conf, stock_conf

TARGETS = ["3.0.0", "4.6.0"]




def stock_toml(reference_dir: Path, version: str) -> dict:
    return tomllib.loads((stock_conf(reference_dir, version) / "deployment.toml").read_text(encoding="utf-8"))


def flat(data: dict) -> dict[str, object]:
    return {format_key(path): value for path, value in flatten(data).items()}


def migrate(conf: Path, to: str, tmp_path: Path, *extra: str) -> tuple[dict, dict, object]:
    out, report = tmp_path / f"out-{to}.toml", tmp_path / f"report-{to}.json"
    run = cli("xml", conf, "--from", "2.6.0", "--to", to, "-o", out, "--report", report, "-q", *extra)
    assert run.code == 0, run.err
    return tomllib.loads(out.read_text(encoding="utf-8")), json.loads(report.read_text()), run


@pytest.fixture(scope="module")
def custom_conf(tmp_path_factory, reference_dir: Path) -> Path:
    return customised_conf(tmp_path_factory.mktemp("xml-cli"), reference_dir)


# What WSO2's upgrade guides keep on the way to 4.x, where the stock file changed (the documented
# defaults of r310-user-store-type-default and r400-gateway-environment-default-name).
KEPT_BY_THE_GUIDES = {
    "3.0.0": {},
    "4.6.0": {"user_store.type": "database", "apim.gateway.environment[0].name": "Production and Sandbox",
              "apim.sync_runtime_artifacts.gateway.gateway_labels": ["Production and Sandbox", "Default"]},
}


# ---- the unmodified stock XML set gives the target's stock file -----------------------------
@pytest.mark.parametrize("target", TARGETS)
def test_stock_xml_set_gives_the_target_stock_file(reference_dir: Path, tmp_path: Path, target: str):
    output, report, _ = migrate(stock_conf(reference_dir, "2.6.0"), target, tmp_path)
    assert flat(output) == flat(stock_toml(reference_dir, target)) | KEPT_BY_THE_GUIDES[target]
    assert not [
        e for e in report["entries"] if e.get("origin") and not e["origin"].startswith("stock:")
    ]  # no customisations to report


# ---- the ~20-customisation fixture ----------------------------------------------------------
# What the output adds to (or changes in) the target's stock file; the rest must equal the stock file.
CUSTOMISED = EXPECTED_KEYS


@pytest.mark.parametrize("target", TARGETS)
def test_custom_fixture_gives_expected_toml(custom_conf: Path, reference_dir: Path, tmp_path: Path, target: str):
    output, _, _ = migrate(custom_conf, target, tmp_path)
    got, stock = flat(output), flat(stock_toml(reference_dir, target))
    differs = {key: value for key, value in got.items() if stock.get(key, object()) != value}
    filled = (
        {"apim.gateway.environment[1].gateway_type": "Regular"} if target == "4.6.0" else {}
    )  # r430-environment-gateway-type
    assert differs == CUSTOMISED | KEPT_BY_THE_GUIDES[target] | filled
    assert set(stock) <= set(got)  # nothing of the stock file is lost


@pytest.mark.parametrize("target", TARGETS)
def test_custom_fixture_every_customisation_lands_or_is_reported(custom_conf: Path, tmp_path: Path, target: str):
    found = xml_customisations(custom_conf, "2.6.0")
    _, report, _ = migrate(custom_conf, target, tmp_path)
    entries = [e for e in report["entries"] if e.get("origin") and not e["origin"].startswith("stock:")]
    assert len(entries) == len(found.customisations) >= 20
    by_location = {(e["file"], e["old_key"]): e for e in entries}
    assert set(by_location) == {(c.file, c.xpath) for c in found.customisations}
    for cust in found.customisations:
        entry = by_location[(cust.file, cust.xpath)]
        assert entry["origin"].startswith(f"{cust.file}:")
        if cust.action != "removed":
            assert entry["line"] == cust.line
        if cust.message:
            assert entry["action"] == "review" and cust.message in entry["message"]
        elif cust.keys:
            assert entry["new_key"], entry
    offset = by_location[("carbon.xml", "Server/Ports/Offset")]
    assert (offset["new_key"], offset["new_value"], offset["old_value"]) == ("server.offset", 1, "1")
    assert offset["rule"].startswith("template:") and "carbon.xml.j2" in offset["source"]
    thrift = by_location[("api-manager.xml", "APIManager/APIKeyValidator/EnableThriftServer")]
    assert thrift["action"] == "review" and "custom .j2 template" in thrift["message"]


def test_chained_report_names_the_template_key_and_the_final_key(custom_conf: Path, tmp_path: Path):
    _, report, _ = migrate(custom_conf, "4.6.0", tmp_path)
    jwt = next(e for e in report["entries"] if e.get("old_key") == "APIManager/JWTConfiguration/EnableJWTGeneration")
    assert "3.0.0: apim.jwt.enable -> 4.6.0: apim.jwt.enable" in jwt["message"]
    assert jwt["new_key"] == "apim.jwt.enable" and jwt["file"] == "api-manager.xml"
    findings = [e for e in report["entries"] if not e.get("origin")]
    assert findings and all(e["old_key"] is None and e["rule"] for e in findings)


def test_secrets_are_masked_in_the_report(custom_conf: Path, tmp_path: Path):
    _, report, _ = migrate(custom_conf, "3.0.0", tmp_path)
    text = json.dumps(report)
    for secret in ("apimpass", "regpass", "umpass"):
        assert secret not in text
    password = next(e for e in report["entries"] if e["new_key"] == "database.apim_db.password")
    assert password["old_value"] == password["new_value"] == "****"


def test_onto_builds_on_the_given_stock_file(custom_conf: Path, reference_dir: Path, tmp_path: Path):
    onto = tmp_path / "onto.toml"
    onto.write_text('[server]\nhostname = "old.example.com"\n# operator note\n[custom]\nkeep = true\n')
    output, _, _ = migrate(custom_conf, "3.0.0", tmp_path, "--onto", onto)
    assert output["custom"] == {"keep": True}
    assert output["server"]["hostname"] == "apim.example.com"
    later, _, _ = migrate(
        custom_conf, "4.6.0", tmp_path, "--onto", stock_conf(reference_dir, "4.6.0") / "deployment.toml"
    )
    assert later["database"]["apim_db"]["url"] == CUSTOMISED["database.apim_db.url"]


def test_diff_check_and_strict(custom_conf: Path, tmp_path: Path):
    diff = cli("xml", custom_conf, "--from", "2.6", "--to", "3.0", "--diff", "-q")
    assert diff.code == 0 and "+hostname" in diff.out.replace(" ", "") and "apimpass" not in diff.out
    assert cli("xml", custom_conf, "--from", "2.6.0", "--to", "3.0.0", "--check", "-q").code == 1
    strict = cli("xml", custom_conf, "--from", "2.6.0", "--to", "3.0.0", "--strict", "-q", "-o", tmp_path / "out.toml")
    assert strict.code == 1  # EnableThriftServer is a review entry


# ---- real-world files -----------------------------------------------------------------------
REAL_WORLD = [
    ("janithcmw-250-storepub/api-manager.xml", "2.5.0"),
    ("gumab-210-mssql/master-datasources.xml", "2.1.0"),
]


@pytest.mark.parametrize("relative,version", REAL_WORLD)
@pytest.mark.parametrize("target", TARGETS)
def test_real_world_xml_migrates_with_a_complete_report(reference_dir: Path, tmp_path: Path, relative: str,
                                                       version: str, target: str):
    path = reference_dir / "real-world-xml" / relative
    found = xml_customisations(path, version)
    out, report_path = tmp_path / "out.toml", tmp_path / "report.json"
    run = cli("xml", path, "--from", version, "--to", target, "-o", out, "--report", report_path, "-q")
    assert run.code == 0, run.err
    tomllib.loads(out.read_text(encoding="utf-8"))
    entries = [e for e in json.loads(report_path.read_text())["entries"]
               if e.get("origin") and not e["origin"].startswith("stock:")]
    assert sorted(e["origin"] for e in entries) == sorted(
        f"{c.file}:{c.line or '-'} {c.xpath}" for c in found.customisations)
    assert all(e["new_key"] or e["action"] == "review" or e["rule"] for e in entries)
    passwords = [e for e in entries if (e["new_key"] or "").endswith(".password")]
    assert all(e["new_value"] == "****" for e in passwords if e["new_value"] and "$" not in e["new_value"])


# ---- bad input ------------------------------------------------------------------------------
def one_line_error(run) -> str:
    assert run.code == 2, (run.out, run.err)
    assert run.err.count("\n") == 1 and run.err.startswith("k8s-migrate: error: "), run.err
    assert "Traceback" not in run.err
    return run.err


def test_bad_input_is_one_line_exit_2(tmp_path: Path, custom_conf: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    one_line_error(cli("xml", empty, "--from", "2.6.0", "--to", "3.0.0"))
    one_line_error(cli("xml", tmp_path / "missing", "--from", "2.6.0", "--to", "3.0.0"))
    broken = tmp_path / "api-manager.xml"
    broken.write_text("<APIManager><JWTConfiguration></APIManager>")
    assert "api-manager.xml:1" in one_line_error(cli("xml", broken, "--from", "2.6.0", "--to", "3.0.0"))
    assert "1.10" in one_line_error(cli("xml", custom_conf, "--from", "1.10.0", "--to", "3.0.0"))
    one_line_error(cli("xml", custom_conf, "--from", "2.6.0", "--to", "9.9.9"))
    one_line_error(cli("xml", custom_conf, "--from", "2.6.0", "--to", "2.6.0"))
    assert "--in-place" in one_line_error(cli("xml", custom_conf, "--from", "2.6.0", "--to", "3.0.0", "--in-place"))


def test_the_answers_file_applies_to_xml_as_to_the_other_commands(custom_conf: Path, tmp_path: Path):
    """keep_old_defaults from .k8s-migrate.yaml (or --answers) pins the old defaults the new version changes."""
    plain, plain_report, _ = migrate(custom_conf, "4.6.0", tmp_path)
    answers = tmp_path / "answers.yaml"
    answers.write_text("keep_old_defaults: true\n")
    kept, kept_report, _ = migrate(custom_conf, "4.6.0", tmp_path, "--answers", answers)
    flag, flag_report, _ = migrate(custom_conf, "4.6.0", tmp_path, "--keep-old-defaults")
    assert kept == flag and kept_report["entries"] == flag_report["entries"]
    assert kept != plain or kept_report["entries"] != plain_report["entries"]
