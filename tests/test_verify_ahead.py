"""verify works out the old chart's side in a forked child while it runs the values migration: the answer must be
the one-process run's, whether the child's answers are used, thrown away (another subchart alias) or missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from k8s_migrate import verify as verify_module
from k8s_migrate.errors import UsageError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork: verify runs in one process")

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "values"
FIXTURE = HERE / "fixtures" / "values" / "aio-4.2.x-custom.yaml"
FULL = HERE.parent / "charts-fixtures" / "full-objects"
KEY = {"wso2.apim.configurations.encryption.key": "0123456789abcdef0123456789abcdef"}

CASES = {
    "aio-4.2-to-4.6": (FIXTURE, "helm-apim/all-in-one@4.2.x", "helm-apim/all-in-one@4.6.x", {}),
    "pattern-1-two-instances-second": (GOLDEN / "repro-1-pattern-1-topology-and-database" / "input.yaml",
                                       "kubernetes-apim/am-pattern-1@4.2.x", "helm-apim/all-in-one@4.6.x",
                                       {"instance": "instance-2"}),
    "destination-refuses": (FIXTURE, "helm-apim/all-in-one@4.2.x", "helm-apim/all-in-one@4.7.x", {}),
    "subchart-given": (GOLDEN / "repro-4-umbrella-subchart-given" / "input.yaml", "helm-apim/gateway@4.5.x",
                       "helm-apim/gateway@4.6.x", {"subchart": "gw"}),
}


def _both_ways(monkeypatch, values: Path, chart: str, to_chart: str, **kwargs):
    ahead = verify_module.verify(values.read_bytes(), values.name, chart, to_chart, **kwargs)
    monkeypatch.setattr(verify_module, "AHEAD", False)
    alone = verify_module.verify(values.read_bytes(), values.name, chart, to_chart, **kwargs)
    monkeypatch.setattr(verify_module, "AHEAD", True)
    return ahead, alone


def _migrations_here(monkeypatch) -> list[str]:
    """The old instances whose rendered deployment.toml this process migrates (the child's are not seen here)."""
    seen: list[str] = []
    real = verify_module.migrate_rendered
    monkeypatch.setattr(verify_module, "migrate_rendered",
                        lambda rendered, old, *a: (seen.append(old), real(rendered, old, *a))[1])
    return seen


@pytest.mark.parametrize("case", CASES)
def test_the_child_answers_as_one_process_does(reference_dir, monkeypatch, case):
    values, chart, to_chart, kwargs = CASES[case]
    seen = _migrations_here(monkeypatch)
    ahead = verify_module.verify(values.read_bytes(), values.name, chart, to_chart, **kwargs)
    assert seen == []  # the child migrated the old renders
    monkeypatch.setattr(verify_module, "AHEAD", False)
    alone = verify_module.verify(values.read_bytes(), values.name, chart, to_chart, **kwargs)
    assert ahead == alone
    assert verify_module.verification_text(ahead) == verify_module.verification_text(alone)
    assert bool(seen) is not bool(alone.errors)  # alone, this process did (unless the new chart refused)


def test_a_wrong_guess_of_the_subchart_alias_throws_the_childs_answers_away(reference_dir, monkeypatch):
    values = GOLDEN / "repro-4-umbrella-subchart-detected" / "input.yaml"
    seen = _migrations_here(monkeypatch)
    ahead, alone = _both_ways(monkeypatch, values, "helm-apim/control-plane@4.5.x", "helm-apim/control-plane@4.6.x")
    assert ahead == alone and ahead.ok
    half = len(seen) // 2  # the child rendered the file as the chart's own values (no alias): redone here
    assert seen and seen[:half] == seen[half:]


def test_a_child_that_fails_or_dies_changes_nothing(reference_dir, monkeypatch):
    values, chart, to_chart, kwargs = CASES["pattern-1-two-instances-second"]
    parent = os.getpid()
    real = verify_module.migrate_rendered

    def fails_in_the_child(*args):
        if os.getpid() != parent:
            raise RuntimeError("not here")
        return real(*args)

    monkeypatch.setattr(verify_module, "migrate_rendered", fails_in_the_child)
    ahead, alone = _both_ways(monkeypatch, values, chart, to_chart, **kwargs)
    assert ahead == alone
    monkeypatch.setattr(verify_module, "old_side", lambda *args: os._exit(9))
    died = verify_module.verify(values.read_bytes(), values.name, chart, to_chart, **kwargs)
    assert died == alone


def test_full_charts_other_objects_come_out_the_same(reference_dir, tmp_path, monkeypatch):
    charts = {}
    for branch, folders in (("4.6.x", ("common",)), ("4.7.x", ("common", "gateway-api"))):
        charts[branch] = tmp_path / branch
        shutil.copytree(reference_dir / f"helm-apim/{branch}/all-in-one", charts[branch])
        for folder in folders:
            shutil.copytree(FULL / folder, charts[branch] / "templates" / f"fixture-{folder}")
    values = tmp_path / "values.yaml"
    values.write_text('kubernetes:\n  ingress:\n    management:\n      hostname: "apim.local"\n', encoding="utf-8")
    ahead, alone = _both_ways(monkeypatch, values, "helm-apim/all-in-one@4.6.x", "helm-apim/all-in-one@4.7.x",
                              chart_dir_from=str(charts["4.6.x"]), chart_dir_to=str(charts["4.7.x"]), given=KEY)
    assert ahead == alone
    assert any(line.startswith("Deployment/") for line in ahead.objects)


def test_an_error_of_the_values_migration_stops_the_child(reference_dir, monkeypatch, tmp_path):
    children: list[int] = []
    real_init = verify_module.Ahead.__init__

    def recorded(self, *args):
        real_init(self, *args)
        children.append(self.pid)

    monkeypatch.setattr(verify_module.Ahead, "__init__", recorded)
    values = tmp_path / "values.yaml"
    values.write_text("wso2: [unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError) as ahead:
        verify_module.verify(values.read_bytes(), "values.yaml", "helm-apim/all-in-one@4.2.x",
                             "helm-apim/all-in-one@4.6.x")
    assert len(children) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # reaped, not left behind
    monkeypatch.setattr(verify_module, "AHEAD", False)
    with pytest.raises(UsageError) as alone:
        verify_module.verify(values.read_bytes(), "values.yaml", "helm-apim/all-in-one@4.2.x",
                             "helm-apim/all-in-one@4.6.x")
    assert str(ahead.value) == str(alone.value)


def test_no_process_to_spare_runs_it_all_here(reference_dir, monkeypatch):
    values, chart, to_chart, kwargs = CASES["aio-4.2-to-4.6"]
    seen = _migrations_here(monkeypatch)

    def refused():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    result = verify_module.verify(values.read_bytes(), values.name, chart, to_chart, **kwargs)
    assert seen == ["am"] and result.ok
