"""The answers file: a rule's choice changes the output, no answer takes the documented default as review,
the same answers give the same output twice without a TTY, and a TTY prompt records the answer."""

import io

import pytest

from k8s_migrate.answers import Answers, choice_rules, load_answers, with_answers
from k8s_migrate.errors import UsageError
from k8s_migrate.migrate.toml import Options, migrate_toml
from k8s_migrate.rules.model import RuleError, check_choice

from helpers import cli

RULE = "r400-gateway-environment-default-name"
FILE_320 = b"""[server]
hostname = "am.example.com"

[[apim.gateway.environment]]
name = "Production and Sandbox"
type = "hybrid"
service_url = "https://am.example.com:9443/services/"
"""


def migrate(answer=None, mode="rebase"):
    answers = {"rules": {RULE: answer}} if answer else {}
    return migrate_toml(FILE_320, "d.toml", Options("3.2.0", "4.6.0", mode=mode, answers=answers))


def entries_of(result, rule=RULE):
    return [e for e in result.report.entries if rule in (e.rule or "").split(",")]


def test_the_rule_declares_its_choice():
    choice = choice_rules()[RULE]
    assert set(choice["options"]) == {"keep", "default"} and choice["default"] in choice["options"]


@pytest.mark.parametrize("mode", ["rebase", "edit"])
def test_keep_keeps_the_name_and_lists_both_labels(mode):
    result = migrate("keep", mode)
    assert 'name = "Production and Sandbox"' in result.output
    assert 'gateway_labels = ["Production and Sandbox", "Default"]' in result.output
    found = entries_of(result)
    assert {e.action for e in found} == {"kept", "added"} and all("answers file" in e.message for e in found)


@pytest.mark.parametrize("mode", ["rebase", "edit"])
def test_default_takes_the_new_name(mode):
    result = migrate("default", mode)
    assert 'name = "Default"' in result.output and "Production and Sandbox" not in result.output
    assert not [e for e in entries_of(result) if e.action == "review"]


def test_no_answer_takes_the_documented_default_as_review():
    result, answered = migrate(), migrate("keep")  # WSO2's 3.2.0-to-4.1.0 guide keeps "Production and Sandbox"
    assert result.output == answered.output
    (entry,) = [e for e in entries_of(result) if e.action == "review"]
    assert "No answer in .k8s-migrate.yaml; took the default 'keep'" in entry.message
    assert f"rules: {{{RULE}: keep|default}}" in entry.message


def test_same_answers_file_twice_without_a_tty_gives_identical_output(tmp_path):
    toml = tmp_path / "deployment.toml"
    toml.write_bytes(FILE_320)
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"rules:\n  {RULE}: keep\n")
    runs = [cli("toml", toml, "--from", "3.2", "--to", "4.6", "--answers", answers, "--report", tmp_path / f"r{i}.json")
            for i in range(2)]
    assert [r.code for r in runs] == [0, 0]
    assert runs[0].out == runs[1].out and 'name = "Production and Sandbox"' in runs[0].out
    assert (tmp_path / "r0.json").read_text() == (tmp_path / "r1.json").read_text()
    assert answers.read_text() == f"rules:\n  {RULE}: keep\n"  # nothing asked, nothing recorded


def test_the_answers_file_at_the_repo_root_is_found_and_sets_keep_old_defaults(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".k8s-migrate.yaml").write_text(f"keep_old_defaults: true\nrules:\n  {RULE}: keep\n")
    (tmp_path / "node").mkdir()
    toml = tmp_path / "node" / "deployment.toml"
    toml.write_bytes(FILE_320)
    run = cli("toml", toml, "--from", "3.2", "--to", "4.6", "--report", tmp_path / "r.json")
    assert run.code == 0 and 'name = "Production and Sandbox"' in run.out
    assert "pinned the old value" in (tmp_path / "r.json").read_text()


@pytest.mark.parametrize("text, error", [
    ("rules:\n  no-such-rule: keep\n", "not a rule with a choice"),
    (f"rules:\n  {RULE}: maybe\n", "is not one of keep, default"),
    ("keep_old_defaults: yes please\n", "keep_old_defaults must be true or false"),
    ("unexposed: somewhere\n", "unexposed must be one of"),
    ("colour: blue\n", "unknown field"),
])
def test_a_bad_answers_file_is_a_one_line_error(tmp_path, text, error):
    answers = tmp_path / "a.yaml"
    answers.write_text(text)
    with pytest.raises(UsageError, match=error):
        load_answers(str(answers))
    toml = tmp_path / "d.toml"
    toml.write_bytes(FILE_320)
    run = cli("toml", toml, "--from", "3.2", "--to", "4.6", "--answers", answers)
    assert run.code == 2 and error.split()[0] in run.err and run.err.count("\n") == 1


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_on_a_tty_the_choice_is_asked_and_recorded(tmp_path):
    path = tmp_path / ".k8s-migrate.yaml"
    path.write_text("# our choices\nkeep_old_defaults: false\n")
    answers = load_answers(str(path))
    stdin, stderr = Tty("default\n"), Tty()
    result = with_answers(lambda a: migrate_toml(FILE_320, "d.toml", Options("3.2.0", "4.6.0", answers=a.context())),
                          answers, stdin, stderr)
    assert 'name = "Default"' in result.output
    assert "choose keep/default [keep]" in stderr.getvalue()
    text = path.read_text()
    assert text.startswith("# our choices\nkeep_old_defaults: false\n") and f"{RULE}: default" in text
    assert load_answers(str(path)).rules == {RULE: "default"}
    # without a TTY nothing is asked
    quiet = with_answers(lambda a: migrate_toml(FILE_320, "d.toml", Options("3.2.0", "4.6.0", answers=a.context())),
                         Answers(path), io.StringIO("default\n"), io.StringIO())
    assert 'name = "Production and Sandbox"' in quiet.output


def test_choice_data_is_checked():
    with pytest.raises(RuleError, match="default must be one of"):
        check_choice({"default": "x", "options": {"a": {}}}, "r")
    with pytest.raises(RuleError, match="unknown field"):
        check_choice({"default": "a", "options": {"a": {"rename": 1}}}, "r")


def test_end_of_input_at_the_prompt_records_nothing_and_says_where_the_file_is(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "nodes").mkdir()
    answers = load_answers(None, tmp_path / "nodes")
    assert answers.path == tmp_path / ".k8s-migrate.yaml"  # the repository root, not the current directory
    stdin, stderr = Tty(""), Tty()
    result = with_answers(lambda a: migrate_toml(FILE_320, "d.toml", Options("3.2.0", "4.6.0", answers=a.context())),
                          answers, stdin, stderr)
    assert 'name = "Default"' in result.output  # the documented default
    assert not answers.path.exists() and answers.rules == {}
    said = stderr.getvalue()
    assert "recorded" not in said
    assert "k8s-migrate: no answer (end of input): the documented default applies" in said
    assert str(answers.path) in said
