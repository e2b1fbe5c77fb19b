"""Strict parsing (issue 13, items 6-8): what the strict parsers reject is refused, and input problems are a
clean exit 2 naming the file and line, never an internal error."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from helpers import cli

MALFORMED = Path(__file__).parent / "malformed"
STRICT_TOML = sorted((MALFORMED / "toml").glob("strict-*.toml"))
TOML_ARGS = ("--from", "4.2", "--to", "4.6", "--mode", "edit", "-q")
ERROR = re.compile(r"^k8s-migrate: error: (?P<file>.+?):(?P<line>\d+): (?P<message>.+)$")


def tomllib_position(text: str) -> tuple[int, int]:
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        tomllib.loads(text)
    line, column = re.search(r"line (\d+), column (\d+)", str(caught.value)).groups()
    return int(line), int(column)


def test_the_strict_cases_are_ones_tomlkit_accepts():
    import tomlkit

    assert len(STRICT_TOML) >= 8
    for case in STRICT_TOML:
        tomlkit.parse(case.read_text(encoding="utf-8"))  # the class of input this check exists for


@pytest.mark.parametrize("case", STRICT_TOML, ids=lambda p: p.stem)
def test_toml_that_tomllib_rejects_is_refused_at_tomllibs_line_and_column(case: Path, tmp_path: Path):
    path = tmp_path / "deployment.toml"
    path.write_bytes(case.read_bytes())
    result = cli("toml", path, *TOML_ARGS, "--in-place")
    line, column = tomllib_position(case.read_text(encoding="utf-8"))
    match = ERROR.match(result.err.strip())
    assert result.code == 2 and match, result.err
    assert (int(match["line"]), match["file"]) == (line, str(path))
    assert f"at column {column}" in match["message"]
    assert path.read_bytes() == case.read_bytes()


VALID_TOMLKIT_CANNOT_HOLD = "[[a.a]]\n[a]\n[b]\n[a.a.a]\n[[a.a]]\n"  # an item reopened past two tables


def test_valid_toml_tomlkit_cannot_hold_is_not_called_invalid_and_rebase_reads_it(tmp_path: Path):
    tomllib.loads(VALID_TOMLKIT_CANNOT_HOLD)  # valid TOML
    path = tmp_path / "deployment.toml"
    path.write_text(VALID_TOMLKIT_CANNOT_HOLD)
    result = cli("toml", path, "--from", "4.5", "--to", "4.6", "--mode", "edit", "-q", "--in-place")
    match = ERROR.match(result.err.strip())
    assert result.code == 2 and match, result.err
    assert "invalid" not in match["message"] and "valid TOML that tomlkit" in match["message"]
    assert "--mode rebase" in match["message"]
    assert path.read_text() == VALID_TOMLKIT_CANNOT_HOLD
    rebased = cli("toml", path, "--from", "4.5", "--to", "4.6", "-q")
    assert rebased.code == 0, rebased.err


def embed_in_configmap(toml_text: str) -> str:
    body = "".join(f"    {line}\n" for line in toml_text.rstrip("\n").split("\n"))
    return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apim-conf\n"
            f"data:\n  deployment.toml: |\n{body}")


CONFIGMAP_HEADER_LINE = 6


@pytest.mark.parametrize("case", STRICT_TOML, ids=lambda p: p.stem)
def test_a_configmap_embedding_invalid_toml_is_refused_at_the_manifests_line(case: Path, tmp_path: Path):
    text = case.read_text(encoding="utf-8")
    path = tmp_path / "cm.yaml"
    path.write_text(embed_in_configmap(text), encoding="utf-8")
    result = cli("configmap", path, "--from", "4.2", "--to", "4.6", "-q")
    match = ERROR.match(result.err.strip())
    assert result.code == 2 and match, result.err
    assert int(match["line"]) == CONFIGMAP_HEADER_LINE + tomllib_position(text)[0]
    assert "ConfigMap/apim-conf" in match["message"] or "invalid YAML" in match["message"]  # \v is not YAML either


@pytest.mark.parametrize("case", STRICT_TOML, ids=lambda p: p.stem)
def test_values_extra_configs_with_invalid_toml_are_refused_at_the_values_line(case: Path, tmp_path: Path):
    text = case.read_text(encoding="utf-8")
    body = "".join(f"        {line}\n" for line in text.rstrip("\n").split("\n"))
    path = tmp_path / "values.yaml"
    path.write_text(f"wso2:\n  apim:\n    configurations:\n      extraConfigs: |\n{body}", encoding="utf-8")
    result = cli(
        "values", path, "--chart", "helm-apim/all-in-one@4.5.x", "--to-chart", "helm-apim/all-in-one@4.6.x", "-q"
    )
    match = ERROR.match(result.err.strip())
    assert result.code == 2 and match, result.err
    assert match["file"] == str(path) and int(match["line"]) == 4 + tomllib_position(text)[0]


STRICT_YAML = sorted((MALFORMED / "yaml").glob("strict-*.yaml"))
VALUES_ARGS = ("--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x", "-q")


def first_error_line(text: str) -> int:
    """Where each strict case breaks the rule it is named for: the case files mark nothing, so find the
    construct (the line after which ruamel's plain load would still succeed)."""
    for number, line in enumerate(text.split("\n"), 1):
        if re.search(r'["\'\],]#|\[-|!!str,|^%YAML|^\s+gw\.example|^\s+min"|^\tsecond', line) and not (
                line.startswith("%YAML") and number == 1):
            return number
    raise AssertionError("no marked construct")


def test_the_strict_yaml_cases_are_ones_ruamel_accepts():
    from ruamel.yaml import YAML

    assert len(STRICT_YAML) >= 10
    for case in STRICT_YAML:
        list(YAML().load_all(case.read_text()))  # the class of input the lexical check exists for


@pytest.mark.parametrize("case", STRICT_YAML, ids=lambda p: p.stem)
def test_yaml_that_breaks_the_spec_is_refused_at_its_line(case: Path, tmp_path: Path):
    path = tmp_path / case.name
    path.write_bytes(case.read_bytes())
    command = ("configmap", path, "--from", "4.2", "--to", "4.6", "-q") if "configmap" in case.name else (
        "values", path, *VALUES_ARGS)
    result = cli(*command)
    match = ERROR.match(result.err.strip())
    assert result.code == 2 and match, result.err
    assert match["file"] == str(path) and int(match["line"]) == first_error_line(case.read_text())


@pytest.mark.parametrize("name,line", [("yaml-version-1-3", 1), ("comment-overlap", None),
                                       ("deep-nesting-block-sequences", 2), ("deep-nesting-flow-mappings", 1)])
@pytest.mark.parametrize("command", ["values", "configmap"])
def test_input_problems_are_never_internal_errors(name: str, line: int | None, command: str, tmp_path: Path):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes((MALFORMED / "yaml" / f"{name}.yaml").read_bytes())
    args = VALUES_ARGS if command == "values" else ("--from", "4.2", "--to", "4.6", "-q")
    result = cli(command, path, *args)
    match = ERROR.match(result.err.strip()) or re.match(r"^k8s-migrate: error: (?P<file>[^:]+): (?P<message>.+)$",
                                                        result.err.strip())
    assert result.code == 2 and match and len(result.err.splitlines()) == 1, result.err
    assert "internal error" not in result.err and "Error:" not in match["message"].split("(")[0]
    if line is not None and "not a ConfigMap" not in match["message"]:  # configmap may first say what the file is
        assert int(match["line"]) == line


def test_a_duplicate_key_error_names_the_key_not_the_values(tmp_path: Path):
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apim-conf\n  annotations:\n"
                    '    password: "Secr3tOne"\n    password: "Secr3tTwo"\n'
                    'data:\n  deployment.toml: |\n    [server]\n    hostname = "a"\n')
    result = cli("configmap", path, "--from", "4.2", "--to", "4.6", "-q")
    assert result.code == 2 and ":7: " in result.err and '"password"' in result.err, result.err
    assert "Secr3t" not in result.err


def test_a_duplicate_key_values_accepts_is_reported_without_its_values(tmp_path: Path):
    path = tmp_path / "values.yaml"
    path.write_bytes((MALFORMED / "yaml" / "duplicate-secret-key.yaml").read_bytes())
    result = cli("values", path, *VALUES_ARGS[:-1], "--report", tmp_path / "r.json", "-o", tmp_path / "out.yaml")
    assert result.code == 0, result.err
    assert "Secr3t" not in result.err + (tmp_path / "r.json").read_text()


def test_the_check_holds_when_a_yaml_loader_is_reused():
    from ruamel.yaml import YAML

    from k8s_migrate.errors import UsageError
    from k8s_migrate.formats.strict_yaml import load_all

    yaml = YAML()
    assert load_all(yaml, "a: 1\n", "x.yaml") == [{"a": 1}]
    for _ in range(2):
        with pytest.raises(UsageError, match="whitespace before"):
            load_all(yaml, 'a: "b"# c\n', "x.yaml")
    assert load_all(yaml, "a: 2\n", "x.yaml") == [{"a": 2}]


def _problems(text: str, feed) -> list:
    """Every problem a lexical check finds, token by token (the check goes on after one), via ``feed``."""
    from ruamel.yaml.main import CParser

    from k8s_migrate.formats.strict_yaml import LexicalCheck

    check, found = LexicalCheck(text), []
    scanner = CParser(text)
    try:
        while scanner.check_token():
            token = scanner.get_token()
            found.append(feed(check, token))
    except Exception as exc:  # noqa: BLE001  (the C scanner's own errors end both runs alike)
        found.append(type(exc).__name__)
    return found


def _fed(check, token):
    from k8s_migrate.formats.strict_yaml import LexicalProblem

    try:
        check.feed(token)
    except LexicalProblem as problem:
        return problem.line, problem.message
    return None


def test_the_lexical_checks_fast_path_finds_what_the_full_check_finds():
    """feed's shortcut for indicators and one-line scalars: the same problem at every token of every YAML file of
    the suite (valid, malformed, strict cases) and of constructs made to break at such a token."""
    texts = [p.read_text(errors="replace") for p in sorted(Path(__file__).parent.rglob("*.yaml"))
             if p.stat().st_size < 20_000]
    texts += ["k: " + "{a: " * 120 + "1" + "}" * 120 + "\n", 'a: "b"# c\n', "a: 'b'#c\n", "- x\n- 'y'# z\n", 'k: "multi\nline"\n', "k: [a, - b]\n",
              "k: {a: 1}# c\n", "x:\n" + "".join(" " * i + "- \n" for i in range(120))]
    assert len(texts) > 50
    different = 0
    for text in texts:
        full = _problems(text, lambda check, token: check._problem(token))
        assert _problems(text, _fed) == full
        different += any(full)
    assert different >= 5  # the comparison saw problems, not only clean files
