"""The compiled rule packs (mappings/apim/packs.compiled.json): used only while they match their YAML, and
`rules lint` fails when they are out of date."""

import json
import shutil

from k8s_migrate.data import mappings_dir
from k8s_migrate.rules.lint import compiled_problems, lint
from k8s_migrate.rules.load import COMPILED, _compiled, compile_packs, load_pack, pack_data

from test_rules_lint import GOOD, pack


def compiled_folder(tmp_path):
    folder = pack(tmp_path, GOOD)
    (folder / COMPILED).write_text(json.dumps(compile_packs(folder)))
    _compiled.cache_clear()
    return folder


def test_the_shipped_compiled_packs_are_the_yaml(tmp_path):
    folder = mappings_dir() / "apim"
    assert json.loads((folder / COMPILED).read_text()) == compile_packs(folder)


def test_a_fresh_compiled_copy_lints_clean_and_loads_the_same_rules(tmp_path):
    folder = compiled_folder(tmp_path)
    assert [p for p in lint(folder) if p.where == COMPILED] == []
    rules = load_pack(folder / "3.1.0-3.2.0.yaml").rules
    assert [(r.id, r.op) for r in rules] == [("x-rename", "rename")]


def test_an_edited_pack_is_read_from_its_yaml_and_lint_says_the_copy_is_stale(tmp_path):
    folder = compiled_folder(tmp_path)
    path = folder / "3.1.0-3.2.0.yaml"
    path.write_text(path.read_text().replace("x-rename", "z-rename"))
    assert pack_data(path)["rules"][0]["id"] == "z-rename"
    assert load_pack(path).rules[0].id == "z-rename"
    assert [p.message for p in lint(folder) if p.where == COMPILED] == [
        "out of date with the *.yaml packs: run python3 scripts/compile_rule_packs.py"]


def test_a_copy_that_lies_about_its_hash_is_not_trusted_blindly(tmp_path):
    folder = compiled_folder(tmp_path)
    data = json.loads((folder / COMPILED).read_text())
    data["packs"]["3.1.0-3.2.0.yaml"]["data"]["rules"][0]["id"] = "forged"
    (folder / COMPILED).write_text(json.dumps(data))
    _compiled.cache_clear()
    assert [p.where for p in lint(folder)].count(COMPILED) == 1


def test_the_shipped_folder_without_its_compiled_copy_fails_lint(tmp_path, monkeypatch):
    from k8s_migrate import data

    copy = tmp_path / "mappings"
    (copy / "apim").mkdir(parents=True)
    for path in (mappings_dir() / "apim").glob("*.yaml"):
        shutil.copy(path, copy / "apim" / path.name)
    monkeypatch.setattr(data, "mappings_dir", lambda: copy)
    assert [p.where for p in compiled_problems(copy / "apim")] == [COMPILED]
