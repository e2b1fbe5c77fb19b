"""ChartMap keeps the links that match each path shape: asked again (or for another item of the same list), it
answers as the first time, each caller gets its own list, and past TRANSLATIONS_KEPT shapes it starts again and
still answers the same."""

from __future__ import annotations

from k8s_migrate.charts import chartmap
from k8s_migrate.charts.chartmap import load_chart_map


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
