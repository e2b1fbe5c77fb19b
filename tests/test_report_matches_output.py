"""The report never contradicts the output: the three cases a new user found."""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from k8s_migrate.migrate.toml import Options, migrate_toml
from k8s_migrate.migrate.values import ValuesOptions, migrate_values

REPO = Path(__file__).resolve().parent.parent


def entry(report, key):
    found = [e for e in report.entries if key in (e.old_key, e.new_key)]
    assert len(found) == 1, found
    return found[0]


def test_no_advice_to_add_what_the_output_already_has(reference_dir):
    stock = (reference_dir / "apim/3.2.0/repository/conf/deployment.toml").read_bytes()
    result = migrate_toml(stock, "deployment.toml", Options("3.2", "4.6"))
    cors = entry(result.report, "apim.cors.allow_headers")
    assert '"Internal-Key"' in result.output.split("allow_headers", 1)[1].split("\n", 1)[0]
    # the stock value changes (testKey -> Internal-Key): the new stock file already did what the rule asks
    assert cors.action == "changed" and "add Internal-Key" not in cors.message
    own = b'[apim.cors]\nallow_headers = ["authorization", "x-own"]\n'
    mine = migrate_toml(own, "deployment.toml", Options("3.2", "4.6"))
    advice = entry(mine.report, "apim.cors.allow_headers")
    assert "Internal-Key" not in mine.output and advice.action == "review" and "add Internal-Key" in advice.message


def test_a_values_key_left_in_the_file_is_not_reported_as_defaulted(reference_dir):
    path = reference_dir / "helm-apim/4.2.x/all-in-one/values.yaml"
    result = migrate_values(path.read_bytes(), "values.yaml",
                            ValuesOptions(chart="helm-apim/all-in-one@4.2.x", to_chart="helm-apim/all-in-one@4.6.x"))
    out = YAML(typ="safe").load(result.output)
    for e in result.report.entries:
        if e.message and "which the new chart does not read" in e.message:
            node = out
            for part in e.origin.split("."):
                node = node[part]
            assert e.action != "defaulted", e
    endpoint = [e for e in result.report.entries if e.origin == "wso2.choreoAnalytics.endpoint"]
    assert endpoint and endpoint[0].action == "kept" and out["wso2"]["choreoAnalytics"]["endpoint"] == ""


def test_the_xml_note_does_not_claim_a_key_the_xml_lacks(reference_dir):
    from k8s_migrate.migrate.xml import migrate_xml

    result = migrate_xml(reference_dir / "apim/2.6.0/repository/conf", Options("2.6.0", "4.6"))
    notes = [n for n in result.report.notes if n.startswith("profile ")]
    assert notes and "detected" not in notes[0]
    assert "the XML files set no server.server_role" in notes[0]


def test_rebasing_a_fragment_says_so_first(reference_dir, tmp_path):
    from helpers import cli

    path = reference_dir / "real-world/keys4words-410-minimal/deployment.toml"
    done = cli("toml", path, "--from", "4.1", "--to", "4.6", "--report", str(tmp_path / "r.json"), "-q")
    assert done.code == 0
    import json

    notes = json.loads((tmp_path / "r.json").read_text())["notes"]
    assert notes[0].startswith("a fragment: the file holds 0 of the 4.1.0 stock file's ")
    whole = reference_dir / "real-world/csdg-420-cp/deployment.toml"
    cli("toml", whole, "--from", "4.2", "--to", "4.6", "--report", str(tmp_path / "w.json"), "-q")
    assert not any("fragment" in n for n in json.loads((tmp_path / "w.json").read_text())["notes"])
    edit = cli(
        "toml", path, "--from", "4.1", "--to", "4.6", "--mode", "edit", "--report", str(tmp_path / "e.json"), "-q"
    )
    assert edit.code == 0 and not any("fragment" in n for n in json.loads((tmp_path / "e.json").read_text())["notes"])


def test_a_profile_leaves_no_empty_array_of_tables_headers(reference_dir):
    import re
    import tomllib

    stock = (reference_dir / "apim/4.2.0/repository/conf/deployment.toml").read_bytes()
    for profile in ("gateway", "traffic-manager", "control-plane"):
        result = migrate_toml(stock, "deployment.toml", Options("4.2", "4.6", profile=profile))
        data = tomllib.loads(result.output)
        headers = re.findall(r"^\[\[([\w.]+)\]\]\s*$", result.output, re.MULTILINE)
        for header in headers:
            node = data
            for part in header.split("."):
                node = node[part] if isinstance(node, dict) else node[-1][part]
            assert all(item for item in node), (profile, header)
