"""XML-era reproductions from the proof issue: each lands in the output or is a review entry that says why."""

import json
import shutil
import tomllib
from dataclasses import replace
from pathlib import Path

from helpers import cli
from xml_expected import customised_conf


def conf_copy(reference_dir: Path, version: str, tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    shutil.copytree(reference_dir / "apim" / version / "repository" / "conf", conf)
    return conf


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def migrate(conf: Path, version: str, tmp_path: Path, target: str = "3.0.0"):
    out, report = tmp_path / "out.toml", tmp_path / "report.json"
    result = cli("xml", str(conf), "--from", version, "--to", target, "-q", "-o", str(out), "--report", str(report))
    assert result.code == 0, result.err
    return tomllib.loads(out.read_text()), json.loads(report.read_text())


def test_an_uncommented_scope_whitelist_becomes_one_list(reference_dir, tmp_path):
    conf = conf_copy(reference_dir, "2.6.0", tmp_path)
    edit(conf / "api-manager.xml", "<!--ScopeWhitelist>", "<ScopeWhitelist>")
    edit(conf / "api-manager.xml", "</ScopeWhitelist-->", "</ScopeWhitelist>")
    edit(
        conf / "api-manager.xml",
        "<Scope>openid</Scope>",
        "<Scope>openid</Scope>\n            <Scope>team_scope</Scope>",
    )
    output, report = migrate(conf, "2.6.0", tmp_path)
    assert output["apim"]["oauth_config"]["white_listed_scopes"] == ["^device_.*", "openid", "team_scope"]
    scopes = [e for e in report["entries"] if "ScopeWhitelist" in (e["old_key"] or "")]
    assert len(scopes) == 3 and {e["new_key"] for e in scopes} == {"apim.oauth_config.white_listed_scopes"}
    assert not [e for e in scopes if e["action"] == "review"]


def test_210_throttling_data_publisher_urls_land(reference_dir, tmp_path):
    conf = conf_copy(reference_dir, "2.1.0", tmp_path)
    edit(conf / "api-manager.xml", "<ReceiverUrlGroup>tcp://${carbon.local.ip}:${receiver.url.port}</ReceiverUrlGroup>",
         "<ReceiverUrlGroup>{tcp://tm1:9611|tcp://tm2:9611}</ReceiverUrlGroup>")
    edit(conf / "api-manager.xml", "<AuthUrlGroup>ssl://${carbon.local.ip}:${auth.url.port}</AuthUrlGroup>",
         "<AuthUrlGroup>{ssl://tm1:9711|ssl://tm2:9711}</AuthUrlGroup>")
    output, report = migrate(conf, "2.1.0", tmp_path)
    (group,) = output["apim"]["throttling"]["url_group"]
    assert group == {"traffic_manager_urls": ["tcp://tm1:9611", "tcp://tm2:9611"],
                     "traffic_manager_auth_urls": ["ssl://tm1:9711", "ssl://tm2:9711"], "type": "failover"}
    assert not [e for e in report["entries"] if "DataPublisher" in (e["old_key"] or "") and e["action"] == "review"]


def test_a_user_store_datasource_that_is_not_defined_is_a_review(reference_dir, tmp_path):
    conf = conf_copy(reference_dir, "2.6.0", tmp_path)
    edit(conf / "user-mgt.xml", '<Property name="dataSource">jdbc/WSO2CarbonDB</Property>',
         '<Property name="dataSource">jdbc/WSO2UM_DB</Property>')
    _, report = migrate(conf, "2.6.0", tmp_path)
    (entry,) = [e for e in report["entries"] if "dataSource" in (e["old_key"] or "")]
    assert entry["action"] == "review" and "names no datasource" in entry["message"]


def test_a_folder_run_lists_the_files_it_does_not_read(reference_dir, tmp_path):
    conf = conf_copy(reference_dir, "2.6.0", tmp_path)
    shutil.copy(conf / "api-manager.xml", conf / "api-manager.xml-1")
    _, report = migrate(conf, "2.6.0", tmp_path, target="4.6.0")
    (note,) = [n for n in report["notes"] if n.startswith("not read")]
    assert "api-manager.xml-1" in note


# ---- the proof of an XML migration: a report claim the output does not hold stops the run (exit 3) ------
def test_a_claim_the_built_file_does_not_hold_is_exit_3(reference_dir, tmp_path, monkeypatch):
    from k8s_migrate.migrate import xml as migrate_xml

    conf = customised_conf(tmp_path, reference_dir)
    monkeypatch.setattr(migrate_xml, "land", lambda hub, path, out, *_: migrate_xml.TemplateLanding(
        migrate_xml.format_key(path), hub.value, "set"))  # says set, sets nothing
    out = tmp_path / "out.toml"
    result = cli("xml", str(conf), "--from", "2.6.0", "--to", "3.0.0", "-q", "-o", str(out))
    assert result.code == 3, result.err
    assert "disagrees" in result.err or "the report says" in result.err
    assert not out.exists()


def test_the_claims_are_checked_against_the_output_delivered_not_the_one_the_stage_proved(reference_dir, tmp_path,
                                                                                        monkeypatch):
    from k8s_migrate.migrate import xml as migrate_xml

    conf = customised_conf(tmp_path, reference_dir)
    stage = migrate_xml.migrate_toml

    def changed_after_its_proof(*args, **kwargs):
        result = stage(*args, **kwargs)
        assert 'hostname = "apim.example.com"' in result.output
        return replace(result, output=result.output.replace('hostname = "apim.example.com"', 'hostname = "other"'))

    monkeypatch.setattr(migrate_xml, "migrate_toml", changed_after_its_proof)
    out = tmp_path / "out.toml"
    result = cli("xml", str(conf), "--from", "2.6.0", "--to", "4.6", "-q", "-o", str(out))
    assert result.code == 3, result.err
    assert "server.hostname" in result.err
    assert not out.exists()


def test_an_output_read_again_within_outputs_kept_is_the_one_read(tmp_path):
    from k8s_migrate.proof import outputs_kept, read_output

    first, second = 'a = 1\n[t]\nk = "v"\n', "a = 2\n"
    with outputs_kept():
        assert read_output(first) is read_output(first) == {"a": 1, "t": {"k": "v"}}
        assert read_output(second) == {"a": 2}
        assert read_output("".join(["a = 1\n", '[t]\nk = "v"\n'])) == {"a": 1, "t": {"k": "v"}}
    assert read_output(first) is not read_output(first)
