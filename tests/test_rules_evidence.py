"""`rules lint --evidence DIR`: every built-in rule's claim holds against WSO2's own files, and a planted
wrong claim of each kind is caught, naming the rule, the claim and the evidence."""

import json
from pathlib import Path

import pytest

from k8s_migrate.rules.evidence import evidence_problems
from k8s_migrate.rules.lint import load_valid_packs
from k8s_migrate.rules.model import RuleError, rule_from_data

from helpers import cli

SOURCE = "    source: https://github.com/wso2/product-apim/blob/v4.2.0/modules/distribution/product/src/main/resources/conf/default.json\n"


def version(root: Path, name: str, defaults=None, templates=(), stock="", infer=None):
    folder = root / "apim" / name
    conf = folder / "repository" / "resources" / "conf"
    conf.mkdir(parents=True)
    (conf / "default.json").write_text(json.dumps(defaults or {}))
    (conf / "infer.json").write_text(json.dumps(infer or {}))
    (folder / "template-keys.txt").write_text("\n".join(templates) + "\n")
    (folder / "repository" / "conf").mkdir(parents=True)
    (folder / "repository" / "conf" / "deployment.toml").write_text(stock)


@pytest.fixture
def evidence(tmp_path):
    """Three versions whose files say: a.old is renamed to a.new in 2.0.0; b.gone is read again in 3.0.0;
    c.flag keeps its default; d.cls already has its new class in 2.0.0."""
    root = tmp_path / "reference"
    version(root, "1.0.0", {"c.flag": True, "d.cls": "old.Impl"}, ["a.old", "b.gone", "c.flag", "d.cls"])
    version(root, "2.0.0", {"c.flag": True, "d.cls": "new.Impl"}, ["a.new", "c.flag", "d.cls"])
    version(
        root, "3.0.0", {"c.flag": True, "d.cls": "new.Impl"}, ["a.new", "b.gone", "c.flag", "d.cls", "e.tables[].name"]
    )
    return root


def packs(tmp_path, first: str, second: str = ""):
    folder = tmp_path / "packs"
    folder.mkdir(exist_ok=True)
    (folder / "1.0.0-2.0.0.yaml").write_text(f"from: 1.0.0\nto: 2.0.0\nrules:\n{first}")
    (folder / "2.0.0-3.0.0.yaml").write_text(f"from: 2.0.0\nto: 3.0.0\nrules:\n{second or '  []'}")
    return load_valid_packs(folder)


def found(tmp_path, evidence, first, second=""):
    return [str(p) for p in evidence_problems(packs(tmp_path, first, second), evidence)]


def test_true_claims_pass(tmp_path, evidence):
    rules = ("  - id: ok-rename\n    op: rename\n    key: a.old\n    to: a.new\n" + SOURCE
             + "  - id: ok-warn\n    op: warn\n    key: e.tables[].name\n" + SOURCE)
    assert found(tmp_path, evidence, rules) == []


@pytest.mark.parametrize(
    "rule, claim",
    [
        (
            "op: rename\n    key: a.missing\n    to: a.new",
            "claims 1.0.0 reads a.missing, but 1.0.0's files do not name it",
        ),
        (
            "op: move\n    key: a.old\n    to: a.elsewhere",
            "claims 2.0.0 reads a.elsewhere, but 2.0.0's files do not name it",
        ),
        (
            "op: rename\n    key: c.flag\n    to: a.new",
            "claims c.flag became a.new, but 2.0.0's templates still read c.flag",
        ),
        (
            "op: remove\n    key: b.gone",
            "claims b.gone is no longer read from 2.0.0, but the templates of 3.0.0 read b.gone",
        ),
        (
            "op: default_change\n    key: c.flag\n    old: true\n    new: false",
            "claims c.flag defaults to False in 2.0.0, but 2.0.0's default.json says True",
        ),
        (
            "op: warn\n    key: oauth.grant_type.implicit",
            "claims oauth.grant_type.implicit is a key, but no version's files name it",
        ),
        (
            "op: transform\n    key: d.cls\n    transform:\n      map: {old.Impl: new.Impl}",
            "maps 'old.Impl' to 'new.Impl' in 2.0.0->3.0.0, but 2.0.0's default.json already holds 'new.Impl'",
        ),
    ],
)
def test_a_planted_wrong_claim_is_caught(tmp_path, evidence, rule, claim):
    planted = f"  - id: planted\n    {rule}\n" + SOURCE
    first, second = (planted, "") if "d.cls" not in rule else ("  []\n", planted)
    problems = found(tmp_path, evidence, first, second)
    assert any("planted" in p and claim in p for p in problems), problems


def test_a_remove_that_a_later_pack_undoes_is_not_a_problem(tmp_path, evidence):
    first = "  - id: drop\n    op: remove\n    key: b.gone\n" + SOURCE
    second = "  - id: back\n    op: set\n    key: b.gone\n    value: 1\n" + SOURCE
    assert found(tmp_path, evidence, first, second) == []


def test_an_unchecked_rule_says_why_and_is_skipped(tmp_path, evidence):
    rule = (
        "  - id: unchecked\n    op: warn\n    key: x.y\n    evidence: 'unchecked: a behaviour the files do not show'\n"
        + SOURCE
    )
    assert found(tmp_path, evidence, rule) == []
    with pytest.raises(RuleError, match="evidence must read"):
        rule_from_data({"id": "r", "op": "warn", "key": "x.y", "source": "https://x", "evidence": "trust me"}, "p", "w")


def test_the_built_in_rules_hold_against_wsos_files(reference_dir):
    run = cli("rules", "lint", "--evidence", reference_dir)
    assert run.code == 0, run.err
    assert "clean" in run.out


def test_the_cli_names_rule_claim_and_evidence(tmp_path, evidence):
    packs(tmp_path, "  - id: planted\n    op: remove\n    key: b.gone\n" + SOURCE)
    run = cli("rules", "lint", "--packs", tmp_path / "packs", "--golden", tmp_path, "--evidence", evidence)
    assert run.code == 1
    assert "1.0.0-2.0.0.yaml planted: claims b.gone is no longer read from 2.0.0, but the templates of 3.0.0" in run.err


def test_evidence_must_be_a_folder(tmp_path):
    run = cli("rules", "lint", "--evidence", tmp_path / "missing")
    assert run.code == 2 and run.err.count("\n") == 1 and "not a folder" in run.err
