"""CONTRIBUTING.md followed by a contributor: a fake API-M 4.8.0 added to a copy of the data works end to end.

The tool reads the copy through K8S_MIGRATE_MAPPINGS; every command runs in a subprocess, so the package's
cached data of this test process stays the repository's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from k8s_migrate.rules import scaffold
from k8s_migrate.versions import version_key

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
OLD_KEY, NEW_KEY = "apim.cors.allow_origins", "apim.cors.origins"
CHANGED_DEFAULT = "apim.cors.enable_validation_for_ws"


def run(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), K8S_MIGRATE_MAPPINGS=str(checkout / "mappings"))
    return subprocess.run([sys.executable, "-m", "k8s_migrate", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=checkout)


def copy_of_the_data(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    shutil.copytree(REPO / "mappings", checkout / "mappings")
    shutil.copytree(REPO / "tests" / "golden" / "toml", checkout / "tests" / "golden" / "toml")
    return checkout


def add_fake_catalog(checkout: Path, old: str, new: str) -> None:
    """CONTRIBUTING step 'catalog': 4.8.0 as 4.7.0 with OLD_KEY renamed to NEW_KEY and one default changed."""
    catalogs = checkout / "mappings" / "catalog"
    data = json.loads((catalogs / f"{old}.json").read_text().replace(OLD_KEY, NEW_KEY))
    data["version"] = new
    table, old_leaf, new_leaf = OLD_KEY.split(".")[:-1], OLD_KEY.split(".")[-1], NEW_KEY.split(".")[-1]
    for stock in (data["stock"], *data["profiles"].values()):
        parent = stock
        for segment in table:
            parent = parent.get(segment, {})
        if old_leaf in parent:
            parent[new_leaf] = parent.pop(old_leaf)
    defaults = data["interpolated_defaults"] if data["partial"] else data["defaults"]
    entry = defaults[CHANGED_DEFAULT]
    before = entry["value"] if data["partial"] else entry
    changed = {"true": "false", "false": "true"}[str(before).lower()]
    if data["partial"]:
        entry["value"] = changed
    else:
        defaults[CHANGED_DEFAULT] = changed
    (catalogs / f"{new}.json").write_text(json.dumps(data, indent=1))
    index = json.loads((catalogs / "index.json").read_text())
    index["versions"].append({"version": new, "partial": data["partial"]})
    (catalogs / "index.json").write_text(json.dumps(index, indent=1))


def fill_in_the_rule(pack: Path) -> None:
    lines = pack.read_text().splitlines(keepends=True)
    filled = [("    message: The CORS origins key is called origins in 4.8.0.\n" if line.startswith("    message: TODO")
               else "    source: https://example.com/fake-apim-release-notes\n" if line.startswith("    source: TODO")
               else line) for line in lines]
    assert filled != lines
    pack.write_text("".join(filled))


def test_a_contributor_adds_a_version(tmp_path):
    checkout = copy_of_the_data(tmp_path)
    newest = scaffold.newest_pack_end(REPO / "mappings" / "apim")[0]
    major, minor, _ = newest.split(".")
    new = f"{major}.{int(minor) + 1}.0"
    add_fake_catalog(checkout, newest, new)

    done = run(checkout, "rules", "new", newest, new, "--key", OLD_KEY, "--new-key", NEW_KEY)
    assert done.returncode == 0, done.stderr
    rule_id = f"r{new.replace('.', '')}-example-rename"
    pack = checkout / "mappings" / "apim" / f"{newest}-{new}.yaml"
    golden = checkout / "tests" / "golden" / "toml" / rule_id
    assert f"wrote {pack}" in done.stdout and f"wrote {golden / 'case.json'}" in done.stdout
    assert not (REPO / "mappings" / "apim" / pack.name).exists()

    unfinished = run(checkout, "rules", "lint")
    assert unfinished.returncode == 1
    assert f"{pack.name} {rule_id}: source must be a URL" in unfinished.stderr

    fill_in_the_rule(pack)
    linted = run(checkout, "rules", "lint")
    assert (linted.returncode, linted.stdout, linted.stderr) == (0, "rules lint: clean\n", "")

    user_file = tmp_path / "deployment.toml"
    user_file.write_text('[apim.cors]\nallow_origins = "https://portal.example.com"\n')
    report = tmp_path / "report.json"
    migrated = run(checkout, "toml", str(user_file), "--from", newest[:-2], "--to", new[:-2], "-q",
                   "--report", str(report))
    assert migrated.returncode == 0, migrated.stderr
    assert 'origins = "https://portal.example.com"' in migrated.stdout and "allow_origins" not in migrated.stdout
    entries = json.loads(report.read_text())["entries"]
    assert {"action": "renamed", "old_key": OLD_KEY, "new_key": NEW_KEY, "rule": rule_id}.items() <= next(
        e for e in entries if e.get("rule") == rule_id).items()

    case = json.loads((golden / "case.json").read_text())
    golden_report = tmp_path / "golden.json"
    replayed = run(checkout, "toml", str(golden / "input.toml"), "--from", case["from"], "--to", case["to"],
                   "--mode", case["mode"], "-q", "--report", str(golden_report))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == (golden / "expected.toml").read_text()
    got = json.loads(golden_report.read_text())["entries"]
    for want in case["entries"]:
        assert any(want.items() <= e.items() for e in got), (want, got)


def test_the_mappings_variable_must_name_a_folder(tmp_path):
    done = run(tmp_path, "version")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"k8s-migrate: error: K8S_MIGRATE_MAPPINGS={tmp_path / 'mappings'}: not a folder\n"


@pytest.fixture
def checkout(tmp_path):
    """A checkout with the two newest packs (enough for the chain; loading every pack is slow)."""
    root = tmp_path / "checkout"
    (root / "mappings" / "apim").mkdir(parents=True)
    packs = sorted((REPO / "mappings" / "apim").glob("*.yaml"), key=lambda p: version_key(p.stem.split("-")[1]))
    for pack in packs[-2:]:
        shutil.copy(pack, root / "mappings" / "apim" / pack.name)
    (root / "tests" / "golden" / "toml").mkdir(parents=True)
    return root


def newest_version(checkout: Path) -> str:
    return scaffold.newest_pack_end(checkout / "mappings" / "apim")[0]


@pytest.mark.parametrize("args, message", [
    (["{older}", "9.0.0"], "FROM {older} is not where the chain ends: the newest pack {pack} ends at {newest}"),
    (["{newest}", "4.x"], "not an API-M version: '4.x'"),
    (["{newest}", "{newest}"], "FROM {newest} must be older than TO {newest}"),
    (["{newest}", "9.0.0", "--key", "apim.gateway.environment[].name"],
     "--key 'apim.gateway.environment[].name': give a plain key"),
    (["{newest}", "9.0.0", "--rule-id", "R 1"], "--rule-id 'R 1': use lower-case letters"),
])
def test_rules_new_refuses_in_one_line(checkout, args, message):
    newest = newest_version(checkout)
    older = scaffold.newest_pack_end(checkout / "mappings" / "apim")[1].split("-")[0]
    pack = f"{older}-{newest}.yaml"
    fill = {"older": older, "newest": newest, "pack": pack}
    before = sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    done = cli("rules", "new", *(a.format(**fill) for a in args), "--dir", str(checkout))
    assert done.code == 2 and done.out == ""
    assert done.err.startswith("k8s-migrate: error: " + message.format(**fill)) and done.err.count("\n") == 1
    assert sorted(p.relative_to(checkout) for p in checkout.rglob("*")) == before


def test_rules_new_refuses_an_existing_pack_or_case(checkout):
    newest = newest_version(checkout)
    (checkout / "tests" / "golden" / "toml" / "r900-example-rename").mkdir()
    done = cli("rules", "new", newest, "9.0.0", "--dir", str(checkout))
    assert done.code == 2 and "r900-example-rename: a golden case with this rule id already exists" in done.err
    assert cli("rules", "new", newest, "9.0.0", "--rule-id", "r900-x", "--dir", str(checkout)).code == 0
    again = cli("rules", "new", newest, "9.0.0", "--rule-id", "r900-y", "--dir", str(checkout))
    assert again.code == 2 and again.err.endswith(f"{newest}-9.0.0.yaml: already exists\n")
    assert not (checkout / "tests" / "golden" / "toml" / "r900-y").exists()


def test_rules_new_writes_a_pack_chained_to_the_newest(checkout):
    newest = newest_version(checkout)
    done = cli("rules", "new", newest[:-2], "9.1", "--dir", str(checkout))
    assert done.code == 0, done.err
    pack_path = checkout / "mappings" / "apim" / f"{newest}-9.1.0.yaml"
    from k8s_migrate.rules.load import load_pack

    pack = load_pack(pack_path)
    assert (pack.from_version, pack.to_version) == (newest, "9.1.0")
    assert [r.id for r in pack.rules] == ["r910-example-rename"]
    rule = pack.rules[0]
    assert (rule.op, rule.key_texts, rule.raw["to"]) == ("rename", [scaffold.EXAMPLE_KEY], scaffold.EXAMPLE_NEW_KEY)
    case = checkout / "tests" / "golden" / "toml" / "r910-example-rename"
    entry = {"action": "renamed", "old_key": scaffold.EXAMPLE_KEY, "new_key": scaffold.EXAMPLE_NEW_KEY,
             "rule": "r910-example-rename"}
    assert json.loads((case / "case.json").read_text()) == {"from": newest, "to": "9.1.0", "mode": "edit",
                                                            "entries": [entry]}
    assert (case / "input.toml").read_text() == '[example]\nold_key = "CHANGE-ME"\n'
    assert (case / "expected.toml").read_text() == '[example]\nnew_key = "CHANGE-ME"\n'
    assert "note: no catalog" in done.out


def test_an_installed_package_has_no_checkout_to_write_into(monkeypatch):
    import k8s_migrate.data

    package_data = Path(scaffold.__file__).resolve().parents[1] / "mappings"
    monkeypatch.setattr(k8s_migrate.data, "mappings_dir", lambda: package_data)
    with pytest.raises(scaffold.ScaffoldError, match="k8s-migrate is installed .*: give --dir CHECKOUT"):
        scaffold.default_checkout()
    monkeypatch.setattr(k8s_migrate.data, "mappings_dir", lambda: REPO / "mappings")
    assert scaffold.default_checkout() == REPO


def test_a_read_only_checkout_is_refused(checkout):
    packs = checkout / "mappings" / "apim"
    packs.chmod(0o555)
    try:
        if os.access(packs, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        done = cli("rules", "new", newest_version(checkout), "9.0.0", "--dir", str(checkout))
        assert done.code == 2
        assert done.err == f"k8s-migrate: error: {packs}: read-only; give --dir CHECKOUT, a clone you can write to\n"
    finally:
        packs.chmod(0o755)
