"""`rules lint` is clean on the built-in packs, and catches what it promises to catch."""

import subprocess
import sys
from pathlib import Path

from k8s_migrate.data import mappings_dir
from k8s_migrate.rules.lint import default_golden_dir, lint

from helpers import cli

REPO = Path(__file__).resolve().parent.parent
GOOD = """
  - id: x-rename
    op: rename
    key: apim.oauth_config.white_listed_scopes
    to: apim.oauth_config.allowed_scopes
    source: https://github.com/wso2/carbon-apimgt/pull/9087
"""


def pack(tmp_path: Path, rules: str, name="3.1.0-3.2.0.yaml", frm="3.1.0", to="3.2.0") -> Path:
    (tmp_path / name).write_text(f"from: {frm}\nto: {to}\nrules:{rules}")
    return tmp_path


def test_the_built_in_packs_are_clean():
    assert [str(p) for p in lint(mappings_dir() / "apim", default_golden_dir())] == []


def test_the_cli_lint_is_clean():
    run = cli("rules", "lint")
    assert run.code == 0, run.err
    assert "clean" in run.out


def test_two_renames_of_one_key_fight(tmp_path):
    rules = GOOD + GOOD.replace("x-rename", "y-rename").replace("allowed_scopes", "scopes_allowed")
    found = [p.message for p in lint(pack(tmp_path, rules))]
    assert any("both rename and rename apim.oauth_config.white_listed_scopes" in m for m in found), found


def test_remove_and_rename_of_one_table_fight(tmp_path):
    rules = GOOD + """
  - id: y-remove
    op: remove
    key: apim.oauth_config
    source: https://github.com/wso2/carbon-apimgt/pull/9087
"""
    assert any("both rename and remove" in p.message for p in lint(pack(tmp_path, rules)))


def test_guards_that_differ_do_not_fight(tmp_path):
    rules = GOOD + GOOD.replace("x-rename", "y-rename").replace(
        "    source:", "    when:\n      profile: gateway\n    source:", 1)
    assert not [p for p in lint(pack(tmp_path, rules)) if "both" in p.message]


def test_duplicate_ids_sources_and_versions(tmp_path):
    pack(tmp_path, GOOD)
    pack(tmp_path, GOOD.replace("https://github.com/wso2/carbon-apimgt/pull/9087", "the docs"),
         name="3.2.0-4.0.0.yaml", frm="3.2.0", to="4.0.0")
    pack(tmp_path, GOOD.replace("x-rename", "z"), name="4.0.0-3.2.0.yaml", frm="4.0.0", to="3.2.0")
    text = "\n".join(str(p) for p in lint(tmp_path))
    assert "id used twice" in text
    assert "source must be a URL" in text
    assert "must be older than" in text


def test_keys_are_checked_against_the_catalogs(tmp_path):
    rules = GOOD.replace("allowed_scopes", "alowed_scopes")
    assert any("not a 3.2.0 key" in p.message for p in lint(pack(tmp_path, rules)))


def test_a_rule_without_a_golden_case(tmp_path):
    golden = tmp_path / "golden"
    golden.mkdir()
    found = lint(pack(tmp_path, GOOD), golden)
    assert any("no golden case" in p.message for p in found)


def test_unknown_ops_and_fields_are_schema_errors(tmp_path):
    assert lint(pack(tmp_path, GOOD.replace("op: rename", "op: rewrite")))
    assert lint(pack(tmp_path, GOOD + "    colour: blue\n"))


def test_coverage_leaves_nothing_open(reference_dir):
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "derive_coverage.py"), "--check",
                          "--reference", str(reference_dir)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_a_malformed_pack_gives_every_problem_at_its_line_in_one_run(tmp_path):
    from helpers import cli

    (tmp_path / "4.6.0-4.7.0.yaml").write_text(
        "from: 4.6.0\nto: 4.7.0\nrules:\n  - id: x1\n    op: nonsense\n    key: a.b\n  - id: x2\n    op: rename\n")
    (tmp_path / "4.7.0-4.8.0.yaml").write_text("from: 4.7.0\nto: 4.8.0\nrules:\n  - id: [unclosed\n")
    done = cli("rules", "lint", "--packs", str(tmp_path), "--golden", str(tmp_path))
    assert done.code == 1
    lines = done.err.splitlines()
    assert lines[0].startswith("4.6.0-4.7.0.yaml:4: rule 1 (x1): op must be one of ")
    assert lines[1] == "4.6.0-4.7.0.yaml:7: rule 2 (x2): every rule needs a source"
    assert lines[2] == "4.7.0-4.8.0.yaml:5: invalid YAML: expected ',' or ']', but got '<stream end>'"
    assert "internal error" not in done.err
