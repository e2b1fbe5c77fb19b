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
from k8s_migrate.formats.toml import TomlDocument, _item
from k8s_migrate.formats.toml_lines import _bracket_delta
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


@pytest.mark.parametrize(
    "scan", [lambda s: _bracket_delta(f'x = "{s}"'), lambda s: mask_config_line(f'c = {{ k = "{s}" }}\n')]
)
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


def test_the_alias_guard_counts_what_aliases_add_not_what_the_file_writes():
    from k8s_migrate.errors import UsageError
    from k8s_migrate.formats.values import ValuesDocument, _check_alias_bomb

    item = lambda i: {f"field{j}": f"value-{i}-{j}" for j in range(10)}  # noqa: E731
    written = {"gateways": [item(i) for i in range(30_000)]}  # 330,000 nodes written, none through an alias
    _check_alias_bomb(written, "values.yaml")
    shared = item(0)
    _check_alias_bomb({"a": shared, "b": [shared] * 1000}, "values.yaml")  # aliases adding 11,000 nodes
    with pytest.raises(UsageError, match="alias bomb"):
        _check_alias_bomb({"a": shared, "b": [shared] * 20_000}, "values.yaml")  # adding 220,000
    loop: dict = {"x": 1}
    loop["self"] = [loop]
    with pytest.raises(UsageError, match="contains itself"):
        _check_alias_bomb(loop, "values.yaml")
    bomb = (REPO / "tests" / "malformed" / "yaml" / "billion-laughs.yaml").read_bytes()
    with pytest.raises(UsageError, match="alias bomb"):
        ValuesDocument(decode(bomb, "values.yaml"), "values.yaml")
    anchors = "base: &base\n  cpu: 1\n  memory: 2Gi\n" + "".join(f"pod{i}: *base\n" for i in range(200))
    assert ValuesDocument(decode(anchors.encode(), "values.yaml"), "values.yaml").data["pod199"]["cpu"] == 1


@pytest.mark.skipif(not os.environ.get("K8S_MIGRATE_LONG"), reason="long: set K8S_MIGRATE_LONG=1")
def test_a_big_values_file_without_aliases_is_not_an_alias_bomb(tmp_path):
    from k8s_migrate.formats.values import ValuesDocument

    item = "  - name: gw-{i}\n" + "".join(f"    field{j}: value-{{i}}-{j}\n" for j in range(10))
    text = "gateways:\n" + "".join(item.format(i=i) for i in range(20_000))  # 240,000 nodes, 5 MB
    assert len(ValuesDocument(decode(text.encode(), "values.yaml"), "values.yaml").data["gateways"]) == 20_000


def test_a_big_dump_is_matched_to_the_file_by_anchors_and_small_gaps(monkeypatch):
    import difflib

    from k8s_migrate.formats import values as fv

    item = "  - name: gw-{i}\n    type: hybrid\n    url: https://gw-{i}.example.com\n    enabled: true\n\n"
    before = "gateways:\n" + "".join(item.format(i=i) for i in range(3000))
    after = before.replace("type: hybrid", "type: 'hybrid'").replace("    enabled: true\n\n", "    enabled: true\n")
    after = after.replace("gw-1500\n", "gw-1500\n    added: 1\n")
    sizes = []
    real = difflib.SequenceMatcher

    def counting(junk, a, b, autojunk=True):
        sizes.append(len(a) * len(b))
        return real(junk, a, b, autojunk=autojunk)

    monkeypatch.setattr(difflib, "SequenceMatcher", counting)
    ops = fv.line_opcodes(before, after)
    assert sizes and max(sizes) <= fv._GAP_CELLS
    old, new = before.splitlines(), after.splitlines()
    assert ops[0][1] == ops[0][3] == 0 and ops[-1][2] == len(old) and ops[-1][4] == len(new)
    for (_, _, i2, _, j2), (_, i1, _, j1, _) in zip(ops, ops[1:], strict=False):
        assert (i2, j2) == (i1, j1)
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            assert ["".join(line.split()) for line in old[i1:i2]] == ["".join(line.split()) for line in new[j1:j2]]
    equal = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    assert equal == len(new) - 3000 - 1  # every line but the 3,000 requoted ones and the added one
    merged = fv.merge_untouched_lines(before, after, opcodes=ops)[0]
    assert "    added: 1\n" in merged and merged.count("\n\n") == 3000  # the blank lines come back


def test_a_file_whose_tables_are_split_is_read_and_edited_without_a_view_or_a_copy_per_section(monkeypatch):
    """[apim.sN], [transport.sN], ... : tomlkit deep-copied every section to validate the parse and made the merged
    view of `apim` (all its sections) again on every lookup below it."""
    import copy

    from k8s_migrate.formats import toml as ft

    sections = 300
    text = "".join(f"[apim.s{i}]\nk = {i}\n[transport.s{i}]\nk = {i}\n" for i in range(sections))
    views, copies = [], []
    real_init, real_deepcopy = ft._SplitTable.__init__, copy.deepcopy
    monkeypatch.setattr(ft._SplitTable, "__init__", lambda self, *a: views.append(1) or real_init(self, *a))
    monkeypatch.setattr(copy, "deepcopy", lambda *a, **k: copies.append(1) or real_deepcopy(*a, **k))
    doc = TomlDocument(decode(text.encode(), "deployment.toml"))
    for i in range(sections):
        doc.set(("apim", f"s{i}", "k"), i + 1)
        doc.set(("transport", f"s{i}", "new"), "x")
    assert not copies
    assert len(views) < 10, len(views)
    out = doc.dumps()
    assert all(f"[apim.s{i}]\nk = {i + 1}\n[transport.s{i}]\nk = {i}\nnew = \"x\"\n" in out for i in range(sections))
