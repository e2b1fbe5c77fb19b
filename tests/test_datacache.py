"""The data a run builds before reading its input, kept between runs (k8s_migrate/datacache.py)."""

from __future__ import annotations

import json
import os
import pickle
import sys
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8s_migrate import data, datacache
from k8s_migrate.catalog import REST, Catalog, KeyLookups, KnownKeys, load_catalog
from k8s_migrate.hub import flatten, parse_key, stripped_keys
from k8s_migrate.rules.load import load_packs, read_packs


@pytest.fixture()
def mappings(tmp_path, monkeypatch):
    """A data folder of two files and a cache folder, both temporary."""
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "a.json").write_text('{"a": 1}')
    (folder / "b.json").write_text('{"b": 2}')
    monkeypatch.setattr(data, "mappings_root", lambda: str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return folder


def counting_build(value):
    calls = []

    def build():
        calls.append(1)
        return {"built": value, "n": len(calls)}

    return build, calls


def test_a_second_run_reads_what_the_first_built(mappings):
    build, calls = counting_build("x")
    first = datacache.kept("thing", ["a.json"], ["k8s_migrate.datacache"], build)
    second = datacache.kept("thing", ["a.json"], ["k8s_migrate.datacache"], build)
    assert first == second == {"built": "x", "n": 1}
    assert len(calls) == 1
    assert len(os.listdir(datacache.cache_dir())) == 1


def test_an_edited_data_file_is_built_again_and_replaces_the_old_entry(mappings):
    build, calls = counting_build("x")
    datacache.kept("thing", ["a.json", "b.json"], [], build)
    (mappings / "b.json").write_text('{"b": 3}')
    assert datacache.kept("thing", ["a.json", "b.json"], [], build)["n"] == 2
    assert datacache.kept("thing", ["a.json", "b.json"], [], build)["n"] == 2
    entries = [n for n in os.listdir(datacache.cache_dir()) if n.endswith(".pickle")]
    assert len(entries) == 1 and entries[0].startswith("thing-")


def test_edited_code_is_built_again(mappings, tmp_path, monkeypatch):
    source = tmp_path / "builder.py"
    source.write_text("x = 1\n")
    monkeypatch.setitem(sys.modules, "fake_builder", types.SimpleNamespace(__file__=str(source)))
    build, calls = counting_build("x")
    datacache.kept("thing", ["a.json"], ["fake_builder"], build)
    source.write_text("x = 22\n")
    datacache.kept("thing", ["a.json"], ["fake_builder"], build)
    assert len(calls) == 2


def test_a_missing_data_file_builds_without_an_entry(mappings):
    build, calls = counting_build("x")
    datacache.kept("thing", ["absent.json"], [], build)
    datacache.kept("thing", ["absent.json"], [], build)
    assert len(calls) == 2
    assert not os.path.exists(datacache.cache_dir())


def test_a_cut_short_entry_is_built_again(mappings):
    build, calls = counting_build("x")
    datacache.kept("thing", ["a.json"], [], build)
    folder = datacache.cache_dir()
    (entry,) = os.listdir(folder)
    with open(os.path.join(folder, entry), "r+b") as fh:
        fh.truncate(5)
    assert datacache.kept("thing", ["a.json"], [], build) == {"built": "x", "n": 2}


def test_a_folder_others_may_write_is_never_read(mappings):
    build, calls = counting_build("x")
    datacache.kept("thing", ["a.json"], [], build)
    os.chmod(datacache.cache_dir(), 0o777)
    datacache.kept("thing", ["a.json"], [], build)
    assert len(calls) == 2


def test_no_cache_folder_builds_every_time(mappings, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr("os.path.expanduser", lambda path: path)  # as it answers with no HOME and no passwd entry
    build, calls = counting_build("x")
    datacache.kept("thing", ["a.json"], [], build)
    datacache.kept("thing", ["a.json"], [], build)
    assert len(calls) == 2


def test_a_kept_catalog_and_rule_packs_equal_the_built_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = []
    from_data = Catalog.from_data
    monkeypatch.setattr(Catalog, "from_data", classmethod(lambda cls, *a: built.append(1) or from_data(*a)))
    try:
        for _ in range(2):  # the first builds and keeps; the second reads the entry
            load_catalog.cache_clear()
            load_packs.cache_clear()
            catalog, packs = load_catalog("4.6"), load_packs()
        assert built == [1]
        monkeypatch.undo()
        assert not REST & set(vars(catalog))  # read on first use
        assert catalog.free_form_paths == KnownKeys.from_catalog_data(data.load_json("catalog/4.6.0.json")).free_form
        assert not REST & set(vars(catalog))  # kept with the catalog itself
        assert catalog == Catalog.from_data(data.load_json("catalog/4.6.0.json"))
        assert set(vars(catalog)) >= REST
        assert "alias_table" in vars(catalog)  # kept with it, not parsed again
        fresh = Catalog.from_data(data.load_json("catalog/4.6.0.json"))
        assert catalog.alias_table == fresh.alias_table != {}
        assert {"_stock_key_shapes", "_patterns_by_shape"} <= {*vars(catalog), *vars(catalog.known)}
        for name in (None, *catalog.profiles):
            stock = catalog.profiles[name] if name else catalog.stock
            assert catalog.stock_key_shapes(name) == fresh.stock_key_shapes(name) == stripped_keys(flatten(stock))
        assert len(catalog.profiles) > 1 and catalog.known._patterns_by_shape == fresh.known._patterns_by_shape
        assert packs == read_packs(data.mappings_dir() / "apim")
        names = sorted(n.split("-")[1] for n in os.listdir(tmp_path / "cache" / "k8s-migrate" / "data"))
        assert names == ["4.6.0", "known", "packs", "rest"]
    finally:
        load_catalog.cache_clear()
        load_packs.cache_clear()


def test_a_kept_catalogs_rest_is_built_again_when_its_entry_is_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fresh = Catalog.from_data(data.load_json("catalog/4.2.0.json"))
    try:
        load_catalog.cache_clear()
        load_catalog("4.2")
        folder = tmp_path / "cache" / "k8s-migrate" / "data"
        for name in os.listdir(folder):
            if name.startswith(("catalog-rest-", "catalog-known-")):
                os.remove(folder / name)
        load_catalog.cache_clear()
        catalog = load_catalog("4.2")
        assert not REST & set(vars(catalog))
        assert catalog.default("apim.cache.gateway_token.enable") == fresh.default("apim.cache.gateway_token.enable")
        assert catalog == fresh and catalog.alias_table == fresh.alias_table
        assert catalog.is_known("apim.cache.gateway_token.enable")
        assert {name.split("-")[1] for name in os.listdir(folder)} == {"4.2.0", "rest", "known"}  # kept again
    finally:
        load_catalog.cache_clear()


def test_a_catalog_not_kept_pickles_whole():
    catalog = Catalog.from_data(data.load_json("catalog/4.2.0.json"))
    catalog.alias_table  # noqa: B018
    copied = pickle.loads(pickle.dumps(catalog))
    assert vars(copied) == vars(catalog) and "alias_table" in vars(copied)


def test_a_file_still_settling_is_named_by_its_bytes(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"a": 1}')
    before = os.stat(path)
    first = datacache.file_identity(str(path))
    path.write_text('{"a": 2}')  # same size, and the same times as far as a coarse clock tells
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert datacache.file_identity(str(path)) != first


def test_a_settled_file_is_named_by_its_stat_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    path.write_text('{"a": 1}')
    monkeypatch.setattr(datacache, "SETTLED", -1.0)
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("read a settled file"))
    identity = datacache.file_identity(str(path))
    path.write_text('{"a": 22}')
    assert datacache.file_identity(str(path)) != identity


def test_one_string_each_keeps_the_data_and_shares_its_strings():
    data = {"a": ["x" * 3, {"b": "xxx", "x" * 3: 1}], "c": [True, None, 1.5, "".join(["x", "x", "x"])]}
    shared = datacache.one_string_each(data)
    assert shared == data
    texts = [shared["a"][0], shared["a"][1]["b"], next(iter(k for k in shared["a"][1] if k != "b")), shared["c"][3]]
    assert len({id(t) for t in texts}) == 1


def test_equal_ones_shared_keeps_what_the_structure_says_and_shares_equal_strings_and_tuples():
    from k8s_migrate.charts.chartmap import ChartLink

    link = ChartLink(values="a.b", toml="x.y", kind="direct")
    twice = ("".join(["p", "q"]), 1)
    data = {"links": [link, link], "paths": [("".join(["a", "b"]), 0), ("ab", 0)], "twice": [twice, twice],
            "tree": ({"".join(["k", "e", "y"]): [twice]}, (), ()), "tags": frozenset({"key", "".join(["ke", "y"])}),
            "key": None, "n": 1.5}
    before = pickle.loads(pickle.dumps(data))
    shared = datacache.equal_ones_shared(data)
    assert shared == before and pickle.loads(pickle.dumps(shared, -1)) == before
    assert shared["links"][0] is shared["links"][1] is link
    assert shared["paths"][0] is shared["paths"][1]  # equal tuples: one
    assert shared["twice"][0] is shared["twice"][1] is shared["tree"][0]["key"][0]
    keys = [next(iter(shared["tree"][0])), next(k for k in shared if k == "key"), next(iter(shared["tags"]))]
    assert len({id(k) for k in keys}) == 1  # one string of that text


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=4), max_leaves=20))
def test_equal_ones_shared_changes_no_value(value):
    before = pickle.loads(pickle.dumps(value))
    assert datacache.equal_ones_shared(value) == before


PROBES = ["apim.cache.tags.enable", "apim.cache.gateway_token", "apim.cache", "apim.cach.gateway_token.enable",
          "database.apim_db", "database.apim_db.pool_options.maxActiv", "server.hostnam", "apim.gateway.environment",
          "apim.gateway.environment[0].nam", "system.parameter.anything", "tenant_mgt.enable_email_domain",
          "transport.https.properties.proxyPort", "no.such.table.key", "apim.key_manager.enable_lightweight_token"]


def test_known_key_lookups_read_from_the_cache_are_those_built(tmp_path, monkeypatch):
    """A catalog's known-key lookups (tables above keys, did-you-mean indexes) are kept between runs: the kept ones
    equal a fresh build, and every answer is the same."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builds = []
    build = KeyLookups.build
    monkeypatch.setattr(KeyLookups, "build", classmethod(lambda cls, known: builds.append(1) or build(known)))
    try:
        for version in ("4.2.0", "4.6.0"):
            fresh = KnownKeys.from_catalog_data(data.load_json(f"catalog/{version}.json"))
            for _ in range(2):  # the first run builds and keeps; the second reads the entry
                load_catalog.cache_clear()
                kept = load_catalog(version).known
                answers = [(kept.is_known(parse_key(p)), kept.suggest(parse_key(p))) for p in PROBES]
            assert len(builds) == 1
            assert kept._key_lookups == build(fresh)
            assert answers == [(fresh.is_known(parse_key(p)), fresh.suggest(parse_key(p))) for p in PROBES]
            assert any(hint for _, hint in answers) and not all(known for known, _ in answers)
            builds.clear()
        names = {n.rsplit("-", 2)[0] for n in os.listdir(tmp_path / "cache" / "k8s-migrate" / "data")}
        assert names == {"catalog-4.2.0", "catalog-4.6.0", "catalog-rest-4.2.0", "catalog-rest-4.6.0",
                         "catalog-known-4.2.0", "catalog-known-4.6.0",
                         "known-keys-catalog-4.2.0.json", "known-keys-catalog-4.6.0.json"}
    finally:
        load_catalog.cache_clear()


def test_an_edited_catalog_builds_its_known_key_lookups_again(tmp_path, monkeypatch):
    folder = tmp_path / "mappings" / "catalog"
    folder.mkdir(parents=True)
    for name in ("index.json", "4.6.0.json"):
        (folder / name).write_bytes((data.mappings_dir() / "catalog" / name).read_bytes())
    monkeypatch.setattr(data, "mappings_root", lambda: str(tmp_path / "mappings"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table, typo = parse_key("zz_new.table"), parse_key("zz_new.table.enabel")
    try:
        data.load_json.cache_clear()
        load_catalog.cache_clear()
        known = load_catalog("4.6.0").known
        assert (known.is_known(table), known.suggest(typo)) == (False, None)
        catalog = json.loads((folder / "4.6.0.json").read_text())
        catalog["defaults"]["zz_new.table.enable"] = True
        (folder / "4.6.0.json").write_text(json.dumps(catalog))
        data.load_json.cache_clear()
        load_catalog.cache_clear()
        known = load_catalog("4.6.0").known
        assert (known.is_known(table), known.suggest(typo)) == (True, "zz_new.table.enable")
    finally:
        data.load_json.cache_clear()
        load_catalog.cache_clear()


def test_the_baseline_document_is_built_again_when_the_toml_reading_code_changes(tmp_path, monkeypatch):
    """The kept baseline parse is named by the code that reads TOML, formats/toml_lines (the tomllib reading and the
    line scan, apart from the document since verify reads data only) as well as formats/toml."""
    from k8s_migrate.formats import toml_lines
    from k8s_migrate.migrate import toml as migrate_toml

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "toml_lines.py"
    source.write_text("x = 1\n")
    monkeypatch.setitem(sys.modules, "k8s_migrate.formats.toml_lines",
                        types.SimpleNamespace(**{**vars(toml_lines), "__file__": str(source)}))
    built = []
    dumps = datacache.dumps
    monkeypatch.setattr(datacache, "dumps", lambda value, *a: built.append(type(value).__name__) or dumps(value, *a))
    try:
        for text in ("x = 1\n", None, "x = 22\n"):
            if text is not None:
                source.write_text(text)
            migrate_toml._parsed_baseline.cache_clear()
            migrate_toml._parsed_baseline("4.6.0", None)
        assert built.count("TOMLDocument") == 2  # the first run and the edited code's; the second run read it
    finally:
        migrate_toml._parsed_baseline.cache_clear()


JSON_TEXTS = ['{"a": [1, -2.5e3, true, false, null, "\\u00e9\\n"]}', " \n[]\t", '"x"', "3", "NaN",
              "[-Infinity, Infinity]", '{"a": 1, "a": 2}', "1.0000000000000000001", "12345678901234567890123"]
BAD_JSON = ["", "  ", "{", '{"a": 1} x', "[1,]", "\ufeff{}", '{"a": "\x01"}', "nul", "[1] [2]"]


def test_parse_json_reads_as_json_loads_and_fails_as_it_does():
    """data.parse_json reads with json's own C scanner, without importing json: every shipped JSON file and the odd
    text give what json.loads gives, a bad text the error json.loads raises."""
    from k8s_migrate.clispec import FAST_SPEC, SPEC

    files = [*sorted(data.mappings_dir().rglob("*.json")), SPEC, FAST_SPEC]
    assert len(files) > 20
    for path in files:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        assert data.parse_json(text) == json.loads(text), path
    for text in JSON_TEXTS:
        assert repr(data.parse_json(text)) == repr(json.loads(text)), text
    for text in BAD_JSON:
        with pytest.raises(json.JSONDecodeError) as ours:
            data.parse_json(text)
        with pytest.raises(json.JSONDecodeError) as theirs:
            json.loads(text)
        assert str(ours.value) == str(theirs.value), text


def test_the_no_answers_texts_are_what_json_writes():
    """The stock file's run through the rules is keyed by the answers as JSON text: the answers of a run with none
    are written out without json, the same text."""
    from k8s_migrate.answers import Answers
    from k8s_migrate.carryover import NO_ANSWERS

    assert Answers().context() in NO_ANSWERS.values()
    for text, answers in NO_ANSWERS.items():
        assert text == json.dumps(answers, sort_keys=True, default=str)
