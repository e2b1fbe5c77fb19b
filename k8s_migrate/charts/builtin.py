"""The built-in charts: their ids (mappings/charts/index.json) and where each one's templates come from, read
without the chart maps (a render of a built-in chart needs nothing more)."""

from __future__ import annotations

from typing import Any

from ..data import load_json

INDEX = "charts/index.json"


def builtin_ids() -> dict[str, str]:
    try:
        return load_json(INDEX)["charts"]
    except FileNotFoundError:
        return {}


def resolve_id(chart: str) -> str | None:
    """A built-in id from its full or short forms: ``@4.5`` for ``@4.5.x``, no family when unambiguous."""
    ids = builtin_ids()
    if chart in ids:
        return chart
    name, _, branch = chart.partition("@")
    if branch and not branch.endswith(".x"):
        branch = ".".join(branch.split(".")[:2]) + ".x"
    candidates = [i for i in ids if i == f"{name}@{branch}" or i.split("/", 1)[-1] == f"{name}@{branch}"]
    return candidates[0] if len(candidates) == 1 else None


def builtin_source(chart: str) -> tuple[str, dict[str, Any]] | None:
    """A built-in chart's id and where its templates come from, read without building its map (render needs
    nothing more); None when ``chart`` names no built-in chart."""
    chart_id = resolve_id(chart)
    if chart_id is None:
        return None
    return chart_id, load_json(f"charts/{builtin_ids()[chart_id]}").get("source") or {}
