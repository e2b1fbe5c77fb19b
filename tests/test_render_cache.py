"""The chart cache (k8s_migrate.charts.render_cache): a later run renders from the entry the first one wrote,
exactly as from the chart itself; an edited chart, a damaged entry or a cache folder that cannot be written
change nothing but the time taken."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from k8s_migrate.charts import render, render_cache
from k8s_migrate.charts.gotemplate import execute, parse

MINI_CHART = Path(__file__).resolve().parent.parent / "charts-fixtures" / "render" / "mini-chart"
VALUES = {"server": {"hostname": "cached.example.com"}, "gateways": [{"name": "Only", "host": "gw.example.com"}],
          "secondary": {"enabled": True}}


def fresh_process() -> None:
    """Forget what this process read, as a new run would."""
    render._load_chart_cached.cache_clear()
    execute._parsed.cache_clear()
    execute._KNOWN.clear()


@pytest.fixture
def chart(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fresh_process()
    copy = tmp_path / "mini-chart"
    shutil.copytree(MINI_CHART, copy)
    yield copy
    fresh_process()


def rendered(chart: Path, instance: str = "app/instance-1") -> str:
    return render.render_deployment_toml(chart, VALUES, instance)


def entries() -> list[Path]:
    folder = render_cache.cache_dir()
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def test_a_second_run_renders_from_the_entry_without_parsing(chart, monkeypatch):
    first, second = rendered(chart), rendered(chart, "app/instance-2")
    assert "cached.example.com" in first and len(entries()) == 1
    fresh_process()
    monkeypatch.setattr(parse, "parse", lambda text, name: pytest.fail(f"parsed {name} again"))
    monkeypatch.setattr(render, "load_values_text", lambda text: pytest.fail("read values.yaml again"))
    assert (rendered(chart), rendered(chart, "app/instance-2")) == (first, second)


def test_an_edited_chart_gets_a_new_entry_in_place_of_the_old_one(chart):
    before, first_entries = rendered(chart), entries()
    conf = chart / "confs" / "instance-1" / "deployment.toml"
    conf.write_text(conf.read_text().replace("[server]", "[server]\nedited = true"))
    fresh_process()
    after = rendered(chart)
    assert after == before.replace("[server]", "[server]\nedited = true")
    assert len(first_entries) == len(entries()) == 1 and entries() != first_entries


def test_each_chart_folder_has_its_own_entry(chart, tmp_path):
    other = tmp_path / "other-chart"
    shutil.copytree(chart, other)
    assert render.render_deployment_toml(other, VALUES, "app/instance-1") == rendered(chart)
    assert len(entries()) == 2


def test_a_damaged_entry_is_read_past(chart):
    first = rendered(chart)
    for entry in entries():
        entry.write_bytes(entry.read_bytes()[:40])
    fresh_process()
    assert rendered(chart) == first
    fresh_process()
    assert rendered(chart) == first


def test_a_cache_folder_that_cannot_be_made_changes_nothing(chart, tmp_path, monkeypatch):
    first = rendered(chart)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    fresh_process()
    assert rendered(chart) == first
    assert list(tmp_path.glob("not-a-folder/**")) == [] and blocker.read_text() == ""


def test_a_cache_folder_others_may_write_is_neither_read_nor_written(chart):
    first = rendered(chart)
    render_cache.cache_dir().chmod(0o777)
    planted = pickle.dumps(({"name": "mini"}, {"db": {"url": "planted"}}, {}))
    for entry in entries():
        entry.write_bytes(planted)
    fresh_process()
    assert rendered(chart) == first and "planted" not in first
    assert [entry.read_bytes() for entry in entries()] == [planted]


def test_a_user_without_a_home_renders_without_the_cache_and_pull_says_why(monkeypatch):
    """No HOME, no passwd entry (a container's arbitrary uid) and no XDG_CACHE_HOME: "~" expands to nothing."""
    from k8s_migrate.charts import pull
    from k8s_migrate.errors import UsageError

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr("os.path.expanduser", lambda path: path)  # as it answers with no HOME and no passwd entry
    assert render_cache.cache_dir() is None
    assert render_cache.read("any-key") is None
    render_cache.write("any-key", {"x": 1})  # nothing to write into, and no error
    assert pull.cached_chart("helm-apim/all-in-one@4.6.x") is None
    with pytest.raises(UsageError, match="set XDG_CACHE_HOME"):
        pull.cache_root()


def test_a_parse_unpickles_to_the_same_nodes(reference_dir):
    """Every node kind, as the reference charts' templates and the parser's own tests use them, pickled as a call
    of its class: the same parse back, shared nodes still shared."""
    from k8s_migrate.charts.gotemplate import parse as p
    from k8s_migrate.charts.render import _chart_files

    texts = ['{{ define "x" }}{{ $a := .A.B }}{{ $a = 1 }}{{ range $i, $v := .L }}{{ if eq $i 0 }}{{ break }}'
             '{{ else }}{{ continue }}{{ end }}{{ end }}{{ end }}{{ template "x" . }}{{ (.A).B }}{{ nil }}{{ . }}'
             '{{ with .C }}{{ printf "%s" "t" | quote }}{{ end }}{{- /* note */ -}}']
    for version in ("4.2.x", "4.6.x"):
        folder = reference_dir / "helm-apim" / version / "all-in-one"
        if folder.is_dir():
            texts += [Path(path).read_text() for relative, path in _chart_files(str(folder))
                      if relative.startswith("templates/")]
    kinds = set()
    for text in texts:
        parsed = p.parse(text, "t")
        back = pickle.loads(pickle.dumps(parsed, -1))
        assert back == parsed
        stack = [parsed]
        while stack:
            node = stack.pop()
            if isinstance(node, (list, tuple)):
                stack.extend(node)
            elif isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, p.Node):
                kinds.add(type(node))
                stack.extend(getattr(node, f) for f in node.__slots__)
    assert kinds >= {p.Field, p.Variable, p.Chain, p.Ident, p.Literal, p.Dot, p.Command, p.Pipe, p.Text, p.Action,
                     p.Branch, p.TemplateCall, p.LoopControl}
