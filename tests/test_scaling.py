"""Cost grows linearly with the input (issue 13, item 12). The figures are benchmarks/scaling.py's; these
tests pin the mechanisms, so that a quadratic step cannot come back unnoticed."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import tomlkit
from tomlkit.container import Container
from tomlkit.items import Array

from k8s_migrate import catalog as catalog_module
from k8s_migrate.catalog import load_catalog
from k8s_migrate.formats.text import decode
from k8s_migrate.formats.toml import TomlDocument, _bracket_delta, _item
from k8s_migrate.report.masking import mask_config_line

REPO = Path(__file__).resolve().parent.parent


def test_did_you_mean_compares_with_a_few_candidates_not_the_catalog(monkeypatch):
    cat = load_catalog("4.6.0")
    compared = []
    real = catalog_module.close_match

    def counting(word, possibilities, cutoff):
        compared.append(len(possibilities))
        return real(word, possibilities, cutoff)

    monkeypatch.setattr(catalog_module, "close_match", counting)
    for i in range(300):
        cat.suggest(f"apim.throttling.custom_limit_{i:04d}_window")
        cat.suggest(f"custom_{i}.apim_db.url")
    assert len(cat.known.key_texts) > 1000
    assert max(compared) < 200, max(compared)
    assert cat.suggest("apim.key_manger.service_url") == "apim.key_manager.service_url"  # still finds typos


def test_close_match_answers_as_difflib_does():
    import difflib
    import random

    texts = list(load_catalog("4.6.0").known.key_texts)
    rng = random.Random(7)
    found = 0
    for _ in range(300):
        original = rng.choice(texts)
        word = list(original)
        for _ in range(rng.randint(0, 4)):
            at = rng.randrange(len(word))
            word[at:at + 1] = rng.choice(([], [rng.choice("aex_.")], [word[at], rng.choice("aex_.")]))
        word = "".join(word)
        candidates = rng.sample(texts, 100) + [original, word[::-1]]
        for cutoff in (0.6, 0.8):
            expected = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
            assert catalog_module.close_match(word, candidates, cutoff) == (expected[0] if expected else None)
            found += bool(expected) and expected[0] != word
    assert found > 100


def test_adding_many_keys_to_one_table_does_not_rescan_it(monkeypatch):
    calls = []
    real = Container._get_last_index_before_table
    monkeypatch.setattr(Container, "_get_last_index_before_table", lambda self: (calls.append(1), real(self))[1])
    text = '[server]\nhostname = "a"\n\n[system.parameter]\n"x" = "1"\n\n[other]\nk = 1\n'
    doc = TomlDocument(decode(text.encode(), "t.toml"), "t.toml")
    for i in range(500):
        doc.set(("system", "parameter", f"p{i}"), f"v{i}")
    assert len(calls) < 5, len(calls)
    slow = tomlkit.parse(text)
    for i in range(500):
        slow["system"]["parameter"].add(f"p{i}", f"v{i}")
    assert doc.dumps() == slow.as_string()


def test_a_big_array_is_built_in_one_go(monkeypatch):
    calls = []
    real = Array._reindex
    monkeypatch.setattr(Array, "_reindex", lambda self: (calls.append(1), real(self))[1])
    big = _item([f"https://app-{i}.example.com" for i in range(5000)])
    assert len(calls) <= 2 and len(big) == 5000
    for value in (["a", "b"], [1, 2.5, True], ["x"], [], [[1], [2]], [{"a": 1}, {"b": 2}]):
        assert _item(value).as_string() == tomlkit.item(value).as_string(), value


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("scan", [lambda s: _bracket_delta(f'x = "{s}"'), lambda s: mask_config_line(f'c = {{ k = "{s}" }}\n')])
def test_scanning_a_long_string_takes_memory_in_proportion(scan):
    long = "x" * 2_000_000
    assert peak_bytes(lambda: scan(long)) < 20 * len(long)


TEN_MB = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (900 * 1024 * 1024, 900 * 1024 * 1024))
sys.path.insert(0, {repo!r})
from k8s_migrate.cli import run_app
sys.argv = ["k8s-migrate", *sys.argv[1:]]
sys.exit(run_app())
"""


@pytest.mark.skipif(not os.environ.get("K8S_MIGRATE_LONG"), reason="long: set K8S_MIGRATE_LONG=1")
@pytest.mark.parametrize("kind", ["toml", "values"])
def test_a_ten_megabyte_string_fits_in_memory(kind, tmp_path):
    big = "x" * int(9.5 * 1024 * 1024)
    if kind == "toml":
        path, args = tmp_path / "deployment.toml", ("toml", "--from", "4.2", "--to", "4.6")
        path.write_text(f'[server]\nhostname = "{big}"\n')
    else:
        path, args = tmp_path / "values.yaml", ("values", "--chart", "helm-apim/all-in-one@4.2.x",
                                                "--to-chart", "helm-apim/all-in-one@4.6.x")
        path.write_text(f"wso2:\n  apim:\n    configurations:\n      adminUsername: {big}\n")
    proc = subprocess.run([sys.executable, "-c", TEN_MB.format(repo=str(REPO)), args[0], str(path), *args[1:], "-q",
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 500 * 1024
