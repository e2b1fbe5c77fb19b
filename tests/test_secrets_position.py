"""Secrets are masked by position (issue 13, items 9-10): credentials that sit in URLs, connection strings
and commented-out lines are masked wherever they are printed; values that merely equal a secret are not.

tests/leaks/ holds the corpus: every secret in it is spelled with "Secr3t", so a leak shows in any channel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from k8s_migrate.report.masking import MASK, mask_config_line, mask_value

from helpers import cli

LEAKS = Path(__file__).parent / "leaks"
MARK = "Secr3t"
COMMANDS = {
    ".toml": ("toml", "--from", "4.2", "--to", "4.6"),
    ".yaml": None,  # picked per file below
}


def command_for(case: Path) -> tuple[str, ...]:
    if case.suffix == ".toml":
        return ("toml", "--from", "4.2", "--to", "4.6")
    if case.name.startswith("configmap"):
        return ("configmap", "--from", "4.2", "--to", "4.6")
    return ("values", "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x")


CASES = sorted(LEAKS.iterdir())


def channels(case: Path, tmp_path: Path, *extra: str) -> dict[str, str]:
    command, *args = command_for(case)
    source = tmp_path / case.name
    shutil.copyfile(case, source)
    diff = cli(command, source, *args, "--diff", "--report", tmp_path / "r.json", *extra)
    assert diff.code == 0, diff.err
    seen = {"diff": diff.out, "stderr": diff.err, "json": (tmp_path / "r.json").read_text()}
    for suffix in (".md", ".sarif", ".txt"):
        run = cli(command, source, *args, "-o", tmp_path / "out", "--report", tmp_path / f"r{suffix}", *extra)
        assert run.code == 0, run.err
        seen[suffix] = (tmp_path / f"r{suffix}").read_text()
    return seen


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_no_credential_reaches_any_channel(case: Path, tmp_path: Path):
    seen = channels(case, tmp_path)
    leaked = {
        name: text[max(0, text.find(MARK) - 60) : text.find(MARK) + 20] for name, text in seen.items() if MARK in text
    }
    assert not leaked, leaked


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_the_corpus_holds_what_it_claims_when_shown(case: Path, tmp_path: Path):
    seen = channels(case, tmp_path, "--show-secrets")
    if case.name != "keystore-lookalike.toml":
        assert any(MARK in text for text in seen.values()), "the test could not fail on this case"


def test_a_value_equal_to_a_secret_is_not_masked_for_that(tmp_path: Path):
    seen = channels(LEAKS / "keystore-lookalike.toml", tmp_path)
    entries = json.loads(seen["json"])["entries"]
    values = {e["old_key"]: e["old_value"] for e in entries if e["old_key"]}
    assert values["keystore.primary.file_name"] == "wso2carbon.jks"
    assert values["keystore.primary.alias"] == "wso2carbon"
    assert values["super_admin.username"] == "opsadmin"
    assert values["keystore.primary.password"] == MASK and values["super_admin.password"] == MASK
    assert "****.jks" not in "".join(seen.values())


def test_the_diffs_with_secrets_shown_are_patches_git_applies(tmp_path: Path, monkeypatch):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    applied = 0
    for case in (c for c in CASES if c.suffix == ".toml"):
        shutil.copyfile(case, tmp_path / "deployment.toml")
        result = cli("toml", "deployment.toml", "--from", "4.2", "--to", "4.6", "--diff", "--show-secrets", "-q")
        assert result.code == 0, result.err
        if not result.out:  # the migration changes nothing in this file
            continue
        (tmp_path / "change.diff").write_text(result.out)
        check = subprocess.run(["git", "apply", "--check", "change.diff"], cwd=tmp_path, capture_output=True, text=True)
        assert check.returncode == 0, (case.name, check.stderr)
        subprocess.run(["git", "apply", "change.diff"], cwd=tmp_path, check=True)
        assert (tmp_path / "deployment.toml").read_text() == cli("toml", case, "--from", "4.2", "--to", "4.6", "-q").out
        applied += 1
    assert applied >= 2, "too few cases change: the test would not test"


def test_a_file_without_a_final_newline_gets_gits_marker(tmp_path: Path):
    shutil.copyfile(LEAKS / "no-final-newline.toml", tmp_path / "deployment.toml")
    out = cli("toml", tmp_path / "deployment.toml", "--from", "4.2", "--to", "4.6", "--diff", "-q").out
    lines = out.split("\n")
    marker = lines.index("\\ No newline at end of file")
    assert lines[marker - 1].startswith("-url = ") and "Secr3t" not in out


@pytest.mark.parametrize("line,expected", [
    ('url = "jdbc:mysql://u:pw-1@h:3306/db"\n', 'url = "jdbc:mysql://u:****@h:3306/db"\n'),
    ("+  url: amqp://admin:pw@mq:5672\n", "+  url: amqp://admin:****@mq:5672\n"),
    ('x = "https://user:p%40ss@host/path"\n', 'x = "https://user:****@host/path"\n'),
    ('url = "jdbc:sqlserver://h;user=sa;password=pw;x=1"\n', 'url = "jdbc:sqlserver://h;user=sa;password=****;x=1"\n'),
    ('url = "jdbc:postgresql://h/db?user=a&Password=pw&ssl=1"\n', 'url = "jdbc:postgresql://h/db?user=a&Password=****&ssl=1"\n'),
    ('-#password = "old-one"\n', '-#password = "****"\n'),
    ('# password: old-one\n', '# password: "****"\n'),
    ('password = "x1" # the admin password\n', 'password = "****" # the admin password\n'),
    ('c = { client_secret = "abc", username = "abc" }\n', 'c = { client_secret = "****", username = "abc" }\n'),
    ('file_name = "wso2carbon.jks"\n', 'file_name = "wso2carbon.jks"\n'),
    ('alias = "wso2carbon"\n', 'alias = "wso2carbon"\n'),
    ('url = "jdbc:mysql://u:${DB_PASSWORD}@h/db;password=$env{PW}"\n', 'url = "jdbc:mysql://u:${DB_PASSWORD}@h/db;password=$env{PW}"\n'),
    ('url = "jdbc:mysql://h:3306/db"\n', 'url = "jdbc:mysql://h:3306/db"\n'),
])
def test_mask_by_position(line: str, expected: str):
    assert mask_config_line(line) == expected


def test_mask_value_masks_credentials_under_any_key():
    assert mask_value("database.apim_db.url", "jdbc:mysql://u:pw@h/db") == "jdbc:mysql://u:****@h/db"
    assert mask_value("keystore.tls.file_name", "wso2carbon.jks") == "wso2carbon.jks"
    assert mask_value("keystore.tls.password", "wso2carbon") == MASK


def test_batch_report_masks_url_credentials(tmp_path: Path):
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    shutil.copyfile(LEAKS / "url-userinfo.toml", fleet / "deployment.toml")
    result = cli("batch", fleet, "--from", "4.2", "--to", "4.6", "--report", tmp_path / "fleet.json", "-q")
    assert result.code == 0, result.err
    text = (tmp_path / "fleet.json").read_text()
    assert "db.example.com" in text and MARK not in text
