"""One Request for every migration, one exit-code decision for every command, and the answers file honoured by
every migrating command."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from test_answers import FILE_320, RULE

from k8s_migrate.answers import Answers
from k8s_migrate.batch.run import BatchResult
from k8s_migrate.batch.worker import JobResult
from k8s_migrate.errors import UsageError
from k8s_migrate.migrate.split import SplitOptions
from k8s_migrate.migrate.toml import Options
from k8s_migrate.migrate.values import ValuesOptions
from k8s_migrate.report import Entry, Report, exit_code
from k8s_migrate.request import Request, known_version

from helpers import cli

SHARED = {f.name for f in fields(Request)}


@pytest.mark.parametrize("kind, own", [
    (Options, {"role", "onto", "onto_name"}),
    (ValuesOptions, {"subchart"}),
    (SplitOptions, {"to_charts"}),
])
def test_each_kind_is_a_request_with_only_its_own_fields(kind, own):
    assert issubclass(kind, Request)
    assert {f.name for f in fields(kind)} - SHARED == own
    request = Request("4.2", "4.6", "edit", "gateway", True, {"rules": {RULE: "keep"}}, "a@4.2.x", "b@4.6.x")
    made = request.as_kind(kind)
    assert type(made) is kind and all(getattr(made, name) == getattr(request, name) for name in SHARED)


def test_the_answers_file_adds_its_choices_and_keep_old_defaults():
    request = Request("3.2", "4.6")
    answered = request.answered(Answers(keep_old_defaults=True, rules={RULE: "default"}, unexposed="keep"))
    assert answered.keep_old_defaults and answered.answers == {"rules": {RULE: "default"}, "unexposed": "keep"}
    assert Request("3.2", "4.6", keep_old_defaults=True).answered(Answers(keep_old_defaults=False)).keep_old_defaults
    assert request.answers == {} and not request.keep_old_defaults  # answered makes a new request
    context = answered.rule_context("gateway")
    assert (context.profile, context.keep_old_defaults, context.answers) == ("gateway", True, answered.answers)


def test_a_version_is_normalised_in_one_place():
    assert known_version("4.6") == known_version("v4.6.0") == "4.6.0"
    assert Options("3.2", "4.6").catalog_versions() == ("3.2.0", "4.6.0")
    for text in ("4.99", "four"):
        with pytest.raises(UsageError):
            known_version(text)
    with pytest.raises(UsageError, match="give --from and --to"):
        Options(to_version="4.6").catalog_versions()


@pytest.mark.parametrize("given, code", [
    ({}, 0),
    ({"changed": True}, 0),
    ({"check": True, "changed": True}, 1),
    ({"check": True}, 0),
    ({"attention": True}, 0),
    ({"strict": True, "attention": True}, 1),
    ({"strict": True, "changed": True}, 0),
    ({"findings": True}, 1),
])
def test_exit_code_is_one_decision(given, code):
    assert exit_code(**given) == code


def batch_result(*, changed=False, review=False, failed=None, inconsistent=False) -> BatchResult:
    report = Report("fleet", "4.2.0", "4.6.0", changed=changed)
    results = [JobResult("a/deployment.toml", "toml", report, changed=changed)]
    if failed:
        results.append(JobResult("b/deployment.toml", "toml", Report("b", "?", "4.6.0"), error=failed,
                                 inconsistent=inconsistent))
    return BatchResult(report, results, summary={"review": 1} if review else {"kept": 1})


@pytest.mark.parametrize("result, check, strict, code", [
    (batch_result(), True, True, 0),
    (batch_result(changed=True), False, True, 0),
    (batch_result(changed=True), True, False, 1),
    (batch_result(review=True), False, False, 0),
    (batch_result(review=True), False, True, 1),  # from the summary: the quiet batch keeps no entries
    (batch_result(failed="no version"), True, True, 2),
    (batch_result(failed="proof failed", inconsistent=True), False, False, 3),
])
def test_batch_exit_code_comes_from_its_result(result, check, strict, code):
    assert result.exit_code(check, strict) == code


def test_a_report_with_a_review_entry_fails_strict_only():
    report = Report("d.toml", "3.2.0", "4.6.0", [Entry("review", "a", "a")])
    assert (report.exit_code(), report.exit_code(strict=True), report.exit_code(check=True)) == (0, 1, 0)


@pytest.mark.parametrize("text, versions, flags", [
    (FILE_320, ("3.2", "4.6"), ()),
    (FILE_320, ("3.2", "4.6"), ("--check",)),
    (FILE_320, ("3.2", "4.6"), ("--strict",)),
    (b'[server]\nhostname = "am.example.com"\n', ("4.6", "4.6"), ("--mode", "edit", "--check", "--strict")),
    (b'[server]\nhostname = "am.example.com"\n', ("4.6", "4.6"), ("--mode", "edit", "--check")),
])
def test_batch_exits_as_toml_does_for_the_same_file(tmp_path, text, versions, flags):
    (tmp_path / "fleet" / "node").mkdir(parents=True)
    toml = tmp_path / "fleet" / "node" / "deployment.toml"
    toml.write_bytes(text)
    single = cli("toml", toml, "--from", versions[0], "--to", versions[1], "-q", *flags)
    fleet = cli("batch", tmp_path / "fleet", "--from", versions[0], "--to", versions[1], "-q", *flags)
    assert single.code == fleet.code and single.code in (0, 1), single.err + fleet.err
    if "--check" in flags:
        said = ("would migrate" in single.err, "would migrate node/deployment.toml" in fleet.err)
        assert said == (bool(single.code),) * 2
    assert toml.read_bytes() == text


def manifest_of(toml: bytes) -> str:
    body = "".join(f"    {line}\n" for line in toml.decode().splitlines())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gw\ndata:\n  deployment.toml: |\n{body}"


@pytest.mark.parametrize("command", ["toml", "configmap", "batch"])
def test_every_command_honours_the_answers_file(tmp_path, command):
    """The same rule choice from .k8s-migrate.yaml at the repository root, through each command."""
    (tmp_path / ".git").mkdir()
    node = tmp_path / "node"
    node.mkdir()
    name = "deployment.toml" if command != "configmap" else "gw.yaml"
    (node / name).write_text(FILE_320.decode() if command != "configmap" else manifest_of(FILE_320))
    target = node if command == "batch" else node / name
    out = tmp_path / "out"

    def run():
        result = cli(command, target, "--from", "3.2", "--to", "4.6", "-o", out, "-q")
        assert result.code == 0, result.err
        return (out / name).read_text() if command == "batch" else out.read_text()

    before = run()
    (tmp_path / ".k8s-migrate.yaml").write_text(f"rules:\n  {RULE}: default\n")
    after = run()
    assert 'name = "Production and Sandbox"' in before and "Production and Sandbox" not in after
    assert 'name = "Default"' in after


def test_configmap_takes_answers_and_rejects_a_bad_file(tmp_path):
    manifest = tmp_path / "gw.yaml"
    manifest.write_text(manifest_of(FILE_320))
    answers = tmp_path / "a.yaml"
    answers.write_text("keep_old_defaults: true\n")
    report = tmp_path / "r.json"
    run = cli("configmap", manifest, "--from", "3.2", "--to", "4.6", "--answers", answers, "--report", report, "-q")
    assert run.code == 0, run.err
    assert "pinned the old value" in json.dumps(json.loads(report.read_text()))
    answers.write_text("colour: blue\n")
    run = cli("configmap", manifest, "--from", "3.2", "--to", "4.6", "--answers", answers)
    assert run.code == 2 and "unknown field" in run.err and run.err.count("\n") == 1


def test_values_honours_the_answers_file(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("wso2:\n  apim:\n    configurations:\n      oauth:\n"
                      "        tokenCleanup:\n          enable: true\n")
    answers = tmp_path / "a.yaml"
    answers.write_text("unexposed: keep\n")
    args = ("values", values, "--chart", "helm-apim/all-in-one@3.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x",
            "-q")
    plain, kept = cli(*args), cli(*args, "--answers", answers)
    assert plain.code == kept.code == 0, plain.err + kept.err
    assert "extraConfigs" in plain.out and "extraConfigs" not in kept.out and "tokenCleanup" in kept.out
