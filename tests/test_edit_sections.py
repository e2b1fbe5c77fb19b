"""Edit mode's writer (formats/toml_sections: tomlkit on only the tables the edits reach, keys new to a simple
table written as text) gives what tomlkit gives on the whole document: the same text, the same report."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from k8s_migrate.errors import UsageError
from k8s_migrate.formats import toml_sections
from k8s_migrate.formats.text import decode
from k8s_migrate.formats.toml import TomlDocument
from k8s_migrate.formats.toml_lines import forget_scans
from k8s_migrate.formats.toml_sections import EditLog, Uncut, edited_text
from k8s_migrate.hub import flatten

from helpers import examples
from toml_strategies import assignment, comment, toml_text

HEADERS = ["[a]", "[a.b]", "[b]", "[[a.c]]", "[a.c.d]", "[[a.c.e]]", "[server]", "[[apim.gateway.environment]]",
           "[apim.gateway.environment.x]", "[apim.cors]", "[a.b.c]", "  [b.c]", "[database.apim_db]"]
NAMES = ["k", "name", "gateway_type", "hostname", "type", "enable", "x", "new_one", "org.wso2.p"]
VALUES = ["v", 1, True, 2.5, ["a", "b"], "a \"q\"", {"t": 1}, [{"i": 1}], "", "x\ny"]


def valid_toml(lines: list[str], draw) -> str:
    """The lines as a document (with one of the endings a file has), when tomllib reads it."""
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))
    try:
        tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        assume(False)
    return text


@st.composite
def split_documents(draw) -> str:
    """Tables reopened after others, arrays of tables with sub-tables, blank and comment lines between them."""
    lines = []
    for _ in range(draw(st.integers(0, 2))):
        lines.append(draw(assignment()))
    for _ in range(draw(st.integers(1, 8))):
        lines += draw(st.lists(st.sampled_from(["", "", draw(comment)]), max_size=2))
        lines.append(draw(st.sampled_from(HEADERS)))
        for _ in range(draw(st.integers(0, 4))):
            lines.append(draw(st.sampled_from([draw(assignment()), "", draw(comment),
                                               f"{draw(st.sampled_from(NAMES[:6]))} = 1"])))
    return valid_toml(lines, draw)


@st.composite
def many_small_tables(draw) -> str:
    """Small tables under a few top-level tables, interleaved (as Helm renders them), some of them nested, reopened
    or arrays of tables: the runs of sections no edit reaches that the outline stands for by one line."""
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["k = 1", "t.z = 2", "# top", "apim.x = 'v'"])))
    for _ in range(draw(st.integers(1, 12))):
        head = draw(st.sampled_from(["t", "u", "apim", "transport"]))
        name = draw(st.sampled_from(["s0", "s1", "s2", "s3", "s4", "s5", "s6", "x"]))
        lines.append(draw(st.sampled_from([f"[{head}.{name}]", f"[{head}.{name}]", f"[{head}.{name}]",
                                           f"[[{head}.{name}]]", f"[{head}]", f"[{head}.{name}.y]", f"[{head}]  # c",
                                           f'[ {head} . "{name}" ]'])))
        lines += draw(st.lists(st.sampled_from(["k = 1", "n = 'v'", "", "# note", "d.e = 3", draw(assignment())]),
                               max_size=3))
    return valid_toml(lines, draw)


def tables_and_leaves(text: str) -> tuple[list[tuple], list[tuple]]:
    data = tomllib.loads(text)
    leaves = list(flatten(data))
    tables = sorted({p[:n] for p in leaves for n in range(1, len(p))} | {()}, key=str)
    return tables, leaves


@st.composite
def edit_logs(draw, text: str) -> EditLog:
    tables, leaves = tables_and_leaves(text)
    log = EditLog()
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["add", "add", "add", "set", "delete", "rename", "move", "new_table"]))
        if kind in ("set", "delete", "rename", "move") and not leaves:
            kind = "add"
        if kind == "add":
            log.set(draw(st.sampled_from(tables)) + (draw(st.sampled_from(NAMES)),), draw(st.sampled_from(VALUES)))
        elif kind == "set":
            log.set(draw(st.sampled_from(leaves)), draw(st.sampled_from(VALUES)))
        elif kind == "delete":
            log.delete(draw(st.sampled_from(leaves)))
        elif kind == "rename":
            old = draw(st.sampled_from(leaves))
            log.rename(old, old[:-1] + (draw(st.sampled_from(NAMES)),))
        elif kind == "move":
            log.rename(draw(st.sampled_from(leaves)), draw(st.sampled_from(tables)) + (draw(st.sampled_from(NAMES)),))
        else:
            log.set(draw(st.sampled_from(tables)) + ("fresh", draw(st.sampled_from(NAMES))), "v")
    return log


def outcome(write):
    try:
        return write()
    except UsageError as exc:
        return ("error", exc.message)
    except Exception as exc:  # noqa: BLE001  tomlkit's own, for a shape it refuses: the same either way
        return ("error", type(exc).__name__, str(exc))


def whole_document(text: str, log: EditLog):
    source = decode(text.encode(), "t.toml")
    doc = TomlDocument(source, "t.toml")
    log.replay(doc)
    return doc.dumps(), doc.edited


def assert_same_as_the_whole_document(text: str, log: EditLog) -> None:
    try:
        whole = outcome(lambda: whole_document(text, log))
    except UsageError:  # tomlkit cannot hold the file
        return
    assert outcome(lambda: edited_text(decode(text.encode(), "t.toml"), "t.toml", log)) == whole


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(split_documents(), toml_text()), st.data())
def test_the_sections_writer_gives_the_whole_documents_text(text, data):
    assert_same_as_the_whole_document(text, data.draw(edit_logs(text)))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.filter_too_much])
@given(many_small_tables(), st.data())
def test_runs_of_sections_no_edit_reaches_give_the_whole_documents_text(text, data):
    assert_same_as_the_whole_document(text, data.draw(edit_logs(text)))


def test_a_run_of_small_tables_is_one_line_of_the_outline():
    text = "".join(f"[apim.s{i}]\nk = {i}\n[transport.s{i}]\nk = {i}\n" for i in range(50)) + "[server]\nx = 1\n"
    log = EditLog([("set", ("server", "y"), 2), ("set", ("server", "x"), 3)])
    written, _, kept, _, _ = toml_sections.outline(text, log)
    assert written.count("\n[") == 1 and len(kept) == 1 and "[server]\nx = 1\n" in written
    assert edited_text(decode(text.encode(), "t"), "t", log)[0] == whole_document(text, log)[0]


@pytest.mark.parametrize(("text", "edits"), [
    ("[[e]]\nname = 'a'\n\n[[e]]\nname = 'b' # c\n# below\n\n[x]\ny = 1\n",
     [("set", ("e", 0, "gateway_type"), "Regular"), ("set", ("e", 1, "gateway_type"), "Regular")]),
    ("[a]\nk = 1\n[b]\nq = 2\n[a.s]\nz = 3\n", [("rename", ("a", "k"), ("b", "k2")), ("delete", ("a", "s", "z"), None)]),
    ("[a.x]\nk = 1\n[b.x]\nq = 2\n[a.y]\nz = 3\n", [("set", ("a", "y", "n"), 1), ("set", ("a", "w"), "v")]),
    ("[a]\nb.c = 1\n[a.b.d]\ne = 2\n", [("set", ("a", "b", "d", "f"), 3)]),
    ("[[server]]\n[[hostname]]\n[[server]]\nserver = ''\n", [("set", ("server", 1, "k"), "v")]),  # written in order
    ("[[s]]\nx = 1\n[s.t]\ny = 1\n[[s]]\nz = ''\n", [("set", ("s", 0, "k"), "v")]),  # an item holding a table
])
def test_the_sections_writer_on_shapes_it_cuts(text, edits):
    assert_same_as_the_whole_document(text, EditLog(list(edits)))


def test_a_value_the_scan_may_misread_parses_the_whole_file(monkeypatch):
    text = 'a = """x\n[b]\n"""\n[c]\nk = 1\n'
    assert toml_sections.sections(text)[-1].path == ("c",)
    with pytest.raises(Uncut):
        toml_sections.sections('a = "x\u2028[b]"\n[c]\nk = 1\n')
    assert_same_as_the_whole_document(text, EditLog([("set", ("c", "n"), 1)]))


def test_untouched_bodies_are_not_parsed(monkeypatch):
    parsed = []
    real = toml_sections.parse_reopened_linearly
    monkeypatch.setattr(toml_sections, "parse_reopened_linearly", lambda text: parsed.append(text) or real(text))
    text = "[a]\n" + "".join(f"k{i} = {i}\n" for i in range(50)) + "\n[[b]]\nq = 1\n[[b]]\nq = 2\n[c]\nx = 1\n"
    out, edited = edited_text(decode(text.encode(), "t"), "t", EditLog([("set", ("b", 1, "n"), 1),
                                                                         ("delete", ("c", "x"), None)]))
    assert edited and out == whole_document(text, EditLog([("set", ("b", 1, "n"), 1), ("delete", ("c", "x"), None)]))[0]
    assert "k49" not in parsed[0] and "q = 2" not in parsed[0] and "x = 1" in parsed[0]


# ---- the whole migration: the report and the output, with the sections writer and without ------------------
def migrate(text: str, cut: bool, monkeypatch):
    from k8s_migrate.migrate.toml import Options, migrate_toml

    if not cut:
        monkeypatch.setattr(toml_sections, "sections", lambda text: (_ for _ in ()).throw(Uncut("off")))
    try:
        result = migrate_toml(text.encode(), "t.toml", Options(from_version="4.2", to_version="4.6", mode="edit"))
    except Exception as exc:  # noqa: BLE001  the same failure either way
        return ("error", type(exc).__name__, str(exc))
    finally:
        monkeypatch.undo()
        forget_scans()
    return result.output, [repr(e) for e in result.report.entries], result.report.changed


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
@given(st.one_of(split_documents(), toml_text()))
def test_edit_mode_reports_and_writes_the_same_with_the_sections_writer(monkeypatch, text):
    assert migrate(text, True, monkeypatch) == migrate(text, False, monkeypatch)
