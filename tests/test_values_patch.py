"""The patched values writer (formats.values_layout) against ruamel's round-trip writer: the same bytes."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from k8s_migrate.formats.text import decode
from k8s_migrate.formats.values import ValuesDocument
from k8s_migrate.formats.values_layout import read_layout

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

SCALARS = ["x", "gw-1", "https://a.example.com:9443/x", '"quoted"', "'single'", "1", "0", "-3", "1.50", "true",
           "false", "", "[]", "{}", '["a", "b"]', "[a,b]", '"back\\\\slash"', "Some words here", "$ref{a.b}",
           "a#b", "50%", "x: y"[:1] + "{z}"]
NEW_VALUES = ["y", "", "true", "1", "with space", "a: b", "#hash", "x" * 30, 7, 0, -2, 2.5, True, False, None,
              {"n": 1}, {"m": {"k": "v"}}, [], ["a", "b"], [{"name": "x", "t": 1}], {}]
COMMENTS = ["", "  # eol", "   # long eol comment"]


def _scalar_line(rng: random.Random, indent: str, key: str) -> str:
    value = rng.choice(SCALARS)
    line = f"{indent}{key}:{' ' + value if value else ''}"
    return line + (rng.choice(COMMENTS) if rng.random() < 0.2 else "")


def _between(rng: random.Random, indent: str) -> list[str]:
    roll = rng.random()
    if roll < 0.1:
        return [""]
    if roll < 0.2:
        return [f"{indent}# about the next key"]
    if roll < 0.25:
        return ["", f"{rng.choice(['', indent])}# a section", ""]
    return []


def _map_lines(rng: random.Random, column: int, depth: int, step: int, dash: str | None = None) -> list[str]:
    lines: list[str] = []
    for i in range(rng.randint(1, 4)):
        key = f"k{depth}{i}" if rng.random() < 0.8 else rng.choice(["name", "type", "enabled", "nodeSelector"]) + str(i)
        indent = " " * column
        if dash is not None and i == 0:
            indent = dash
        lines += _between(rng, " " * column) if i else []
        roll = rng.random()
        if depth < 3 and roll < 0.3:
            lines.append(f"{indent}{key}:")
            lines += _map_lines(rng, column + step, depth + 1, step)
        elif depth < 3 and roll < 0.4:
            lines.append(f"{indent}{key}:")
            offset = rng.choice([0, step])
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.5:
                    lines.append(f"{' ' * (column + offset)}- {rng.choice(SCALARS[:9])}")
                else:
                    lines += _map_lines(rng, column + offset + 2, depth + 1, step, dash=" " * (column + offset) + "- ")
                if rng.random() < 0.2:
                    lines.append(" " * rng.choice([0, column, column + offset + 2]) + "# after an item")
        else:
            lines.append(_scalar_line(rng, indent, key))
    if rng.random() < 0.15:
        lines += ["", " " * rng.choice([0, column]) + "# after a map"]
    return lines


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,), value
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield prefix + (i,), value
            yield from _paths(value, prefix + (i,))


def _edits(rng: random.Random, data: dict) -> list[tuple]:
    paths = list(_paths(data))
    maps = [()] + [p for p, v in paths if isinstance(v, dict)]
    leaves = [p for p, v in paths if not isinstance(v, (dict, list)) and isinstance(p[-1], str)]
    edits = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.45 and leaves:
            edits.append(("set", rng.choice(leaves), rng.choice(NEW_VALUES)))
        elif roll < 0.9:
            where = rng.choice(maps)
            tail = ("new", "deeper") if rng.random() < 0.2 else (f"added{rng.randint(0, 3)}",)
            edits.append(("set", where + tail, rng.choice(NEW_VALUES)))
        elif leaves:
            edits.append(("delete", rng.choice(leaves), None))
    return edits


def _dump(text: str, edits: list[tuple], patchable: bool) -> tuple[str, bool]:
    doc = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml", patchable=patchable)
    for kind, path, value in edits:
        if kind == "set":
            doc.set(path, value)
        else:
            doc.delete(path)
    out = doc.dumps()
    return out, doc.layout is not None


def test_patched_text_is_the_round_trip_writers():
    """Generated files in the plain layout with random edits: the patch writes what the round trip writes,
    and most of them are patched (not handed to the round trip)."""
    rng = random.Random(18)
    patched = 0
    runs = 400 if os.environ.get("K8S_MIGRATE_LONG") else 150
    for _ in range(runs):
        text = "\n".join(_map_lines(rng, 0, 0, rng.choice([2, 4]))) + "\n"
        layout = read_layout(text)
        if layout is None:
            continue
        edits = _edits(rng, layout.data)
        expected, _ = _dump(text, edits, patchable=False)
        got, was_patched = _dump(text, edits, patchable=True)
        assert got == expected, f"{text}\n{edits}"
        patched += was_patched
    assert patched > runs / 3


def _strict_then_read(text: str):
    """read_layout as it was: the strict check over the whole text first, then the reader."""
    from ruamel.yaml.main import CParser

    from k8s_migrate.formats import values_layout
    from k8s_migrate.formats.strict_yaml import check_with_c_scanner

    try:
        check_with_c_scanner(text, CParser)
        return values_layout._Reader(CParser(text), text).document()
    except Exception:
        return None


LEXICAL_TROUBLE = ['bad: "x"#c', "bad: 'x'#c", "fl: [a, b]#c", "fl: [a,#b]", "fl: [#a]", "fl: []#c", "fl: {}#c",
                   "fl: [a, - b]", "fl: [-]", "fl: [a, -b]", "url: http://x/#/y", "col: #fff", "k: a#b",
                   "k: 'x' # fine", "k: 1\rj: \"x\"#c", "- #", "deep:"]


def test_the_strict_check_runs_where_it_can_refuse_what_the_reader_takes():
    """read_layout checks only the files its reader marks as doubtful, and says what checking every file said."""
    rng = random.Random(31)
    texts = []
    for _ in range(300):
        lines = _map_lines(rng, 0, 0, rng.choice([2, 4]))
        for _ in range(rng.randint(0, 2)):
            trouble = rng.choice(LEXICAL_TROUBLE)
            if trouble == "deep:":
                trouble = "\n".join("  " * i + f"d{i}:" for i in range(rng.choice([40, 60, 99, 101]))) + " 1"
            lines.insert(rng.randint(0, len(lines)), trouble)
        texts.append("\n".join(lines) + "\n")
    for text in texts:
        expected = _strict_then_read(text)
        got = read_layout(text)
        assert (got is None) == (expected is None), text
        if got is not None:
            assert got.data == expected.data, text


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",  # anchors
    "a: |\n  text\n",  # block scalars
    "a: 1\na: 2\n",  # duplicate keys
    "a: null\n",  # a null the round trip writes otherwise
    "a: True\n",
    "---\na: 1\n",
    "a: !!str 1\n",
    "a:\n  b: 1",  # no final line break
    "a: [1,\n  2]\n",  # a flow collection over lines
    "a: \"tab\\tescape\"\n",
    "a:\n- - 1\n",  # a sequence in a sequence
    "a: 2001-12-14\n",  # a timestamp
    "1: x\n",  # a key that is not a string
])
def test_outside_the_plain_layout_takes_the_round_trip(text):
    assert read_layout(text) is None
    doc = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml", patchable=True)
    assert doc.layout is None


def test_an_edit_the_patch_cannot_write_is_replayed_on_the_round_trip():
    text = "a:\n  b: 1  # one\n  c: 2\nd: 3\n"
    doc = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml", patchable=True)
    doc.set(("a", "b"), 5)
    doc.set(("d",), {"e": 1})  # a scalar replaced by a map
    assert doc.layout is not None
    out = doc.dumps()
    assert doc.layout is None
    assert out == "a:\n  b: 5  # one\n  c: 2\nd:\n  e: 1\n"
    doc = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml", patchable=True)
    assert doc.rename_in_place(("a", "c"), "cc")
    assert doc.layout is None and doc.dumps() == "a:\n  b: 1  # one\n  cc: 2\nd: 3\n"


def test_keys_added_go_where_the_round_trip_puts_them():
    text = "a:\n  b: 1\n\n  # about c\nc:\n  d:\n# about e\ne: []\n"
    doc = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml", patchable=True)
    doc.set(("a", "x"), "after the comment")  # a value's trailing comments stay with it
    doc.set(("c", "y"), True)  # an empty value's do not
    doc.set(("z",), 1)
    assert doc.dumps() == ("a:\n  b: 1\n\n  # about c\n  x: after the comment\nc:\n  d:\n  y: true\n"
                           "# about e\ne: []\nz: 1\n")
    assert doc.layout is not None


def test_leaves_and_lines_as_the_round_trip_reads_them():
    text = "a:\n  b: 1  # one\n  l:\n  - n: x\n    m: \"q\"\n  - n: y\nc: [\"p\", r]\nd: {}\ne:\n"
    fast = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml", patchable=True)
    slow = ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml")
    assert fast.layout is not None
    assert fast.leaves() == slow.leaves()


def _values_files() -> list[tuple[Path, str, str, bool]]:
    """(file, chart, new chart, whether the file is in the plain layout)."""
    cases = []
    for version, newer in (("4.2.x", "4.6.x"), ("4.3.x", "4.6.x"), ("4.5.x", "4.7.x")):
        cases.append((REFERENCE / "helm-apim" / version / "all-in-one" / "values.yaml",
                      f"helm-apim/all-in-one@{version}", f"helm-apim/all-in-one@{newer}", True))
    cases.append((REFERENCE / "real-world" / "thomas-460-gw-values" / "apim-gw-values.yaml",
                  "helm-apim/gateway@4.6.x", "helm-apim/gateway@4.7.x", False))
    return [c for c in cases if c[0].is_file()]


@pytest.mark.parametrize("path,chart,to_chart,plain", _values_files(), ids=lambda v: str(v)[-40:])
def test_migrations_of_reference_files_are_byte_identical_to_the_round_trip(path, chart, to_chart, plain,
                                                                           monkeypatch):
    from k8s_migrate.formats import values_layout
    from k8s_migrate.migrate.values import ValuesOptions, migrate_values

    data = path.read_bytes()
    options = ValuesOptions(chart=chart, to_chart=to_chart)
    assert (read_layout(decode(data, "v").text) is not None) == plain
    fast = migrate_values(data, "values.yaml", options)
    monkeypatch.setattr(values_layout, "read_layout", lambda text: None)
    slow = migrate_values(data, "values.yaml", options)
    assert fast.output == slow.output
    assert fast.report.entries == slow.report.entries


def test_crlf_and_bom_files_are_patched_as_the_round_trip_writes_them(monkeypatch):
    from k8s_migrate.formats import values_layout
    from k8s_migrate.migrate.values import ValuesOptions, migrate_values

    text = "\ufeffwso2:\r\n  deployment:\r\n    image:\r\n      tag: \"4.2.0\"  # pinned\r\n"
    data = text.encode()
    options = ValuesOptions(chart="helm-apim/all-in-one@4.2.x", to_chart="helm-apim/all-in-one@4.6.x")
    patched = []
    patch = values_layout.patch
    monkeypatch.setattr(values_layout, "patch", lambda *args: patched.append(patch(*args)) or patched[-1])
    fast = migrate_values(data, "values.yaml", options)
    monkeypatch.setattr(values_layout, "read_layout", lambda text: None)
    slow = migrate_values(data, "values.yaml", options)
    assert len(patched) == 1 and patched[0] is not None
    assert fast.output == slow.output and fast.output.startswith("\ufeff") and "\r\n" in fast.output
