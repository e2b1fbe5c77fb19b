"""The compiled rule packs (mappings/apim/packs.compiled.json): used only while they match their YAML, and
`rules lint` fails when they are out of date."""

import json
import shutil

from test_rules_lint import GOOD, pack

from k8s_migrate.data import mappings_dir
from k8s_migrate.rules.lint import compiled_problems
from k8s_migrate.rules.load import COMPILED, _compiled, compile_packs, load_pack, pack_data


def compiled_folder(tmp_path):
    folder = pack(tmp_path, GOOD)
    (folder / COMPILED).write_text(json.dumps(compile_packs(folder)))
    _compiled.cache_clear()
    return folder


def test_the_shipped_compiled_packs_are_the_yaml(tmp_path):
    folder = mappings_dir() / "apim"
    assert json.dumps(json.loads((folder / COMPILED).read_text())) == json.dumps(compile_packs(folder))  # in order


def test_a_fresh_compiled_copy_loads_the_same_rules(tmp_path):
    folder = compiled_folder(tmp_path)
    rules = load_pack(folder / "3.1.0-3.2.0.yaml").rules
    assert [(r.id, r.op) for r in rules] == [("x-rename", "rename")]


def test_an_edited_pack_is_read_from_its_yaml(tmp_path):
    folder = compiled_folder(tmp_path)
    path = folder / "3.1.0-3.2.0.yaml"
    path.write_text(path.read_text().replace("x-rename", "z-rename"))
    assert pack_data(path)["rules"][0]["id"] == "z-rename"
    assert load_pack(path).rules[0].id == "z-rename"


def package_copy(tmp_path, monkeypatch, compiled: bool):
    """The package's own packs, seen from lint (mappings_dir patched, no $K8S_MIGRATE_MAPPINGS)."""
    from k8s_migrate import data

    copy = tmp_path / "mappings"
    (copy / "apim").mkdir(parents=True)
    for path in (mappings_dir() / "apim").glob("*.yaml"):
        shutil.copy(path, copy / "apim" / path.name)
    if compiled:
        (copy / "apim" / COMPILED).write_text(json.dumps(compile_packs(copy / "apim")))
    monkeypatch.setattr(data, "mappings_dir", lambda: copy)
    monkeypatch.delenv(data.MAPPINGS_ENV, raising=False)
    return copy / "apim"


def test_lint_passes_a_fresh_compiled_copy_and_fails_a_stale_one(tmp_path, monkeypatch):
    folder = package_copy(tmp_path, monkeypatch, compiled=True)
    assert compiled_problems(folder) == []
    first = sorted(folder.glob("*.yaml"))[0]
    first.write_text(first.read_text() + "\n")
    assert [p.message for p in compiled_problems(folder)] == [
        "out of date with the *.yaml packs: run python3 scripts/compile_rule_packs.py"]


def test_a_compiled_copy_that_lies_about_its_hash_fails_lint(tmp_path, monkeypatch):
    folder = package_copy(tmp_path, monkeypatch, compiled=True)
    data = json.loads((folder / COMPILED).read_text())
    name = sorted(data["packs"])[0]
    data["packs"][name]["data"]["from"] = "forged"
    (folder / COMPILED).write_text(json.dumps(data))
    assert [p.where for p in compiled_problems(folder)] == [COMPILED]


def test_the_package_without_its_compiled_copy_fails_lint(tmp_path, monkeypatch):
    assert [p.where for p in compiled_problems(package_copy(tmp_path, monkeypatch, compiled=False))] == [COMPILED]


def test_a_contributors_copy_of_the_data_may_lag(tmp_path, monkeypatch):
    folder = package_copy(tmp_path, monkeypatch, compiled=False)
    monkeypatch.setenv("K8S_MIGRATE_MAPPINGS", str(folder.parent))
    assert compiled_problems(folder) == []
