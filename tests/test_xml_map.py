"""The derived inverted template map and the documented 2.6.0 -> 3.0.0 special cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from k8s_migrate.data import load_json
from k8s_migrate.xml.document import xml_facts
from k8s_migrate.xml.inverted_map import inverted_map, split_xpath
from k8s_migrate.xml.values import reverse_value

REPO = Path(__file__).resolve().parent.parent
FILES = list(load_json("xml/files.json")["files"])


@pytest.mark.parametrize("name", FILES)
def test_coverage_recorded(name: str):
    coverage = load_json(f"xml/3.0.0/{name}.json")["coverage"]
    assert coverage["inverted"] + coverage["left"] == coverage["value_locations"] > 0
    assert coverage["inverted"] / coverage["value_locations"] >= 0.9


def test_api_manager_coverage_at_least_90_percent():
    coverage = load_json("xml/3.0.0/api-manager.xml.json")["coverage"]
    assert coverage["value_locations"] >= 150
    assert coverage["inverted"] / coverage["value_locations"] >= 0.9


def test_derived_map_matches_a_fresh_derivation(reference_dir: Path, tmp_path: Path):
    """The committed data is what the script derives now from the reference templates."""
    script = REPO / "scripts" / "derive_xml_map.py"
    out = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def test_key_map_entries():
    imap = inverted_map("3.0.0", "api-manager.xml")
    by_path = {}
    for entry in imap.entries:
        by_path.setdefault(entry["xpath"], []).append(entry)
    name = by_path["APIManager/APIGateway/Environments/Environment[*]/Name"][0]
    assert (name["kind"], name["key"]) == ("direct", "apim.gateway.environment[].name")
    assert name["loops"] == ["apim.gateway.environment"]
    origin = by_path["APIManager/CORSConfiguration/Access-Control-Allow-Origin"][0]
    assert (origin["kind"], origin["key"], origin["separator"]) == ("join", "apim.cors.allow_origins", ",")
    jwt_impl = by_path["APIManager/JWTConfiguration/JWTGeneratorImpl"]
    assert jwt_impl[0]["guard"] == "(apim.jwt.generator_impl is defined)"
    assert jwt_impl[1]["kind"] == "fixed"
    key_validator = by_path["APIManager/APIKeyValidator/ServerURL"][0]
    assert key_validator["key"] == "apim.key_manager.service_url" and key_validator["line"] > 0


def test_pattern_reverses():
    imap = inverted_map("3.0.0", "user-mgt.xml")
    entry = imap.exact["UserManager/Realm/Configuration/Property[@name='dataSource']"][0]
    assert entry["kind"] == "pattern"
    assert reverse_value(entry, "jdbc/WSO2USER_DB") == {"realm_manager.data_source": "WSO2USER_DB"}
    assert reverse_value(entry, "WSO2USER_DB") is None


def test_special_case_checks_agree_with_templates():
    rules = load_json("xml/rules-2.x-3.0.0.json")
    for check in rules["checks"]:
        imap = inverted_map("3.0.0", "api-manager.xml")
        entries = imap.exact[check["xpath"]]
        assert any(all(e.get(k) == v for k, v in check["expect"].items()) for e in entries), check["id"]
        assert check["source"]
    for rule in rules["split_by_scheme"] + rules["url_groups"]:
        imap = inverted_map("3.0.0", "api-manager.xml")
        assert any(e["xpath"] == rule["xpath"] for e in imap.entries), rule["id"]
        keys = {k for e in imap.entries if e["xpath"] == rule["xpath"] for k in e.get("keys", [e.get("key")])}
        assert set(rule.get("targets", {}).values()) <= keys
    ds = inverted_map("3.0.0", "master-datasources.xml")
    for role in rules["datasource_roles"]:
        prefix = f"datasources-configuration/datasources/datasource[name='{role['read_as']}']/"
        assert any(x.startswith(prefix) for x in ds.exact), role["id"]


def test_document_facts_ignore_comments_and_number_repeats():
    facts = {f.path: f.value for f in xml_facts(
        "<A><!--<B>x</B>--><C name='p'>1</C><C name='q'>2</C><D>3</D><D>4</D><E><Name>n</Name></E></A>")}
    assert facts == {"A/C[@name='p']": "1", "A/C[@name='q']": "2", "A/D[1]": "3", "A/D[2]": "4",
                     "A/C[@name='p']/@name": "p", "A/C[@name='q']/@name": "q", "A/E/Name": "n"}
    assert split_xpath("a/b[@name='x/y']/c") == ("a", "b[@name='x/y']", "c")


def test_identity_template_defect_read_as_if_else():
    imap = inverted_map("3.0.0", "identity.xml")
    entries = imap.exact["Server/OAuth/OpenIDConnect/AddUserstoreDomainToIdToken"]
    assert [e["kind"] for e in entries] == ["direct", "fixed"]
    assert entries[0]["key"] == "oauth.oidc.id_token.add_userstore_domain_to_realm"
    assert entries[1]["guard"].startswith("(not (")
