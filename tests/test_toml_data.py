"""The values proof's data-only TOML migration (migrate.toml_data) gives what edit mode gives: the data tomllib reads
from edit mode's output, and edit mode's report entry for entry (action, keys, values, rule, message, line, order),
notes and changed flag. Over every chart instance the built-in renderer renders from the reference charts' own
values and the real-world deployment.toml files, each to every later version (and its own), as the values proof
asks (the whole sweep with K8S_MIGRATE_LONG=1, a sample otherwise); and over generated documents."""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8s_migrate.catalog import known_versions
from k8s_migrate.errors import ProofError, UsageError
from k8s_migrate.hub import flatten, nest
from k8s_migrate.migrate.toml import Options, migrate_toml
from k8s_migrate.migrate.toml_data import PlainDocument, migrate_toml_data
from k8s_migrate.versions import version_key

from helpers import LONG, examples
from toml_strategies import toml_text

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
VERSIONS = known_versions()
KEY = {"wso2.apim.configurations.encryption.key": "0123456789abcdef0123456789abcdef"}


def outcome(run, *args):
    try:
        return run(*args)
    except (UsageError, ProofError) as exc:
        return type(exc)


def plain(value):
    """NaN equals itself here (the data and the read-back output each hold their own NaN)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return "(nan)" if isinstance(value, float) and math.isnan(value) else value


def assert_same(text: str, name: str, src: str, dst: str, profile: str | None = None) -> None:
    options = Options(src, dst, mode="edit", profile=profile)
    edit = outcome(migrate_toml, text.encode(), name, options)
    data = outcome(migrate_toml_data, text, name, options)
    if isinstance(edit, type) or isinstance(data, type):
        assert data == edit, (name, src, dst)
        return
    assert plain(data.data) == plain(tomllib.loads(edit.output)), (name, src, dst)
    assert data.report.entries == edit.report.entries, (name, src, dst)
    assert data.report.notes == edit.report.notes
    assert data.report.changed == edit.report.changed
    # verify's run: the same data and proof; a key no rule touched that stays (kept or unknown in edit mode) has no
    # entry, and the new stock file's additions are not listed
    quick = migrate_toml_data(text, name, options, rules_only=True)
    assert plain(quick.data) == plain(data.data), (name, src, dst)
    assert quick.report.entries == [e for e in edit.report.entries if not (e.origin or "").startswith("stock:")
                                    and not (e.action in ("kept", "unknown") and e.rule is None and e.old_key)], \
        (name, src, dst)
    assert quick.report.changed == edit.report.changed


def targets(version: str) -> list[str]:
    return [v for v in VERSIONS if version_key(v) >= version_key(version)]


def charts() -> tuple[str, ...]:
    """Every built-in chart with K8S_MIGRATE_LONG=1, else every sixth (rendering them all takes most of the time)."""
    from k8s_migrate.charts.chartmap import builtin_ids

    every = tuple(sorted(builtin_ids()))
    return every if LONG else every[::6]


@lru_cache(maxsize=None)
def chart_renders(chart_ids: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(chart id and instance, its API-M version, the deployment.toml the built-in renderer renders from the
    chart's own values.yaml), for each chart."""
    from k8s_migrate.charts.chartmap import chart_version, load_map
    from k8s_migrate.charts.render import load_values_text
    from k8s_migrate.verify import chart_directory, merge_given, render_instances

    out = []
    for chart in chart_ids:
        chart_map = load_map(chart)
        directory = chart_directory(chart, chart_map)
        values = load_values_text((Path(directory) / "values.yaml").read_text())
        try:
            rendered = render_instances(directory, values, "builtin")
        except UsageError:  # a chart that needs a value its own values.yaml leaves out (4.7.x: the encryption key)
            rendered = render_instances(directory, merge_given(values, KEY), "builtin")
        for instance, text in rendered.items():
            out.append((f"{chart} {instance}", chart_version(chart_map, None, "--from"), text))
    return out


def real_world_files() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted((REFERENCE / "real-world").glob("*/*.toml")):
        digits = path.parent.name.split("-")[1]
        out.append((path.parent.name, f"{digits[0]}.{digits[1]}.{digits[2]}", path.read_text()))
    return out


def golden_inputs() -> list[tuple[str, str, str]]:
    """The input of each rule's golden case: every rule fires on one (the real files rename and move nothing)."""
    out = []
    for case in sorted((Path(__file__).parent / "golden" / "toml").iterdir()):
        spec = json.loads((case / "case.json").read_text())
        out.append((case.name, spec["from"], (case / "input.toml").read_text()))
    return out


def sweep(files: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    return [(name, version, target, text) for name, version, text in files for target in targets(version)]


def test_every_chart_instance_and_version_pair(reference_dir):
    cases = sweep(chart_renders(charts()))
    families = {name.split("/")[0] for name, *_ in cases}
    assert families == {"helm-apim", "kubernetes-apim"}
    assert len({name.split("@")[0] for name, *_ in cases}) >= (10 if LONG else 3)
    for name, src, dst, text in cases if LONG else cases[::4]:
        assert_same(text, name, src, dst)


def test_every_real_world_file_and_version_pair(reference_dir):
    cases = sweep(real_world_files())
    assert len(cases) >= 30
    for name, src, dst, text in cases if LONG else cases[::7]:
        assert_same(text, name, src, dst)


def test_every_rules_golden_input_and_version_pair():
    cases = sweep(golden_inputs())
    for name, src, dst, text in cases if LONG else cases[::6]:
        assert_same(text, name, src, dst)


version_pair = st.sampled_from(VERSIONS).flatmap(lambda v: st.tuples(st.just(v), st.sampled_from(targets(v))))


@settings(max_examples=examples(400), deadline=None, suppress_health_check=list(HealthCheck))
@given(text=toml_text(), pair=version_pair)
def test_generated_documents(text, pair):
    assert_same(text, "generated.toml", *pair)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), pair=version_pair)
def test_parts_of_real_files(reference_dir, data, pair):
    """Keys of real files, some left out and some given other values or types: renames into tables that are
    missing, tables and items left empty, values that change type."""
    files = real_world_files() + golden_inputs() + chart_renders(charts())
    name, _, text = data.draw(st.sampled_from(files))
    leaves = list(flatten(tomllib.loads(text)).items())
    kept = data.draw(st.lists(st.booleans(), min_size=len(leaves), max_size=len(leaves)))
    other = st.one_of(st.integers(-3, 70000), st.booleans(), st.text("ab:/$", max_size=5),
                      st.lists(st.text("xy", max_size=2), max_size=2))
    part = []
    for (path, value), keep in zip(leaves, kept, strict=True):
        if keep:
            part.append((path, data.draw(st.just(value) | other)))
    try:
        written = tomlkit.dumps(nest(part))
    except Exception:  # a shape tomlkit cannot write (an item left with a gap)
        return
    assert_same(written, name, *pair)


def test_plain_document_edits_as_the_round_trip_document():
    doc = PlainDocument({"a": {"b": 1}, "c": [{"d": 1}, {"e": 2}], "f": {"g": {"h": 1}}})
    doc.rename(("a", "b"), ("a", "x"))
    doc.delete(("c", 0, "d"))  # the item left empty goes, and the next takes its place
    doc.rename(("f", "g", "h"), ("k", "h"))  # moved: the tables left empty go
    doc.set(("m", "n", "o"), [1, 2])
    assert doc.root == {"a": {"x": 1}, "c": [{"e": 2}], "k": {"h": 1}, "m": {"n": {"o": [1, 2]}}}
    with pytest.raises(UsageError, match="cannot write a.x.y"):
        doc.set(("a", "x", "y"), 1)
    with pytest.raises(UsageError, match=r"cannot write c\[5\].z"):
        doc.set(("c", 5, "z"), 1)
    value = [1]
    doc.set(("p",), value)
    doc.root["p"].append(2)
    assert value == [1]  # the track's value, as its report entry shows it


def test_the_inner_proof_checks_the_data(monkeypatch):
    """A track the applier fails to write is a ProofError (edit mode's proof, on the data), not a quiet t1."""
    text = (Path(__file__).parent / "golden" / "toml" / "r430-environment-gateway-type" / "input.toml").read_text()
    spec = json.loads((Path(__file__).parent / "golden" / "toml" / "r430-environment-gateway-type" / "case.json")
                      .read_text())
    options = Options(spec["from"], spec["to"], mode="edit")
    assert migrate_toml_data(text, "in.toml", options).report.entries
    monkeypatch.setattr(PlainDocument, "set", lambda self, path, value: None)
    with pytest.raises(ProofError):
        migrate_toml_data(text, "in.toml", options)


def test_verifys_run_checks_the_keys_it_makes_no_entry_for(monkeypatch):
    """rules_only makes no entry for a key no rule touched that stays, yet its proof still finds such a key gone from
    the data (here one at the new version's default, which the comparison alone lets pass); what it then finds
    unaccounted for, and its report, are those of the whole report's proof."""
    import k8s_migrate.migrate.toml_data as toml_data

    text = (Path(__file__).parent / "golden" / "toml" / "r430-environment-gateway-type" / "input.toml").read_text()
    text += "\n[apim.cache.gateway_token]\nenable = true\n"
    options = Options("4.2.0", "4.3.0", mode="edit")
    assert migrate_toml_data(text, "in.toml", options, rules_only=True).report.entries
    real = toml_data.edit_by_tracks

    def tampered(document, state):
        real(document, state)
        document.delete(("apim", "cache", "gateway_token", "enable"))

    monkeypatch.setattr(toml_data, "edit_by_tracks", tampered)
    failures = []
    for rules_only in (True, False):
        with pytest.raises(ProofError) as caught:
            migrate_toml_data(text, "in.toml", options, rules_only=rules_only)
        failures.append(caught.value)
    quick, whole = failures
    assert [(d.key, d.kind) for d in quick.problems] == [(d.key, d.kind) for d in whole.problems] == [
        ("apim.cache.gateway_token.enable", "disagrees")]
    # the whole report, as without rules_only: a key no rule touched kept rather than unknown, no stock additions
    assert quick.report.entries == [replace(e, action="kept", message="") if e.action == "unknown" and e.rule is None
                                    else e for e in whole.report.entries if not (e.origin or "").startswith("stock:")]
    assert any(e.action == "kept" and e.rule is None for e in quick.report.entries)


def test_verify_runs_no_edit_mode_migration(monkeypatch):
    from k8s_migrate.migrate import toml as toml_migration
    from k8s_migrate.verify import verify

    fixture = Path(__file__).parent / "fixtures" / "values" / "aio-4.2.x-custom.yaml"
    calls = []
    real = toml_migration.migrate_toml
    monkeypatch.setattr(toml_migration, "migrate_toml", lambda *a, **k: calls.append(a) or real(*a, **k))
    result = verify(fixture.read_bytes(), fixture.name, "helm-apim/all-in-one@4.2.x", "helm-apim/all-in-one@4.6.x")
    assert result.pairs and result.renders
    assert calls == []
