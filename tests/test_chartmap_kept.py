"""ChartMap keeps the links that match each path shape: asked again (or for another item of the same list), it
answers as the first time, each caller gets its own list, and past TRANSLATIONS_KEPT shapes it starts again and
still answers the same."""

from __future__ import annotations

import json
import pickle

from k8s_migrate import data
from k8s_migrate.charts import chartmap, effective, render_cache
from k8s_migrate.charts.builtin import builtin_ids
from k8s_migrate.charts.chartmap import load_chart_map
from k8s_migrate.charts.gotemplate import execute
from k8s_migrate.charts.gotemplate import parse as gotemplate_parse
from k8s_migrate.data import mappings_dir


def _answers(chart_map, keys):
    return [[(t, id(link)) for t, link in chart_map.toml_to_values(k)] for k in keys] + \
        [[(t, id(link)) for t, link in chart_map.values_to_toml(t)] for k in keys for t, _ in
         chart_map.toml_to_values(k)]


def test_a_kept_translation_is_the_one_made_afresh(monkeypatch):
    chart_map = load_chart_map("helm-apim/all-in-one@4.6.x")
    keys = sorted({link.toml for link in chart_map.links if link.toml})[:200]
    keys += [f"apim.gateway.environment[{i}].name" for i in range(3)]
    chart_map.__dict__.pop("_link_indexes", None)
    first = _answers(chart_map, keys)
    assert any(first)
    assert _answers(chart_map, keys) == first
    monkeypatch.setattr(chartmap, "TRANSLATIONS_KEPT", 7)
    chart_map.__dict__.pop("_link_indexes", None)
    assert _answers(chart_map, keys) == first
    assert all(len(index.by_shape) <= 7 for index in chart_map.__dict__["_link_indexes"][1].values())


def test_each_caller_gets_its_own_list():
    chart_map = load_chart_map("helm-apim/all-in-one@4.6.x")
    key = next(link.toml for link in chart_map.links if link.toml)
    answer = chart_map.toml_to_values(key)
    answer.clear()
    assert chart_map.toml_to_values(key)


# ---- a built-in map kept between runs (datacache), with its indexes ---------------------------------------------

def _all_answers(chart_map):
    texts = sorted({link.values for link in chart_map.links} | {link.toml for link in chart_map.links if link.toml})
    return ([[(t, link) for t, link in chart_map.values_to_toml(x)] for x in texts],
            [[(t, link) for t, link in chart_map.toml_to_values(x)] for x in texts],
            chart_map.defaults_tree(), chart_map.default_parents())


def test_a_kept_map_comes_with_its_indexes_and_answers_as_its_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    name = builtin_ids()["helm-apim/all-in-one@4.6.x"]
    fresh = _all_answers(chartmap.read_builtin_map(name))
    shapes = [chartmap.link_shape(link) for link in chartmap.read_builtin_map(name).links]
    reads = []
    read = chartmap.read_builtin_map
    monkeypatch.setattr(chartmap, "read_builtin_map", lambda f: reads.append(f) or read(f))
    try:
        for _ in range(2):  # the first run builds and keeps; the second reads the entry
            chartmap.builtin_map.cache_clear()
            kept = chartmap.builtin_map(name)
        assert reads == [name]
        assert kept == read(name)

        def built_again(*args):
            raise AssertionError("an index kept with the map was built again")

        monkeypatch.setattr(chartmap.LinkIndex, "build", built_again)
        monkeypatch.setattr(chartmap, "unflatten", built_again)
        monkeypatch.setattr(chartmap.re, "finditer", built_again)
        monkeypatch.setattr(chartmap, "_shape_or_none", built_again)
        assert _all_answers(kept) == fresh and any(fresh[0]) and any(fresh[1])
        assert kept.link_shapes() == shapes and any(shape[2] for shape in shapes)  # some renders a whole list
    finally:
        chartmap.builtin_map.cache_clear()


def test_a_kept_map_keeps_no_index_of_links_or_defaults_it_no_longer_has():
    chart_map = chartmap.indexed(chartmap.read_builtin_map(builtin_ids()["helm-apim/all-in-one@4.6.x"]))
    dropped = chart_map.links[-1]
    assert chart_map.values_to_toml(dropped.values)
    chart_map.links = [link for link in chart_map.links if link.values != dropped.values]
    chart_map.defaults = {"a.b": 1}
    back = pickle.loads(pickle.dumps(chart_map))
    assert back.values_to_toml(dropped.values) == []
    assert back.link_shapes() == [chartmap.link_shape(link) for link in back.links]
    assert (back.defaults_tree(), back.default_parents()) == ({"a": {"b": 1}}, frozenset({"a"}))


def test_an_edited_map_file_is_read_again(tmp_path, monkeypatch):
    name = builtin_ids()["helm-apim/all-in-one@4.6.x"]
    (tmp_path / "mappings" / "charts" / name).parent.mkdir(parents=True)
    target = tmp_path / "mappings" / "charts" / name
    target.write_bytes((mappings_dir() / "charts" / name).read_bytes())
    monkeypatch.setattr(data, "mappings_root", lambda: str(tmp_path / "mappings"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    try:
        chartmap.builtin_map.cache_clear()
        link = chartmap.builtin_map(name).links[0]
        assert chartmap.builtin_map(name).values_to_toml(link.values)
        edited = json.loads(target.read_text())
        edited["links"] = [entry for entry in edited["links"] if entry["values"] != link.values]
        target.write_text(json.dumps(edited))
        chartmap.builtin_map.cache_clear()
        assert chartmap.builtin_map(name).values_to_toml(link.values) == []
    finally:
        chartmap.builtin_map.cache_clear()


# ---- the parses of a built-in map's guards, kept between runs -------------------------------------------------

def _fresh_guard_state(monkeypatch):
    """As a new process: no map offered, no parse known, no guard parsed."""
    monkeypatch.setattr(effective, "_GUARDS_OF", {})
    monkeypatch.setattr(effective, "_READ", set())
    monkeypatch.setattr(effective, "_KEPT_PARSES", {})
    monkeypatch.setattr(execute, "_KNOWN", {})
    effective.guard_template.cache_clear()
    execute._parsed.cache_clear()
    chartmap.builtin_map.cache_clear()


def test_a_kept_guard_parse_is_the_guards_parse_and_judges_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ids = ("helm-apim/all-in-one@4.6.x", "helm-apim/all-in-one@4.2.x", "kubernetes-apim/am-pattern-1@4.2.x")
    maps = [chartmap.read_builtin_map(builtin_ids()[i]) for i in ids]
    guards = sorted(set().union(*(m.all_guards() for m in maps)))
    trees = [m.defaults_tree() for m in maps] + [{}, {"wso2": {"apim": {"configurations": {"gatewayType": "APK"}}}}]
    fresh = [[effective.guard_holds(g, t) for g in guards] for t in trees]
    parses = {}
    for m in maps:
        parses.update(effective.guard_parses(m.all_guards()))
    assert len(parses) > 20
    for guard, parse in parses.items():
        assert repr(render_cache.loads(parse)) == repr(gotemplate_parse.parse("{{ if " + guard + " }}1{{ end }}", ""))
    try:
        for _ in range(2):  # the first run parses and keeps; the second reads the entries
            _fresh_guard_state(monkeypatch)
            for i in ids:
                chartmap.builtin_map(builtin_ids()[i])
            assert [[effective.guard_holds(g, t) for g in guards] for t in trees] == fresh

            def parsed(*args):
                raise AssertionError("a kept guard was parsed again")

            monkeypatch.setattr(gotemplate_parse, "parse", parsed)
        assert any(v is True for row in fresh for v in row) and any(v is False for row in fresh for v in row)
    finally:
        monkeypatch.undo()
        effective.guard_template.cache_clear()
        chartmap.builtin_map.cache_clear()


def test_a_path_without_wildcards_fills_no_item_index_of_its_target():
    """A values path (``throttling.portOffset``) that gives a part of every item's key of a range over another
    list (``url_group[].traffic_manager_urls[0]``) maps to that each-item key; its own name fills only a key
    wildcard (a rule's ``to: table.*``)."""
    from k8s_migrate.hub import ANY_ITEM, parse_key, substitute

    offset = parse_key("throttling.portOffset")
    assert substitute(offset, parse_key("url_group[].urls[0]"), offset) == ("url_group", ANY_ITEM, "urls", 0)
    watcher = parse_key("cpu_watcher")
    assert substitute(watcher, parse_key("diagnostic_tool.*"), watcher) == ("diagnostic_tool", "cpu_watcher")
