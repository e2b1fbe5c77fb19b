"""Where a chart's templates are: the directory given, the reference copy of a built-in chart, or the one
`k8s-migrate charts pull` left in the cache."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..output import as_path_text

if TYPE_CHECKING:
    from .chartmap import ChartMap

REFERENCE_ENV = "K8S_MIGRATE_REFERENCE"
DEFAULT_REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))), "shared", "reference")


# Paths here are text, as str(pathlib.Path(...)) writes them: pathlib is not imported on the path of a render
# or a verify (with urllib.parse and ipaddress, which it imports, 3% of a verify run).

def reference_root() -> str:
    return as_path_text(os.environ.get(REFERENCE_ENV) or DEFAULT_REFERENCE)


def chart_directory(chart: str, chart_map: ChartMap | None = None) -> str:
    """The chart directory to render: the path given, or the reference copy of a built-in chart."""
    given = as_path_text(os.path.expanduser(chart))
    if os.path.isfile(os.path.join(given, "Chart.yaml")):
        return given
    chart_id, source = _chart_source(chart, chart_map)
    relative = source.get("path")
    candidate = as_path_text(os.path.join(reference_root(), relative)) if relative else None
    if candidate is not None and os.path.isfile(os.path.join(candidate, "Chart.yaml")):
        return candidate
    from .pull import cached_chart

    cached = cached_chart(chart_id)
    if cached is not None:
        return str(cached)
    raise UsageError(f"chart {chart} is built in but its templates are not here: run `k8s-migrate charts pull "
                     f"{chart_id}`, or give a chart directory (`helm pull --untar` makes one)")


def _chart_source(chart: str, chart_map: ChartMap | None) -> tuple[str, dict]:
    """The chart's id and where its templates come from: a built-in chart's without building its map."""
    if chart_map is None:
        from .builtin import builtin_source

        found = builtin_source(chart)
        if found is not None:
            return found
        from .chartmap import load_map

        chart_map = load_map(chart)  # not built in: the map says what it is, or load_map why there is none
    return chart_map.id, chart_map.source or {}
