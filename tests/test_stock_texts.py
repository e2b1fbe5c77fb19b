"""The shipped baseline texts (mappings/stock-texts.json) are what rebase would render, and a stock
whose data changed is rendered afresh, never served a stale text."""

import json

from k8s_migrate.catalog import known_versions, load_catalog
from k8s_migrate.data import mappings_dir
from k8s_migrate.migrate import toml as pipeline
from k8s_migrate.migrate.toml import STOCK_TEXTS, stock_digest, stock_text


def test_every_shipped_text_is_the_rendering_of_a_stock_file_today():
    shipped = json.loads((mappings_dir() / STOCK_TEXTS).read_text())["texts"]
    expected = {stock_digest(s): stock_text(s) for v in known_versions()
                for s in (load_catalog(v).stock, *load_catalog(v).profiles.values())}
    assert shipped == expected, "stale: run python3 scripts/derive_stock_texts.py"


def test_a_stock_the_shipped_texts_do_not_know_is_rendered(monkeypatch):
    catalog = load_catalog("4.6.0")
    changed = {**catalog.stock, "benchmark_marker": {"x": 1}}
    monkeypatch.setattr(pipeline, "stock_for", lambda _catalog, _profile: changed)
    pipeline.stock_text_for.cache_clear()
    try:
        text = pipeline.stock_text_for("4.6.0", None)
    finally:
        pipeline.stock_text_for.cache_clear()
    assert text == stock_text(changed) and "[benchmark_marker]" in text
