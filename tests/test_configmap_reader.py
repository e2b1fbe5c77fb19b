"""The ConfigMap reader's C-parser path finds what the strict round-trip loader finds (or leaves the manifest to
it), and the writer gives the same bytes either way.

Over every YAML file of the tests and of the reference data, and over generated manifests: anchors, tags,
duplicate keys, names that are numbers, block scalar headers of every kind, List items, several documents.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from k8s_migrate.errors import UsageError
from k8s_migrate.formats import configmap as cm
from k8s_migrate.formats.text import decode
from k8s_migrate.migrate.configmap import migrate_manifest
from k8s_migrate.migrate.toml import Options

from helpers import examples

TESTS = Path(__file__).parent


def yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def agreed(text: str) -> list[cm.EmbeddedToml] | None:
    """The C-parser reading, checked against the round-trip loader's."""
    fast = cm.read_embedded(text)
    try:
        _, slow = cm.read_round_trip(text, "m.yaml")
    except UsageError as exc:
        # valid YAML that ruamel's round-trip loader cannot keep (its comment faults) is read by the C parser
        assert fast is None or "round-trip reader cannot keep" in exc.message, exc.message
        return None
    assert fast is None or fast == slow
    return fast


def round_trip_only(monkeypatch):
    monkeypatch.setattr(cm, "read_embedded", lambda text: None)
    monkeypatch.setattr(cm, "_fast_values", lambda *args: None)


def test_every_yaml_file_of_the_tests():
    read = {path: agreed(decode(path.read_bytes(), path.name).text) for path in yaml_files(TESTS)}
    configmaps = [p for p in read if cm.looks_like_configmap(p.read_text(errors="replace"))]
    assert len(read) > 50 and configmaps
    assert [p for p in configmaps if read[p] is not None], "no ConfigMap of the tests takes the C-parser path"


def test_every_yaml_file_of_the_reference(reference_dir):
    fast = 0
    for path in yaml_files(reference_dir):
        text = decode(path.read_bytes(), path.name).text
        if "ConfigMap" in text:
            fast += agreed(text) is not None
    assert fast >= 4  # the real-world manifest and the 3.x ones (the rest are Helm templates)


def test_real_configmap_migration_is_the_same_either_way(reference_dir, monkeypatch):
    paths = [reference_dir / "real-world/cbabey-400-aio-configmap/wso2am-single-node-am-conf.yaml",
             TESTS / "fixtures/fleet/k8s/gateway-conf.yaml"]
    options = Options("4.0.0", "4.6.0", mode="edit")
    fast = [migrate_manifest(p.read_bytes(), p.name, options) for p in paths]
    round_trip_only(monkeypatch)
    slow = [migrate_manifest(p.read_bytes(), p.name, options) for p in paths]
    for f, s in zip(fast, slow, strict=True):
        assert f.output == s.output
        assert f.report.entries == s.report.entries
    assert fast[0].output != fast[0].original


NAMES = (["apim-conf", "'quoted name'", '"double"', "a b", "true"],
         ["123", "0x1f", "null", "~", "", "1.5", "2001-12-14", "!!str tagged", "&anchor anchored", "'multi\n    line'"])
KINDS = (["ConfigMap", "Secret"], ["!!str ConfigMap", "'ConfigMap'"])
HEADERS = (["|", "|-", "| # a comment"], ["|+", ">", "|2", "|-   # c", ">-"])
BODY = ['[server]', 'hostname = "localhost"', "", "# a comment", "  indented = 1", "offset = 0", "[[a.b]]",
        'x = """', 'y"""', "\tx = 1", "é = 'ü'"]
VALUES = ["'a = 1'", '"a = 1\\n"', "12", "plain text", "null", "*anchor"]
OTHER = (["log4j2.properties: |\n    a=b", "other: value", "# a comment", "", "empty:", "'quoted key': 1",
          "list:\n  - a\n  - {b: 1}"],
         ["1: number key", "<<: {a: 1}", "dup: 1\n  dup: 2", "deployment.toml: twice", "bad: [1,\n  2]"])
STARTS = (["", "---\n", "# head\n"], ["%YAML 1.1\n---\n", "--- !!map\n"])


def pick(draw, choices: tuple[list[str], list[str]]) -> str:
    """Mostly what the C-parser path reads; one time in eight what it leaves to the round-trip loader."""
    return draw(st.sampled_from(choices[1] if draw(st.integers(0, 7)) == 0 else choices[0]))


@st.composite
def configmap(draw, pad: str) -> str:
    lines = ["apiVersion: v1", f"kind: {pick(draw, KINDS)}"]
    if draw(st.integers(0, 5)):
        name = pick(draw, NAMES)
        lines += ["metadata: {name: x}"] if name == "" else ["metadata:", f"  name: {name}"]
    data = draw(st.sampled_from(["block"] * 6 + ["flow", "null"]))
    if data == "flow":
        lines += ["data: {deployment.toml: 'a = 1'}"]
    elif data == "null":
        lines += ["data:"]
    else:
        lines += ["data:"]
        lines += [f"  {pick(draw, OTHER)}" for _ in range(draw(st.integers(0, 2)))]
        if draw(st.integers(0, 7)):
            body = draw(st.lists(st.sampled_from(BODY), min_size=1, max_size=6))
            inner = draw(st.sampled_from(["    ", "      "]))
            lines += [f"  deployment.toml: {pick(draw, HEADERS)}"]
            lines += [inner + b if b else draw(st.sampled_from(["", inner])) for b in body]
        else:
            lines += [f"  deployment.toml: {draw(st.sampled_from(VALUES))}"]
        lines += [f"  {pick(draw, OTHER)}" for _ in range(draw(st.integers(0, 2)))]
    text = "\n".join(lines)
    return "\n".join(pad + line if line else line for line in text.split("\n"))


@st.composite
def manifest(draw) -> str:
    documents = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            items = [draw(configmap("  ")) for _ in range(draw(st.integers(1, 2)))]
            documents.append("apiVersion: v1\nkind: List\nitems:\n" + "\n".join("- " + i[2:] for i in items))
        else:
            documents.append(draw(configmap("")))
    end = draw(st.sampled_from(["\n", "\n...\n", "", "\n\n"]))
    return pick(draw, STARTS) + "\n---\n".join(documents) + end


NEW_TOML = '[server]\nhostname = "changed"\n\n[new]\nkey = 1\n'


@settings(max_examples=examples(2000), deadline=None, suppress_health_check=list(HealthCheck))
@given(manifest())
# a block scalar whose leading blank line is less indented than its text: valid YAML (libyaml reads it) that
# ruamel's pure-Python scanner refuses; said as such, not as "invalid YAML"
@example("apiVersion: v1\nkind: 'ConfigMap'\ndata:\n  deployment.toml: |+\n    \n      indented = 1\n")
def test_generated_manifests_read_and_write_the_same_either_way(text):
    fast = agreed(text)
    if fast is None:
        return
    assert written(text, fast=True) == written(text, fast=False)


def written(text: str, fast: bool) -> str:
    """The manifest with every embedded file replaced (or the error), read either way."""
    saved = cm.read_embedded, cm._fast_values
    if not fast:
        cm.read_embedded, cm._fast_values = (lambda text: None), (lambda *args: None)
    try:
        manifest = cm.ConfigMapManifest(decode(text.encode(), "m.yaml"), "m.yaml")
        for index in range(len(manifest.embedded)):
            manifest.replace(index, NEW_TOML)
        return manifest.dumps()
    except UsageError as exc:
        return f"{exc.line}: {exc.message}"
    finally:
        cm.read_embedded, cm._fast_values = saved


def test_the_generator_reaches_the_c_parser_path():
    seen = []

    @settings(max_examples=100, deadline=None, database=None, derandomize=True,  # the same examples every run
              suppress_health_check=list(HealthCheck))
    @given(manifest())
    def collect(text):
        seen.append(cm.read_embedded(text) is not None)

    collect()
    assert any(seen) and not all(seen)


def test_valid_yaml_the_round_trip_loader_cannot_keep_is_read():
    text = ("kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  deployment.toml: |\n    a = 1\n"
            "note:    # a comment\n        # lines\n  value\n\n")
    with pytest.raises(UsageError, match="round-trip reader cannot keep"):
        cm.read_round_trip(text, "m.yaml")
    assert [(e.name, e.text, e.line) for e in cm.read_embedded(text)] == [("ConfigMap/c", "a = 1\n", 4)]


@pytest.mark.parametrize("text", [
    "kind: ConfigMap\ndata:\n  deployment.toml: |\n    a = 1\n  deployment.toml: |\n    a = 2\n",
    "kind: ConfigMap\nmetadata:\n  name: 0\ndata:\n  deployment.toml: |\n    a = 1\n",
    "a: &x 1\nkind: ConfigMap\ndata:\n  deployment.toml: |\n    a = 1\n",
    "kind: ConfigMap\ndata:\n  deployment.toml: >\n    a = 1\n",
    "kind: ConfigMap\ndata:\n  deployment.toml: |\n    a = 1\n  b: [1,\n2]\n",
])
def test_what_the_round_trip_loader_decides_is_left_to_it(text):
    assert cm.read_embedded(text) is None


def block_body_by_diff(region: list[str], old: str, new: str, pad: str) -> str:
    """_block_body as it was: always through the line diff."""
    from difflib import SequenceMatcher

    old_lines, new_lines = old.rstrip("\n").split("\n"), new.rstrip("\n").split("\n")
    region = [line if line.endswith("\n") else line + "\n" for line in region]
    blank = cm._blank_line_form(region, len(pad))
    render = lambda line: f"{pad}{line}\n" if line else blank  # noqa: E731
    if len(region) != len(old_lines):
        return "".join(render(line) for line in new_lines)
    out = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        out.extend(region[i1:i2] if op == "equal" else [render(line) for line in new_lines[j1:j2]])
    return "".join(out)


LINES = ["", "", "x = 1", "[s]", "  y", "z = 2"]


@settings(max_examples=examples(2000), deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=12),
       st.lists(st.sampled_from([*LINES, "w = 3"]), max_size=12),
       st.lists(st.sampled_from(["\n", "  \n", "    \n"]), min_size=12, max_size=12), st.booleans())
@example(["x = 1", "", "", "", "z = 2"], ["x = 1", "", "", "", "z = 3"], ["\n", "\n", "  \n", "  \n"] + ["\n"] * 8,
         False)
@example(["x = 1", "", "z = 2"], ["x = 1", "", "z = 3"], ["\n"] * 12, True)
def test_block_body_is_the_line_diffs(old_lines, new_lines, blank_forms, uniform):
    """Lines kept from the old text keep their raw form; the shortcut (no diff when every old line is written as
    it renders) gives what the diff gives."""
    pad = "    "
    region = [pad + line + "\n" if line else ("\n" if uniform else blank_forms[i]) for i, line in enumerate(old_lines)]
    old, new = "\n".join(old_lines) + "\n", "\n".join(new_lines or ["a"]) + "\n"
    assert cm._block_body(region, old, new, pad) == block_body_by_diff(region, old, new, pad)
