"""Where a chart's templates are: the directory given, the reference copy of a built-in chart, or the one
`k8s-migrate charts pull` left in the cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .chartmap import ChartMap

REFERENCE_ENV = "K8S_MIGRATE_REFERENCE"
DEFAULT_REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def reference_root() -> Path:
    return Path(os.environ.get(REFERENCE_ENV) or DEFAULT_REFERENCE)


def chart_directory(chart: str, chart_map: ChartMap | None = None) -> Path:
    """The chart directory to render: the path given, or the reference copy of a built-in chart."""
    given = Path(chart).expanduser()
    if (given / "Chart.yaml").is_file():
        return given
    chart_id, source = _chart_source(chart, chart_map)
    relative = source.get("path")
    candidate = reference_root() / relative if relative else None
    if candidate is not None and (candidate / "Chart.yaml").is_file():
        return candidate
    from .pull import cached_chart

    cached = cached_chart(chart_id)
    if cached is not None:
        return cached
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
