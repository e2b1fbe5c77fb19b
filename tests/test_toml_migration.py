"""deployment.toml migration against WSO2's own files: stock identity, stock-to-stock, real-world files."""

import json
import tomllib
from itertools import combinations

import pytest

from k8s_migrate.formats.text import decode
from k8s_migrate.formats.toml import TomlDocument
from k8s_migrate.migrate.toml import Options, migrate_toml

from helpers import cli

STOCK_VERSIONS = ["3.0.0", "3.1.0", "3.2.0", "4.0.0", "4.1.0", "4.2.0", "4.3.0", "4.4.0", "4.5.0", "4.6.0"]
PAIR_VERSIONS = ["3.2.0", "4.0.0", "4.2.0", "4.5.0", "4.6.0"]
REAL_WORLD = {
    "deevally-320-aio": "3.2.0",
    "ibay-400-gw": "4.0.0",
    "keys4words-410-minimal": "4.1.0",
    "csdg-420-cp": "4.2.0",
    "csdg-420-tm": "4.2.0",
    "aobregonmx-430-aio": "4.3.0",
    "rgl-450-aio": "4.5.0",
}


def stock(reference_dir, version):
    return reference_dir / "apim" / version / "repository" / "conf" / "deployment.toml"


@pytest.mark.parametrize("version", STOCK_VERSIONS)
def test_stock_file_to_its_own_version_in_edit_mode_is_byte_identical(reference_dir, version):
    data = stock(reference_dir, version).read_bytes()
    result = migrate_toml(data, "deployment.toml", Options(version, version, mode="edit"))
    assert result.output.encode() == data
    assert not result.report.changed


# The answers that take the new stock values where WSO2's guides keep the old ones by default
# (tests/test_answers.py and the golden cases check those defaults).
TAKE_THE_NEW_STOCK = {
    "rules": {"r310-user-store-type-default": "unique_id", "r400-gateway-environment-default-name": "default"}
}


@pytest.mark.parametrize("old,new", list(combinations(PAIR_VERSIONS, 2)))
def test_unmodified_stock_onto_new_stock_gives_the_new_stock(reference_dir, old, new):
    onto = stock(reference_dir, new).read_bytes()
    result = migrate_toml(stock(reference_dir, old).read_bytes(), "deployment.toml",
                          Options(old, new, onto=onto, onto_name="new.toml", answers=TAKE_THE_NEW_STOCK))
    assert tomllib.loads(result.output) == tomllib.loads(onto.decode())


@pytest.mark.parametrize("old,new", list(combinations(PAIR_VERSIONS, 2)))
def test_unmodified_stock_onto_the_built_in_baseline_matches_the_stock_data(reference_dir, old, new):
    result = migrate_toml(stock(reference_dir, old).read_bytes(), "deployment.toml",
                          Options(old, new, answers=TAKE_THE_NEW_STOCK))
    assert tomllib.loads(result.output) == tomllib.loads(stock(reference_dir, new).read_text())


@pytest.mark.parametrize("name", sorted(REAL_WORLD))
def test_real_world_files_migrate_to_460_with_every_key_reported(reference_dir, name, tmp_path):
    path = reference_dir / "real-world" / name / "deployment.toml"
    report_path = tmp_path / "report.json"
    run = cli("toml", path, "--from", REAL_WORLD[name], "--to", "4.6.0", "-o", tmp_path / "out.toml",
              "--report", report_path, "-q")
    assert run.code == 0, run.err
    tomllib.loads((tmp_path / "out.toml").read_text())
    report = json.loads(report_path.read_text())
    input_keys = [k.key for k in TomlDocument(decode(path.read_bytes(), name)).leaves()]
    reported = [e["old_key"] for e in report["entries"] if e["old_key"] in set(input_keys)]
    assert sorted(reported) == sorted(input_keys), "each input key needs exactly one entry"


def test_customisations_carry_over_and_defaults_drop(reference_dir):
    text = stock(reference_dir, "3.2.0").read_text()
    text = text.replace('hostname = "localhost"', 'hostname = "apim.example.com" # public name', 1)
    text = text.replace("[apim.oauth_config]", "[apim.oauth_config]")
    text += '\n[apim.oauth_config]\nallowed_scopes = ["^device_.*", "openid"]\n'
    result = migrate_toml(text.encode(), "deployment.toml", Options("3.2.0", "4.6.0"))
    out = tomllib.loads(result.output)
    assert out["server"]["hostname"] == "apim.example.com"
    assert "# public name" in result.output
    assert "allowed_scopes" not in out["apim"].get("oauth_config", {})  # equals the 4.6.0 default
    entry = next(e for e in result.report.entries if e.old_key == "apim.oauth_config.allowed_scopes")
    assert entry.action == "defaulted"


def test_a_second_gateway_environment_is_kept_by_identity(reference_dir):
    text = stock(reference_dir, "3.2.0").read_text() + (
        '\n[[apim.gateway.environment]]\nname = "Internal"\ntype = "production"\n'
        'http_endpoint = "http://gw-internal:8280"\n')
    result = migrate_toml(text.encode(), "deployment.toml", Options("3.2.0", "4.6.0", answers=TAKE_THE_NEW_STOCK))
    envs = tomllib.loads(result.output)["apim"]["gateway"]["environment"]
    assert [e["name"] for e in envs] == ["Default", "Internal"]
    assert envs[1]["http_endpoint"] == "http://gw-internal:8280"


def test_edit_mode_keeps_everything_else(reference_dir):
    before = '# ours\n[apim.oauth_config]\nwhite_listed_scopes = ["a"]  # keep me\nother = 1\n'
    result = migrate_toml(before.encode(), "x.toml", Options("3.1.0", "3.2.0", mode="edit"))
    assert result.output == '# ours\n[apim.oauth_config]\nallowed_scopes = ["a"]  # keep me\nother = 1\n'


def test_comments_on_boolean_keys_survive_moves_and_rebase():
    before = '[integration.transaction_counter]\nenable = true   # counted\nserver_id = "x"\n'
    result = migrate_toml(before.encode(), "x.toml", Options("4.3.0", "4.4.0", mode="edit"))
    assert "enable = true # counted" in result.output
    custom = '[apim.cors]\nenable = false # no CORS at the edge\n'
    result = migrate_toml(custom.encode(), "x.toml", Options("4.2.0", "4.6.0"))
    assert "enable = false # no CORS at the edge" in result.output


def test_rebase_brings_the_comment_lines_above_carried_keys_and_tables():
    before = ('[server]\nhostname = "apim.example.com"\n\n# JMX for our monitoring stack\n[monitoring.jmx]\n'
              '# do not start the RMI server\nrmi_server_start = false\n')
    result = migrate_toml(before.encode(), "x.toml", Options("4.2.0", "4.6.0"))
    assert (
        "# JMX for our monitoring stack\n[monitoring.jmx]\n# do not start the RMI server\nrmi_server_start = false"
        in result.output
    )
    again = migrate_toml(result.output.encode(), "x.toml", Options("4.6.0", "4.6.0"))
    assert again.output == result.output
