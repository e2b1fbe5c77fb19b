"""scripts/import_graph.py: rooms, floors, arrows, the flagged arrows and cycles, on a small made-up package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_script():
    spec = importlib.util.spec_from_file_location("import_graph", REPO / "scripts" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "k8s_migrate" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "k8s_migrate"


def test_the_plan_of_a_small_house(tmp_path, capsys):
    graph = load_script()
    package = write(tmp_path, {
        "__init__.py": "",
        "hub.py": "import os\n",
        "pipeline.py": "from .hub import x\nfrom .formats import toml\n",
        "formats/__init__.py": "",
        "formats/toml.py": "from ..hub import y\n\ndef later():\n    from ..pipeline import migrate\n",
        "charts/__init__.py": "",
        "charts/split.py": "from k8s_migrate.pipeline import join\nfrom . import derive\n",
        "charts/derive.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .split import Target\n",
    })
    rooms = graph.modules(package)
    assert sorted(rooms) == ["k8s_migrate", "k8s_migrate.charts", "k8s_migrate.charts.derive",
                             "k8s_migrate.charts.split", "k8s_migrate.formats", "k8s_migrate.formats.toml",
                             "k8s_migrate.hub", "k8s_migrate.pipeline"]
    drawn = {(a.source.removeprefix("k8s_migrate."), a.target.removeprefix("k8s_migrate.")): a.top_level
             for a in graph.arrows(rooms)}
    assert drawn == {("pipeline", "hub"): True, ("pipeline", "formats.toml"): True, ("formats.toml", "hub"): True,
                     ("formats.toml", "pipeline"): False, ("charts.split", "pipeline"): True,
                     ("charts.split", "charts.derive"): True, ("charts.derive", "charts.split"): False}
    flagged = [(a.source, a.where) for a in graph.forbidden(graph.arrows(rooms))]
    assert flagged == [("k8s_migrate.charts.split", "k8s_migrate/charts/split.py:1"),
                       ("k8s_migrate.formats.toml", "k8s_migrate/formats/toml.py:4")]

    assert graph.main(["--package", str(package), "--check"]) == 1
    out = capsys.readouterr().out
    assert "rooms (modules): 8\n" in out and "floors (packages): 3: k8s_migrate, charts, formats\n" in out
    assert ("arrows (module imports module): 7: 5 at import time, "
            "2 deferred (inside functions or under TYPE_CHECKING)\n") in out
    assert "cycles over all imports: 2\n" in out and "cycles over import-time imports: 0\n" in out
    assert "  2 modules: k8s_migrate.formats.toml, k8s_migrate.pipeline\n" in out


def test_a_clean_house_passes_the_check(tmp_path, capsys):
    graph = load_script()
    package = write(tmp_path, {"__init__.py": "", "hub.py": "", "pipeline.py": "from . import hub\n",
                               "formats/__init__.py": "", "formats/toml.py": "from .. import hub\n"})
    assert graph.main(["--package", str(package), "--check"]) == 0
    assert "arrows from readers/charts into migration modules: 0\n" in capsys.readouterr().out


def test_the_real_house_keeps_its_plan(capsys):
    """No reader or chart module imports a migration, and no import cycle (CI runs the same --check)."""
    graph = load_script()
    assert graph.main(["--check"]) == 0, capsys.readouterr().out
