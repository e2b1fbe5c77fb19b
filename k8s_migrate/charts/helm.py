"""Real `helm template` as a second renderer: the check on the built-in one, and `--renderer helm`.

Charts whose declared dependencies are not vendored (kubernetes-apim's MySQL and NFS subcharts) render
from a temporary copy without the dependency list, as the built-in renderer does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from ruamel.yaml import YAML

from .gotemplate import TemplateError

HELM_ENV = "K8S_MIGRATE_HELM"
_SOURCE = re.compile(r"^---\n# Source: ([^\n]+)\n", re.M)
_DEPENDENCY_FILES = ("requirements.yaml", "requirements.lock", "Chart.lock")


def helm_binary() -> str | None:
    """The helm to run: $K8S_MIGRATE_HELM, else helm on PATH."""
    given = os.environ.get(HELM_ENV)
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("helm")


@contextmanager
def chart_without_dependencies(chart_dir: str | Path) -> Iterator[Path]:
    source = Path(chart_dir)
    with tempfile.TemporaryDirectory(prefix="k8s-migrate-helm-") as tmp:
        copy = Path(tmp) / source.resolve().name
        shutil.copytree(source, copy, symlinks=False)
        for name in _DEPENDENCY_FILES:
            (copy / name).unlink(missing_ok=True)
        yaml = YAML()
        yaml.preserve_quotes = True
        meta_file = copy / "Chart.yaml"
        meta = yaml.load(meta_file.read_text(encoding="utf-8"))
        if isinstance(meta, dict) and "dependencies" in meta:
            del meta["dependencies"]
            with meta_file.open("w", encoding="utf-8") as out:
                yaml.dump(meta, out)
        yield copy


def helm_template(chart_dir: str | Path, values_files: Sequence[str] = (), overrides: dict | None = None,
                  release_name: str = "release", namespace: str = "default", show_only: str | None = None) -> str:
    """`helm template` output for the chart with the values texts applied in order (as repeated -f)."""
    helm = helm_binary()
    if helm is None:
        raise TemplateError(f"no helm binary: put helm on PATH or set {HELM_ENV}")
    with (chart_without_dependencies(chart_dir) as chart,
          tempfile.TemporaryDirectory(prefix="k8s-migrate-values-") as tmp):
        args = [helm, "template", release_name, str(chart), "--namespace", namespace]
        texts = list(values_files) + ([json.dumps(overrides)] if overrides else [])
        for i, text in enumerate(texts):
            path = Path(tmp) / f"values-{i}.yaml"
            path.write_text(text, encoding="utf-8")
            args += ["-f", str(path)]
        if show_only:
            args += ["--show-only", show_only]
        done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "HELM_CACHE_HOME": tmp,
                                                                        "HELM_CONFIG_HOME": tmp, "HELM_DATA_HOME": tmp})
    if done.returncode != 0:
        message = " ".join(line.strip() for line in done.stderr.strip().splitlines() if line.strip())
        raise TemplateError(f"helm template: {message.replace(str(chart), str(chart_dir))}")
    return done.stdout


def split_manifests(output: str) -> list[tuple[str, str]]:
    """(source template, manifest text) pairs of `helm template` output, in order."""
    starts = list(_SOURCE.finditer(output))
    return [(m.group(1), output[m.end():starts[i + 1].start() if i + 1 < len(starts) else len(output)])
            for i, m in enumerate(starts)]
